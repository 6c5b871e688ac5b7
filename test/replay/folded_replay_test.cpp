// The folded replay against the per-chip replay, its reference: the same makespan, mark times,
// transfers and per-link statistics to 1e-12 relative, for every collective, axis subset,
// algorithm and shape, and for steps of the Table 2 scenarios. The per-chip replay runs in a
// child process (one SimGrid engine per process), the folded one in another.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/replay/replay.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/isolated.hpp"
#include "test/support/specs.hpp"

namespace podsim {
namespace {

constexpr double kRelative = 1e-12;
// SimGrid 3.32 resolves time to its "surf/precision", 1e-9 s: an activity within that of its end
// is done. Where the two replays see simultaneous events in another order (concurrent multi-axis
// collectives on axes of unequal sizes, whose parts meet on a link at different steps), they
// may differ by that much; two quanta of time, and the bytes a link moves in them, bound it.
constexpr double kTimeQuantum_s = 2e-9;
constexpr double kLinkBw = 45e9;  // TPU v4, platforms/README.md §1

// What the two replays must agree on, each value with its tolerance of SimGrid's precision:
// makespan, transfers, total link bytes, every mark and chip end, and per link its bytes, busy
// time and peak rate (links in LinkId order).
struct Summary {
  std::vector<double> values, quantum;
  void add(double v, double q) {
    values.push_back(v);
    quantum.push_back(q);
  }
};

std::vector<double> summary(const ReplayResult& r) {
  Summary s;
  s.add(r.makespan_s, kTimeQuantum_s);
  s.add(static_cast<double>(r.transfers), 0);
  s.add(r.total_link_bytes, kTimeQuantum_s * kLinkBw * static_cast<double>(r.links.size()));
  for (Seconds m : r.mark_s) s.add(m, kTimeQuantum_s);
  for (Seconds end : r.chip_end_s) s.add(end, kTimeQuantum_s);
  for (const LinkStats& l : r.links) {
    s.add(static_cast<double>(l.link), 0);
    s.add(l.bytes, kTimeQuantum_s * kLinkBw);
    s.add(l.busy_s, kTimeQuantum_s);
    s.add(l.peak_bytes_per_s, 1e-9 * kLinkBw);
  }
  std::vector<double> out = s.values;
  out.insert(out.end(), s.quantum.begin(), s.quantum.end());
  return out;
}

// The timing of a trace replay: makespan, every mark and every chip's end. Memoised ops and
// one-hop rings keep the timing exact, not the per-link statistics or the transfer count (a
// memoised op moves no simulated bytes; a ring's flows sit on the representative's directions).
std::vector<double> timing_summary(const ReplayResult& r) {
  Summary s;
  s.add(r.makespan_s, kTimeQuantum_s);
  for (Seconds m : r.mark_s) s.add(m, kTimeQuantum_s);
  s.add(r.chip_end_s.front(), kTimeQuantum_s);
  std::vector<double> out = s.values;
  out.insert(out.end(), s.quantum.begin(), s.quantum.end());
  return out;
}

int g_exact = 0, g_within_quantum = 0;

// Equal to 1e-12 relative ("exact"), or else within SimGrid's time precision; counts both.
void check_same(const std::vector<double>& per_chip, const std::vector<double>& folded,
                const std::string& what) {
  INFO(what);
  REQUIRE(per_chip.size() == folded.size());
  const std::size_t n = per_chip.size() / 2;
  std::size_t worst = 0;
  double worst_error = 0;
  bool within = true;
  for (std::size_t i = 0; i < n; ++i) {
    const double difference = std::abs(per_chip[i] - folded[i]);
    const double error = difference / std::max(std::abs(per_chip[i]), 1e-300);
    if (error > worst_error) {
      worst_error = error;
      worst = i;
    }
    if (error > kRelative && difference > per_chip[n + i]) within = false;
  }
  INFO("worst relative error " << worst_error << " at value " << worst << ": per-chip "
                               << per_chip[worst] << ", folded " << folded[worst]);
  CHECK(within);
  CHECK(per_chip[0] > 0);
  if (worst_error <= kRelative)
    ++g_exact;
  else
    ++g_within_quantum;
}

// Compares the two replays of `spec` on `shape`; requires that the fold applies.
void compare_collective(const char* shape_text, const CollectiveSpec& spec) {
  const Torus torus(test::shape_of(shape_text));
  validate_collective(spec, torus.shape());
  const std::string what = std::string(collective_kind_name(spec.kind)) + " over " +
                           spec.axes.name() + " on " + shape_text + ", " +
                           std::string(ring_algorithm_name(spec.algorithm)) + ", " +
                           std::string(multi_axis_name(spec.multi_axis));
  const CollectivePlan folded_plan = plan_collective_replay(spec, torus, ReplayMode::folded, "c");
  REQUIRE(folded_plan.folded);
  const std::vector<double> per_chip = test::run_isolated([&]() {
    const CollectivePlan plan = plan_collective_replay(spec, torus, ReplayMode::per_chip, "c");
    return summary(replay(test::tpu_v4_chip(), torus, plan.program));
  });
  const std::vector<double> folded = test::run_isolated(
      [&]() { return summary(replay_folded(test::tpu_v4_chip(), torus, folded_plan.program)); });
  check_same(per_chip, folded, what);
}

// Every collective the fold applies to on `shape`, over every axis subset and algorithm.
void compare_all(const char* shape_text, CollectiveKind kind, Bytes bytes) {
  const Torus torus(test::shape_of(shape_text));
  g_exact = g_within_quantum = 0;
  for (const char* axes : {"x", "y", "z", "xy", "yz", "xz", "xyz"}) {
    const bool rings = kind != CollectiveKind::all_to_all && kind != CollectiveKind::permute;
    if (kind == CollectiveKind::permute && std::string(axes).size() > 1) continue;  // not folded
    for (RingAlgorithm algorithm : {RingAlgorithm::bidir_ring, RingAlgorithm::ring}) {
      for (MultiAxis multi : {MultiAxis::concurrent, MultiAxis::sequential}) {
        compare_collective(shape_text, test::collective_spec(kind, axes, bytes, algorithm, multi));
        if (!rings || std::string(axes).size() == 1) break;
      }
      if (!rings) break;
    }
  }
  WARN(collective_kind_name(kind) << " on " << shape_text << ": " << g_exact << " cases equal to "
       << kRelative << " relative, " << g_within_quantum << " within SimGrid's 1e-9 s precision");
}

}  // namespace

TEST_CASE("folded all-gather equals the per-chip replay on 4x4x4 8x4x4 and 4x8x8") {
  for (const char* shape : {"4x4x4", "8x4x4", "4x8x8"})
    compare_all(shape, CollectiveKind::all_gather, 64 * kMiB + 3);
}

TEST_CASE("folded reduce-scatter equals the per-chip replay on 4x4x4 8x4x4 and 4x8x8") {
  for (const char* shape : {"4x4x4", "8x4x4", "4x8x8"})
    compare_all(shape, CollectiveKind::reduce_scatter, 16 * kMiB + 1);
}

TEST_CASE("folded all-reduce equals the per-chip replay on 4x4x4 8x4x4 and 4x8x8") {
  for (const char* shape : {"4x4x4", "8x4x4", "4x8x8"})
    compare_all(shape, CollectiveKind::all_reduce, 8 * kMiB);
}

TEST_CASE("folded all-to-all equals the per-chip replay on 4x4x4 8x4x4 and 4x8x8") {
  for (const char* shape : {"4x4x4", "8x4x4", "4x8x8"})
    compare_all(shape, CollectiveKind::all_to_all, 4 * kMiB);
}

TEST_CASE("folded permute equals the per-chip replay on 4x4x4 8x4x4 and 4x8x8") {
  for (const char* shape : {"4x4x4", "8x4x4", "4x8x8"})
    compare_all(shape, CollectiveKind::permute, 4 * kMiB);
}

TEST_CASE("folded collectives equal the per-chip replay on 8x8x8") {
  for (CollectiveKind kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                              CollectiveKind::all_reduce})
    for (const char* axes : {"x", "yz", "xyz"})
      compare_collective("8x8x8", test::collective_spec(kind, axes, 64 * kMiB));
  compare_collective("8x8x8", test::collective_spec(CollectiveKind::all_to_all, "x", 8 * kMiB));
  compare_collective("8x8x8", test::collective_spec(CollectiveKind::all_to_all, "yz", 8 * kMiB));
  compare_collective("8x8x8", test::collective_spec(CollectiveKind::permute, "z", 8 * kMiB));
}

}  // namespace podsim

namespace podsim {
namespace {

}  // namespace

// Compares the timing of the folded replay (memoised, lowered for chip 0 alone when exact) with
// the per-chip replay's (every chip lowered, nothing memoised) on the first `steps` steps, with
// each layer repeated at most `repeats` times (so that the per-chip reference stays quick; the
// memo applies from the second instance on).
void compare_timing(const std::string& scenario_name, const std::vector<std::string>& overrides,
                    bool exact, std::size_t steps = 1, int repeats = 4) {
  const Scenario scenario = config::load_scenario(
      PODSIM_TEST_DIR "/../scenarios/" + scenario_name + ".yaml", overrides);
  Trace trace = generate_trace(scenario);
  trace.steps.resize(std::min(steps, trace.steps.size()));
  std::vector<StepTrace> kept = trace.steps.to_vector();
  for (StepTrace& step : kept)
    for (LayerTrace& layer : step.layers) layer.repeat = std::min(layer.repeat, repeats);
  trace.steps = kept;
  const Torus torus(scenario.shape);
  const ReplayPlan folded_plan = plan_trace_replay(trace, torus, exact, ReplayMode::folded);
  REQUIRE(folded_plan.folded);
  const std::vector<double> per_chip = test::run_isolated([&]() {
    const ReplayPlan plan = plan_trace_replay(trace, torus, exact, ReplayMode::per_chip);
    return timing_summary(replay(scenario.platform.chip, torus, plan.lowered.program));
  });
  const std::vector<double> folded = test::run_isolated([&]() {
    return timing_summary(
        replay_folded(scenario.platform.chip, torus, folded_plan.lowered.program));
  });
  std::string what = scenario_name + (exact ? " exact" : " sampled");
  for (const std::string& o : overrides) what += " " + o;
  check_same(per_chip, folded, what);
}

TEST_CASE("folded Table 2 steps without looped einsums equal the per-chip replay on 4x4x4") {
  g_exact = g_within_quantum = 0;
  for (const char* name : {"t2-low-latency-prefill", "t2-low-latency-decode",
                           "t2-high-throughput-prefill", "t2-high-throughput-decode"})
    compare_timing(name, {"collective_einsum=off"}, false);
}

TEST_CASE("a folded exact decode step of Table 2 equals the per-chip replay on 4x4x4") {
  g_exact = g_within_quantum = 0;
  compare_timing("t2-low-latency-decode", {"collective_einsum=off"}, true);
}

TEST_CASE("folded Table 2 steps with looped einsums on one-hop rings equal the per-chip replay") {
  // Every step, prefill and decode, with Looped CollectiveEinsum over one, two and three axes
  // (the logits loop), on the sampled path and exact; the fold memoises repeated ops.
  g_exact = g_within_quantum = 0;
  for (const char* name : {"t2-low-latency-prefill", "t2-low-latency-decode",
                           "t2-high-throughput-prefill", "t2-high-throughput-decode"})
    compare_timing(name, {}, false);
  compare_timing("t2-low-latency-decode", {}, true);
  compare_timing("t2-high-throughput-decode", {"attention=batch", "batch=64"}, true);
  compare_timing("t2-low-latency-decode", {"ffn_layout=ws-1d"}, true);
  compare_timing("t2-low-latency-decode", {"collective_einsum=off", "generate_tokens=3"}, true, 3);
  WARN(g_exact << " step comparisons equal to " << kRelative << " relative, " << g_within_quantum
               << " within SimGrid's precision");
}

TEST_CASE("a folded PaLM 540B decode step on 8x8x8 equals the per-chip replay") {
  g_exact = g_within_quantum = 0;
  // One layer, every other op as in the full step (the per-chip reference of the looped logits
  // ring over 512 chips alone takes minutes: the rings are covered on 4x4x4 above).
  compare_timing("t2-high-throughput-decode",
                 {"topology=8x8x8", "batch=512", "collective_einsum=off"}, true, 1, 1);
}

TEST_CASE("Table 2 steps with snake rings are not folded: the automatic replay is per chip") {
  for (const char* name : {"t2-low-latency-prefill", "t2-low-latency-decode"}) {
    const Scenario scenario = config::load_scenario(
        PODSIM_TEST_DIR "/../scenarios/" + std::string(name) + ".yaml", {"ring_order=snake"});
    Trace trace = generate_trace(scenario);
    trace.steps.resize(1);
    const Torus torus(scenario.shape);
    const ReplayPlan plan = plan_trace_replay(trace, torus, false, ReplayMode::automatic);
    INFO(name << ": " << plan.reason);
    CHECK(plan.folded);
    CHECK_NOTHROW(plan_trace_replay(trace, torus, false, ReplayMode::folded));
  }
}

}  // namespace podsim
