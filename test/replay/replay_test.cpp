// Simulated collectives against independent references: closed forms written out here from the
// algorithm descriptions (not the analytic module), brute-force hop counts, and conservation of
// bytes on the links. Numbers: TPU v4 (platforms/README.md §1) — 45e9 B/s per link direction, 1 us
// per
// hop, 1.2e12 B/s HBM.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "test/support/isolated.hpp"
#include "sim/analytic/collective_cost.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/core/progress_board.hpp"
#include "sim/replay/replay.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/specs.hpp"

namespace podsim {
namespace {

constexpr double kLinkBw = 45e9;
constexpr double kHop = 1e-6;
constexpr double kHbmBw = 1.2e12;

// Simulates the given collectives launched together from time 0.
ReplayResult simulate(const TorusShape& shape, const std::vector<CollectiveSpec>& specs) {
  const Torus torus(shape);
  Program program(torus.chip_count());
  for (const CollectiveSpec& spec : specs) {
    validate_collective(spec, shape);
    append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask),
                      program.add_label("c"));
  }
  return replay(test::tpu_v4_chip(), torus, program);
}

double simulate_time(const TorusShape& shape, const CollectiveSpec& spec) {
  return simulate(shape, {spec}).makespan_s;
}

// Bidirectional ring over K chips, larger size S: K-1 steps of S/(2K) per direction.
double bidir_all_gather(int k, double s) { return (k - 1) * (kHop + s / (2.0 * k) / kLinkBw); }
// Reduce-scatter adds: each step every chip adds two halves, 3 HBM bytes per byte each.
double bidir_reduce_scatter(int k, double s) {
  return (k - 1) * (kHop + s / (2.0 * k) / kLinkBw + 3.0 * (s / k) / kHbmBw);
}

}  // namespace

TEST_CASE("bidirectional ring all-gather on a wrapped axis matches the closed form at 64 MiB") {
  const double t = simulate_time(test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB));
  CHECK(t == Approx(bidir_all_gather(4, 64.0 * kMiB)).epsilon(0.01));
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB), test::shape_of("4x4x4"),
                            test::tpu_v4_chip())
            .latency_bound() == false);
}

TEST_CASE("bidirectional ring all-gather on a wrapped axis matches the closed form at 4 KiB") {
  const auto spec = test::collective_spec(CollectiveKind::all_gather, "x", 4 * kKiB);
  const double t = simulate_time(test::shape_of("4x4x4"), spec);
  CHECK(t == Approx(bidir_all_gather(4, 4.0 * kKiB)).epsilon(0.01));
  CHECK(collective_estimate(spec, test::shape_of("4x4x4"), test::tpu_v4_chip()).latency_bound());
}

TEST_CASE("reduce-scatter on a wrapped axis matches the closed form with its additions") {
  for (Bytes bytes : {Bytes{64 * kMiB}, Bytes{4 * kKiB}}) {
    const auto t = test::run_isolated([&] {
      return std::vector<double>{
          simulate_time(test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::reduce_scatter, "y", bytes))};
    });
    CHECK(t.at(0) == Approx(bidir_reduce_scatter(4, static_cast<double>(bytes))).epsilon(0.01));
  }
}

TEST_CASE("all-reduce on a wrapped axis is a reduce-scatter then an all-gather") {
  for (Bytes bytes : {Bytes{64 * kMiB}, Bytes{4 * kKiB}}) {
    const auto t = test::run_isolated([&] {
      return std::vector<double>{
          simulate_time(test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::all_reduce, "z", bytes))};
    });
    const double s = static_cast<double>(bytes);
    CHECK(t.at(0) == Approx(bidir_reduce_scatter(4, s) + bidir_all_gather(4, s)).epsilon(0.01));
  }
}

TEST_CASE("unidirectional ring all-gather takes K-1 steps of a full shard") {
  const double s = 64.0 * kMiB;
  const double t = simulate_time(test::shape_of("8x4x4"),
                                 test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB, RingAlgorithm::ring));
  CHECK(t == Approx(7 * (kHop + s / 8 / kLinkBw)).epsilon(0.01));
}

TEST_CASE("line all-gather on a mesh axis matches its closed form and costs about twice the ring") {
  const double s = 64.0 * kMiB;
  const auto times = test::run_isolated([&] {
    return std::vector<double>{
        simulate_time(test::shape_of("4x2x2"), test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB))};
  });
  const double line = times.at(0);
  // K-1 pipelined steps of a full shard on the busiest link.
  CHECK(line == Approx(3 * (kHop + s / 4 / kLinkBw)).epsilon(0.01));
  const double ring =
      simulate_time(test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB));
  CHECK(line / ring == Approx(2.0).epsilon(0.02));
}

TEST_CASE("line reduce-scatter on a mesh axis pipelines its partial sums") {
  // A line of K = 4 (4x2x2, no wraparound): the partial sum for chip d leaves chip 0 at step
  // K-d and gains one chip's part per hop. Chip 0's K-1 sends wait for no data: its DMA queue
  // sends them one after another, so the first arrives after one message, not after all three
  // shared the link. Closed form, by hand along the chain: the busiest link carries K-1 messages
  // back to back (l + S/K/b each) and each chip of the chain adds one received shard
  // (3 HBM bytes per byte) before passing it on: (K-1) (l + S/(K b)) + (K-1) 3 S/(K h).
  for (Bytes bytes : {Bytes{64 * kMiB}, Bytes{32 * kKiB}}) {
    const double s = static_cast<double>(bytes);
    const auto times = test::run_isolated([&] {
      return std::vector<double>{simulate_time(
          test::shape_of("4x2x2"), test::collective_spec(CollectiveKind::reduce_scatter, "x", bytes))};
    });
    CAPTURE(bytes);
    CHECK(times.at(0) == Approx(3 * (kHop + s / 4 / kLinkBw) + 3 * 3.0 * (s / 4) / kHbmBw).epsilon(0.02));
  }
}

TEST_CASE("multi-axis all-gather over xyz matches both closed forms and concurrent wins") {
  const double s = 64.0 * kMiB;
  const auto sequential = test::run_isolated([&] {
    return std::vector<double>{simulate_time(
        test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::all_gather, "xyz", 64 * kMiB,
                                   RingAlgorithm::automatic, MultiAxis::sequential))};
  });
  // One axis after another: the output grows S/16 -> S/4 -> S.
  const double sequential_form = bidir_all_gather(4, s / 16) + bidir_all_gather(4, s / 4) +
                                 bidir_all_gather(4, s);
  CHECK(sequential.at(0) == Approx(sequential_form).epsilon(0.01));
  // All axes at once: three parts of S/3, each one axis after another, side by side.
  const double concurrent = simulate_time(
      test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::all_gather, "xyz", 64 * kMiB));
  const double concurrent_form = bidir_all_gather(4, s / 48) + bidir_all_gather(4, s / 12) +
                                 bidir_all_gather(4, s / 3);
  CHECK(concurrent == Approx(concurrent_form).epsilon(0.01));
  CHECK(concurrent < 0.5 * sequential.at(0));
}

TEST_CASE("all-to-all over xyz conserves bytes on the links and is bounded by the busiest link") {
  const TorusShape shape = test::shape_of("4x4x4");
  const Bytes bytes = 64 * kMiB;
  const ReplayResult r = simulate(shape, {test::collective_spec(CollectiveKind::all_to_all, "xyz", bytes)});
  // Brute force: every ordered pair exchanges bytes/64, travelling the torus distance (shortest
  // way round on each wrapped axis of 4).
  const double chunk = static_cast<double>(bytes / 64);
  double expected = 0;
  const Torus torus(shape);
  for (ChipId a = 0; a < 64; ++a)
    for (ChipId b = 0; b < 64; ++b) {
      int hops = 0;
      for (Axis axis : kAxes) {
        const int d = std::abs(torus.coord(a)[axis] - torus.coord(b)[axis]);
        hops += std::min(d, 4 - d);
      }
      expected += chunk * hops;
    }
  CHECK(r.total_link_bytes == Approx(expected).epsilon(1e-6));
  double busiest = 0;
  for (const LinkStats& s : r.links) busiest = std::max(busiest, s.bytes);
  CHECK(r.makespan_s >= busiest / kLinkBw * (1 - 1e-9));
  CHECK(r.transfers == 64u * 63u);
  // No link carries more than its bandwidth over the run.
  for (const LinkStats& s : r.links) CHECK(s.peak_bytes_per_s <= kLinkBw * (1 + 1e-9));
}

TEST_CASE("ring traffic on the links equals what the algorithm sends") {
  const ReplayResult r =
      simulate(test::shape_of("4x4x4"), {test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB)});
  // 16 rings x 4 chips x 3 steps x two halves of a shard of 16 MiB, one hop each.
  CHECK(r.total_link_bytes == Approx(16.0 * 4 * 3 * 16 * kMiB).epsilon(1e-6));
  for (const LinkStats& s : r.links) {
    const bool x_link = s.link % 6 < 2;
    CHECK(s.bytes == Approx(x_link ? 3.0 * 8 * kMiB : 0.0).margin(1.0));
  }
}

TEST_CASE("two all-gathers on the same ring take twice as long as one") {
  const auto spec = test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB);
  const auto one = test::run_isolated([&] {
    return std::vector<double>{simulate_time(test::shape_of("4x4x4"), spec)};
  });
  const double two = simulate(test::shape_of("4x4x4"), {spec, spec}).makespan_s;
  CHECK(two / one.at(0) == Approx(2.0).epsilon(0.02));
}

TEST_CASE("all-gathers on disjoint rings do not slow each other") {
  const auto x = test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB);
  const auto y = test::collective_spec(CollectiveKind::all_gather, "y", 64 * kMiB);
  const double both = simulate(test::shape_of("4x4x4"), {x, y}).makespan_s;
  CHECK(both == Approx(bidir_all_gather(4, 64.0 * kMiB)).epsilon(0.01));
}

TEST_CASE("permute shifts the buffer one chip along a wrapped axis in one hop") {
  const double t =
      simulate_time(test::shape_of("4x4x4"), test::collective_spec(CollectiveKind::permute, "x", 64 * kMiB));
  CHECK(t == Approx(kHop + 64.0 * kMiB / kLinkBw).epsilon(0.01));
}

TEST_CASE("permute on a mesh axis pays the long way back") {
  const double t =
      simulate_time(test::shape_of("4x2x2"), test::collective_spec(CollectiveKind::permute, "x", 64 * kMiB));
  CHECK(t == Approx(3 * kHop + 64.0 * kMiB / kLinkBw).epsilon(0.01));
}

TEST_CASE("the closed-form module agrees with the hand-written forms") {
  const ChipSpec chip = test::tpu_v4_chip();
  const double s = 64.0 * kMiB;
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB), test::shape_of("4x4x4"), chip)
            .time_s == Approx(bidir_all_gather(4, s)));
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::reduce_scatter, "x", 64 * kMiB), test::shape_of("4x4x4"), chip)
            .time_s == Approx(bidir_reduce_scatter(4, s)));
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB), test::shape_of("4x2x2"), chip)
            .time_s == Approx(3 * (kHop + s / 4 / kLinkBw)));
  // All-to-all on one wrapped ring of 4 with chunk c: the + link carries distances 1 and 2.
  CHECK(all_to_all_max_link_bytes(test::shape_of("4x4x4"), parse_axes("x", "axes"), 64 * kMiB) ==
        Approx(s / 4 * 3));
}

}  // namespace podsim

namespace podsim {
namespace {

TEST_CASE("a simulation that stalls is an error naming the chip and task, never a result") {
  // peak_flops_per_s 275 (TFLOP/s written as FLOP/s): SimGrid cannot resolve the MXU work of a
  // PaLM 8B layer against the rest of the model and ends the run as a deadlock, killing the
  // actors; replay() must throw rather than return the makespan of the tasks that did finish.
  // The chip is changed after loading, past the platform loader's checks.
  Scenario scenario = config::load_scenario(PODSIM_TEST_DIR "/../scenarios/palm-8b-8chips.yaml",
                                            {"phase=prefill"});
  scenario.platform.chip.peak_flops_per_s = 275;
  const Trace trace = generate_trace(scenario);
  const Torus torus(scenario.shape);
  const LoweredTrace lowered = lower_trace(trace, torus, false);
  std::string message;
  try {
    replay(scenario.platform.chip, torus, lowered.program);
  } catch (const SimulationError& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("stalled") != std::string::npos);
  CHECK(message.find("chip ") != std::string::npos);
}

}  // namespace
}  // namespace podsim

namespace podsim {
namespace {

// The all-to-all's closed form is a lower bound (collective_cost.hpp: all_to_all_bound): the
// per-chip replay, the reference, is never below it, over many shapes, wraps, axes and sizes,
// with the fitted ici_efficiency so that the effective rate is the one both use.
TEST_CASE("the all-to-all bound is never above the per-chip replay's time") {
  ChipSpec chip = test::tpu_v4_chip();
  chip.ici_efficiency = 0.42886;  // platforms/tpu-v4.yaml's fitted value
  int cases = 0;
  double worst = 0;
  for (const char* shape_text : {"4x4x4", "2x4x8", "4x2x1", "4x4x2", "3x1x1", "5x3x1", "2x2x2",
                                 "8x2x1", "4x4x1"})
    for (bool wrap : {false, true})
      for (const char* axes_text : {"x", "y", "z", "xy", "yz", "xz", "xyz"})
        for (Bytes bytes : {Bytes{4 * kMiB}, Bytes{4096}}) {
          TorusShape shape = test::shape_of(shape_text);
          if (wrap)
            for (int a = 0; a < 3; ++a) shape.wraps[a] = shape.dims[a] > 1;
          const AxisSet axes = parse_axes(axes_text, "axes");
          bool valid = true;
          for (Axis a : axes.axes()) valid = valid && shape.size(a) > 1;
          if (!valid) continue;
          CAPTURE(shape_text, wrap, axes_text, bytes);
          const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_to_all, axes_text, bytes);
          const Torus torus(shape);
          Program program(torus.chip_count());
          append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask),
                            program.add_label("a2a"));
          const double simulated = test::run_isolated([&] {
            return std::vector<double>{replay(chip, torus, program).makespan_s};
          }).at(0);
          const double bound = all_to_all_bound(spec, shape, chip).time_s;
          CHECK(bound > 0);
          CHECK(simulated >= bound * (1 - 1e-9));
          worst = std::max(worst, simulated / bound);
          ++cases;
        }
  INFO("cases " << cases << ", largest simulated / bound " << worst);
  CHECK(cases > 100);
  CHECK(worst < 2);  // a bound worth printing: within a factor of 2 here
}

}  // namespace
}  // namespace podsim

namespace podsim {

// The progress of a run (core/progress_board) counts every task the per-chip replay runs: every
// chip's tasks, counted here from the program.
TEST_CASE("the replay reports each of its tasks to the progress board", "[replay]") {
  const podsim::ProgressBoard board;
  const Torus torus(test::shape_of("4x4x1"));
  const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_gather, "x", 1 << 20);
  Program program(torus.chip_count());
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask),
                    program.add_label("ag"));
  std::uint64_t tasks = 0;
  for (const ChipProgram& c : program.chips) tasks += c.tasks.size();
  REQUIRE(tasks > 0);
  podsim::progress_round({"all-gather"}, 1);
  replay(test::tpu_v4_chip(), torus, program);
  const podsim::ProgressSnapshot snap = board.snapshot();
  REQUIRE(snap.simulations.size() == 1);
  CHECK(snap.simulations[0].total == tasks);
  CHECK(snap.simulations[0].done == tasks);
  CHECK(snap.simulations[0].end_s >= snap.simulations[0].start_s);
}

}  // namespace podsim
