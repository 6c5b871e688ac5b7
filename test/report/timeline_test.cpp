// Link timelines are exact: for every run, the integral of each directed link's recorded
// utilisation equals the bytes the program sends over that link — counted independently here,
// each send's bytes on every link of its dimension-order route — and no link ever exceeds its
// bandwidth. Each test case replays once (one SimGrid engine per process).

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "sim/program/algorithms.hpp"
#include "sim/config/platform_loader.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/replay/replay.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/report/timeline.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {
namespace {

ChipSpec tpu_v4() {
  return config::load_platform(std::string(PODSIM_SOURCE_DIR) + "/platforms/tpu-v4.yaml").chip;
}

// SimGrid ends an action once what remains of it is below its precision (surf/precision: 1e-9
// of simulated time by default), so a transfer's integral may miss up to bandwidth x 1e-9 s
// (45 bytes on a TPU v4 link): that is the rounding the comparison allows, per transfer.
constexpr double kSimGridTimePrecision_s = 1e-9;

// Reference: per link slot, the bytes routed over it by the program's sends, and their number.
struct Routed {
  std::vector<double> bytes;
  std::vector<int> transfers;
};
Routed routed_bytes(const Program& program, const Torus& torus) {
  Routed r{std::vector<double>(torus.link_slot_count(), 0.0),
           std::vector<int>(torus.link_slot_count(), 0)};
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (const Task& t : program.chips[c].tasks)
      if (t.kind == TaskKind::send)
        for (const Hop& hop : torus.route(c, t.peer)) {
          r.bytes[Torus::link_id(hop.from, hop.direction)] += static_cast<double>(t.bytes);
          ++r.transfers[Torus::link_id(hop.from, hop.direction)];
        }
  return r;
}

void check_exact(const Program& program, const Torus& torus, const ChipSpec& chip) {
  ReplayOptions options;
  options.record_tasks = true;
  options.record_link_intervals = true;
  const ReplayResult result = replay(chip, torus, program, options);
  const Timeline timeline = build_timeline(program, torus, chip, result, "test");
  const Routed routed = routed_bytes(program, torus);
  const std::vector<double>& expected = routed.bytes;
  const std::vector<double> integral = link_bytes(timeline);
  REQUIRE(integral.size() == expected.size());
  std::size_t busy = 0;
  for (std::size_t l = 0; l < expected.size(); ++l) {
    INFO("link " << torus.link_name(static_cast<LinkId>(l)));
    const double rounding = routed.transfers[l] * chip.ici_link_bytes_per_s * kSimGridTimePrecision_s;
    CHECK(integral[l] == Approx(expected[l]).epsilon(1e-9).margin(rounding + 1e-6));
    CHECK(integral[l] <= expected[l] + 1e-6);  // never more than was sent
    busy += expected[l] > 0;
  }
  CHECK(busy > 0);
  // Never above the bandwidth; intervals of one link in time order and disjoint; inside the run.
  for (std::size_t i = 0; i < timeline.link_intervals.size(); ++i) {
    const LinkInterval& v = timeline.link_intervals[i];
    CHECK(v.bytes_per_s <= chip.ici_link_bytes_per_s * (1 + 1e-9));
    CHECK(v.bytes_per_s > 0);
    CHECK(v.end_s > v.start_s);
    CHECK(v.start_s >= 0);
    CHECK(v.end_s <= result.makespan_s * (1 + 1e-12));
    if (i > 0 && timeline.link_intervals[i - 1].link == v.link)
      CHECK(timeline.link_intervals[i - 1].end_s <= v.start_s);
  }
  // Every send and receive shows up once on the timeline.
  std::size_t transfers = 0, shown = 0;
  for (const ChipProgram& c : program.chips)
    for (const Task& t : c.tasks) transfers += t.kind == TaskKind::send || t.kind == TaskKind::recv;
  for (const TimelineTask& t : timeline.tasks)
    shown += t.track == Track::ici_send || t.track == Track::ici_recv;
  CHECK(shown == transfers);
}

void check_collective(const std::string& shape_text, CollectiveKind kind, const std::string& axes,
                      Bytes bytes, const std::string& wrap = "auto") {
  TorusShape shape = parse_shape(shape_text, "shape");
  if (auto w = parse_wrap(wrap, "wrap")) shape.wraps = *w;
  const Torus torus(shape);
  CollectiveSpec spec;
  spec.kind = kind;
  spec.axes = parse_axes(axes, "axes");
  spec.bytes = bytes;
  validate_collective(spec, shape);
  Program program(torus.chip_count());
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask),
                    program.add_label("op"));
  check_exact(program, torus, tpu_v4());
}

TEST_CASE("link timeline of a ring all-gather integrates to the routed bytes", "[timeline]") {
  check_collective("4x4x4", CollectiveKind::all_gather, "x", 3 * kMiB + 5);
}

TEST_CASE("link timeline of a contended all-to-all integrates to the routed bytes", "[timeline]") {
  check_collective("4x4x4", CollectiveKind::all_to_all, "xyz", 4 * kMiB);
}

TEST_CASE("link timeline of an all-reduce on a mesh integrates to the routed bytes", "[timeline]") {
  check_collective("4x2x1", CollectiveKind::all_reduce, "xy", 1 * kMiB);
}

TEST_CASE("link timeline of a multi-hop permute integrates to the routed bytes", "[timeline]") {
  check_collective("2x2x2", CollectiveKind::permute, "xyz", 256 * kKiB);
}

TEST_CASE("link timeline of a reduce-scatter over two axes integrates to the routed bytes",
          "[timeline]") {
  check_collective("4x4x1", CollectiveKind::reduce_scatter, "xy", 2 * kMiB, "xy");
}

TEST_CASE("link timeline of a traced toy run integrates to the routed bytes", "[timeline]") {
  const Scenario scenario = config::load_scenario(
      std::string(PODSIM_TEST_DIR) + "/inputs/good/toy-deep-generate.yaml", {"generate_tokens=2"});
  const Trace trace = generate_trace(scenario);
  const Torus torus(trace.scenario.shape);
  const LoweredTrace lowered = lower_trace(trace, torus, false);
  check_exact(lowered.program, torus, trace.scenario.platform.chip);
}

TEST_CASE("timeline steps of a ring all-gather follow the ring", "[timeline]") {
  TorusShape shape = parse_shape("4x1x1", "shape");
  shape.wraps = {true, false, false};
  const Torus torus(shape);
  CollectiveSpec spec;
  spec.kind = CollectiveKind::all_gather;
  spec.axes = parse_axes("x", "axes");
  spec.bytes = kMiB;
  Program program(4);
  append_collective(program, torus, spec, Frontier(4, kNoTask), program.add_label("ag"));
  ReplayOptions options{true, true};
  const ChipSpec chip = tpu_v4();
  const ReplayResult result = replay(chip, torus, program, options);
  const Timeline timeline = build_timeline(program, torus, chip, result, "test");
  // Closed form of one bidirectional ring step: hop latency + (S / K / 2) / bandwidth, the
  // bandwidth being the link's achieved fraction (ici_efficiency) of its peak.
  const double step_s = chip.ici_hop_latency_s +
                        (kMiB / 8.0) / (chip.ici_link_bytes_per_s * chip.ici_efficiency);
  int sends = 0;
  for (const TimelineTask& t : timeline.tasks) {
    if (t.track != Track::ici_send) continue;
    ++sends;
    CHECK(t.step >= 1);
    CHECK(t.step <= 3);
    CHECK(t.bytes == kMiB / 8);
    CHECK(t.end_s == Approx(t.step * step_s).epsilon(1e-9));
    CHECK(t.flow >= 0);
  }
  CHECK(sends == 4 * 2 * 3);  // 4 chips, 2 directions, K-1 = 3 steps
  CHECK(timeline.instances.size() == 1);
}

}  // namespace
}  // namespace podsim
