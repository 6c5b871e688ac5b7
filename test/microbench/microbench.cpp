// Micro-benchmarks (Google Benchmark) of podsim's hot paths: trace generation, lowering a trace
// to per-chip task graphs, and SimGrid replays of collectives. Not part of the test run:
// `scripts/microbench.sh` builds and runs them. SimGrid allows one engine per process, so each
// replay iteration runs in a forked child and reports the wall time of the replay alone
// (manual time: the fork is not counted).

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <chrono>
#include <string>

#include "sim/program/algorithms.hpp"
#include "sim/config/platform_loader.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/core/env.hpp"
#include "sim/replay/replay.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {
namespace {

const std::string kRoot = PODSIM_SOURCE_DIR;

Scenario table2(const std::string& name, std::vector<std::string> overrides = {}) {
  return config::load_scenario(kRoot + "/scenarios/" + name + ".yaml", overrides);
}

// PaLM 540B, Table 2 low-latency decode on 64 chips: the whole 64-step trace.
void BM_GenerateTrace_Decode64Steps(benchmark::State& state) {
  const Scenario s = table2("t2-low-latency-decode");
  for (auto _ : state) benchmark::DoNotOptimize(generate_trace(s));
}
BENCHMARK(BM_GenerateTrace_Decode64Steps)->Unit(benchmark::kMillisecond);

// Lowering one decode step of PaLM 540B to task graphs: every layer (exact) on 64 and 4096 chips.
void BM_LowerDecodeStep(benchmark::State& state) {
  const bool pod = state.range(0) == 4096;
  const Scenario s =
      table2("t2-high-throughput-decode",
             pod ? std::vector<std::string>{"topology=16x16x16", "batch=4096", "generate_tokens=1",
                                            "allow_oversubscribe=true"}
                 : std::vector<std::string>{"generate_tokens=1"});
  const Trace trace = generate_trace(s);
  const Torus torus(s.shape);
  std::size_t tasks = 0;
  for (auto _ : state) {
    const LoweredTrace lowered = lower_trace(trace, torus, true);
    tasks = 0;
    for (const ChipProgram& chip : lowered.program.chips) tasks += chip.tasks.size();
    benchmark::DoNotOptimize(tasks);
  }
  state.counters["tasks"] = double(tasks);
  state.counters["tasks_per_s"] = benchmark::Counter(double(tasks), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_LowerDecodeStep)->Arg(64)->Arg(4096)->Unit(benchmark::kMillisecond);

// One collective replayed by SimGrid: args = torus side, axes (1 = x, 3 = xyz), MiB per chip.
void BM_ReplayAllGather(benchmark::State& state) {
  const int side = int(state.range(0));
  const std::string shape_text = fmt::format("{0}x{0}x{0}", side);
  const Torus torus(parse_shape(shape_text, "shape"));
  CollectiveSpec spec;
  spec.kind = CollectiveKind::all_gather;
  spec.axes = parse_axes(state.range(1) == 3 ? "xyz" : "x", "axes");
  spec.bytes = Bytes(state.range(2)) * kMiB;
  const ChipSpec chip = config::load_platform(kRoot + "/platforms/tpu-v4.yaml").chip;
  Program program(torus.chip_count());
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask),
                    program.add_label("all-gather"));
  double transfers = 0;
  for (auto _ : state) {
    const std::vector<double> out = run_in_child([&]() {
      const auto start = std::chrono::steady_clock::now();
      const ReplayResult result = replay(chip, torus, program);
      const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - start;
      return std::vector<double>{wall.count(), double(result.transfers)};
    });
    state.SetIterationTime(out[0]);
    transfers = out[1];
  }
  state.counters["transfers"] = transfers;
  state.counters["transfers_per_s"] =
      benchmark::Counter(transfers, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ReplayAllGather)
    ->Args({4, 1, 64})
    ->Args({4, 3, 64})
    ->Args({8, 3, 64})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace podsim

BENCHMARK_MAIN();
