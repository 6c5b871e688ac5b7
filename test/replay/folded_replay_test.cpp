// The folded replay against the per-chip replay, its reference: the same makespan, mark times,
// transfers and per-link statistics to 1e-12 relative, for every collective, axis subset,
// algorithm and shape, and for steps of the Table 2 scenarios. The per-chip replay runs in a
// child process (one SimGrid engine per process), the folded one in another.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <tuple>
#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/replay/replay.hpp"
#include "sim/report/timeline.hpp"
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
const CollectiveKind kKindsAll[] = {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                                    CollectiveKind::all_reduce, CollectiveKind::all_to_all,
                                    CollectiveKind::permute};

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

// Compares the two replays of `spec` on `shape`; requires that the fold applies. Returns the
// representative count of the fold.
int compare_collective(const TorusShape& shape, const CollectiveSpec& spec) {
  const Torus torus(shape);
  validate_collective(spec, torus.shape());
  const std::string what = std::string(collective_kind_name(spec.kind)) + " over " +
                           spec.axes.name() + " on " + shape.name() + ", " +
                           std::string(ring_algorithm_name(spec.algorithm)) + ", " +
                           std::string(multi_axis_name(spec.multi_axis));
  const CollectivePlan folded_plan = plan_collective_replay(spec, torus, ReplayMode::folded, "c");
  REQUIRE(folded_plan.folded);
  const std::vector<double> per_chip = test::run_isolated([&]() {
    const CollectivePlan plan = plan_collective_replay(spec, torus, ReplayMode::per_chip, "c");
    return summary(replay(test::tpu_v4_chip(), torus, plan.program));
  });
  const std::vector<double> folded = test::run_isolated(
      [&]() { return summary(replay_folded(test::tpu_v4_chip(), torus, folded_plan.group, folded_plan.program)); });
  check_same(per_chip, folded, what + " (" + folded_plan.group.describe() + ")");
  return folded_plan.group.representative_count();
}

int compare_collective(const char* shape_text, const CollectiveSpec& spec) {
  return compare_collective(test::shape_of(shape_text), spec);
}

// `text` with its wraparound set to `wrap` ("none", "x", ...; "auto": the TPU v4 rule).
TorusShape shape_with_wrap(const char* text, const char* wrap) {
  TorusShape shape = test::shape_of(text);
  if (auto wraps = parse_wrap(wrap, "wrap")) shape.wraps = *wraps;
  return shape;
}

// Every collective the fold applies to on `shape`, over every axis subset and algorithm.
void compare_all(const char* shape_text, CollectiveKind kind, Bytes bytes) {
  const Torus torus(test::shape_of(shape_text));
  g_exact = g_within_quantum = 0;
  for (const char* axes : {"x", "y", "z", "xy", "yz", "xz", "xyz"}) {
    const bool rings = kind != CollectiveKind::all_to_all && kind != CollectiveKind::permute;
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

TEST_CASE("folded collectives over every axis subset and algorithm equal the per-chip replay on 8x8x8") {
  // 1 MiB: the per-chip reference's cost is its message count, which the size does not change.
  for (CollectiveKind kind : kKindsAll) compare_all("8x8x8", kind, kMiB + 1);
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

TEST_CASE("on meshes and partly wrapped slices the folded collectives equal the per-chip replay") {
  // Automatic where it folds; forced elsewhere (nothing wraps: every chip its own representative).
  struct Case {
    const char* shape;
    const char* wrap;
    int representatives;  // of an all-gather over x: one per coordinate of the unwrapped axes
  };
  for (const Case& c : {Case{"2x2x2", "auto", 8}, Case{"2x4x2", "auto", 16},
                        Case{"4x4x1", "none", 16}, Case{"4x4x1", "x", 4},
                        Case{"4x4x4", "xy", 4}, Case{"8x4x2", "x", 8}}) {
    const TorusShape shape = shape_with_wrap(c.shape, c.wrap);
    g_exact = g_within_quantum = 0;
    for (CollectiveKind kind : kKindsAll)
      for (const char* axes : {"x", "y", "xy", "xyz"}) {
        bool runs = true;
        for (Axis a : parse_axes(axes, "axes").axes()) runs = runs && shape.size(a) > 1;
        if (!runs) continue;
        const CollectiveSpec spec = test::collective_spec(kind, axes, kMiB + 5);
    const int reps = compare_collective(shape, spec);
        if (kind == CollectiveKind::all_gather && std::string(axes) == "x")
          CHECK(reps == c.representatives);
      }
    WARN(shape.name() << " wrap " << c.wrap << ": " << g_exact << " cases equal to " << kRelative
                      << " relative, " << g_within_quantum << " within SimGrid's precision");
  }
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
        replay_folded(scenario.platform.chip, torus, folded_plan.group, folded_plan.lowered.program));
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

TEST_CASE("property: on random shapes wraps axes and sizes the fold equals the per-chip replay") {
  // A fixed seed keeps the cases the same on every run (std::mt19937 is specified exactly);
  // shapes of up to 96 chips, odd sizes and sizes 1 and 2 among them, any wraparound.
  std::mt19937 rng(20261201);
  const int sizes[] = {1, 2, 3, 4, 5, 6, 8};
  const RingAlgorithm algorithms[] = {RingAlgorithm::automatic, RingAlgorithm::bidir_ring,
                                      RingAlgorithm::ring};
  const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  g_exact = g_within_quantum = 0;
  int cases = 0, folded_to_one = 0, partial = 0;
  while (cases < 40) {
    TorusShape shape = test::shape_of("1x1x1");
    for (Axis a : kAxes) {
      shape.dims[static_cast<int>(a)] = sizes[pick(7)];
      shape.wraps[static_cast<int>(a)] = pick(2) == 1;
    }
    if (shape.chip_count() < 4 || shape.chip_count() > 96) continue;
    AxisSet axes;
    for (Axis a : kAxes) axes.has[static_cast<int>(a)] = shape.size(a) > 1 && pick(2) == 1;
    if (axes.empty()) continue;
    CollectiveSpec spec = test::collective_spec(kKindsAll[pick(5)], "x",
                                                static_cast<Bytes>(1 + pick(1 << 22)),
                                                algorithms[pick(3)],
                                                pick(2) ? MultiAxis::concurrent
                                                        : MultiAxis::sequential);
    spec.axes = axes;
    try {
      validate_collective(spec, shape);
    } catch (const InputError&) {
      continue;  // a collective this slice cannot run (e.g. a ring over an unwrapped size-2 axis)
    }
    const int reps = compare_collective(shape, spec);
    folded_to_one += reps == 1;
    partial += reps > 1 && reps < shape.chip_count();
    ++cases;
  }
  WARN(cases << " random cases (" << folded_to_one << " on one representative, " << partial
             << " on several, the rest on every chip): " << g_exact << " equal to " << kRelative
             << " relative, " << g_within_quantum << " within SimGrid's precision");
}

namespace {

// A timeline as a sorted list of its tasks (chip, track, start, end, label, peer, bytes,
// direction) flattened to doubles, then the same count of tolerances: what the pictures show,
// whatever lane or flow id a task gets.
std::vector<double> timeline_summary(const Timeline& timeline) {
  std::vector<std::vector<double>> rows;
  for (const TimelineTask& t : timeline.tasks)
    rows.push_back({static_cast<double>(t.chip), static_cast<double>(t.track), t.start_s, t.end_s,
                    static_cast<double>(t.label), static_cast<double>(t.peer),
                    static_cast<double>(t.bytes), static_cast<double>(t.direction)});
  std::sort(rows.begin(), rows.end());
  Summary s;
  s.add(timeline.makespan_s, kTimeQuantum_s);
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) s.add(row[i], i == 2 || i == 3 ? kTimeQuantum_s : 0);
  // Per link, the bytes its intervals integrate to (the heat map's and the busiest links' data;
  // the intervals themselves may split where simultaneous events come in another order).
  for (double bytes : link_bytes(timeline)) s.add(bytes, kTimeQuantum_s * kLinkBw);
  std::vector<double> out = s.values;
  out.insert(out.end(), s.quantum.begin(), s.quantum.end());
  return out;
}

ReplayOptions capture() {
  ReplayOptions options;
  options.record_tasks = true;
  options.record_link_intervals = true;
  return options;
}

}  // namespace

TEST_CASE("timelines expanded from the fold show what the per-chip replay's show") {
  g_exact = g_within_quantum = 0;
  const ChipSpec chip = test::tpu_v4_chip();
  for (const auto& [shape_text, wrap, kind, axes] :
       {std::tuple{"4x4x4", "auto", CollectiveKind::all_gather, "xy"},
        std::tuple{"4x4x4", "auto", CollectiveKind::all_to_all, "xyz"},
        std::tuple{"4x4x1", "x", CollectiveKind::reduce_scatter, "xy"},
        std::tuple{"4x4x4", "auto", CollectiveKind::permute, "xy"}}) {
    const TorusShape shape = shape_with_wrap(shape_text, wrap);
    const Torus torus(shape);
    const CollectiveSpec spec = test::collective_spec(kind, axes, 2 * kMiB + 3);
    const CollectivePlan folded =
        plan_collective_replay(spec, torus, ReplayMode::automatic, "c", FoldPurpose::timeline);
    REQUIRE(folded.folded);
    const std::vector<double> per_chip = test::run_isolated([&]() {
      const CollectivePlan plan = plan_collective_replay(spec, torus, ReplayMode::per_chip, "c");
      return timeline_summary(build_timeline(plan.program, torus, chip,
                                             replay(chip, torus, plan.program, capture()), ""));
    });
    const std::vector<double> from_fold = test::run_isolated([&]() {
      ReplayResult result = replay_folded(chip, torus, folded.group, folded.program, capture());
      result.tasks = expand_folded_records(result.tasks, torus, folded.group);
      return timeline_summary(
          build_timeline(expand_folded(folded.program, torus, folded.group), torus, chip, result, ""));
    });
    check_same(per_chip, from_fold,
               std::string(collective_kind_name(kind)) + " over " + axes + " on " + shape.name() +
                   " (" + folded.group.describe() + ")");
  }
  // Decode steps: without loops (one representative), and with Looped CollectiveEinsum, whose
  // one-hop multi-axis rings are not translations: the strict (timeline) fold then keeps more
  // representatives, or none.
  int folded_steps = 0;
  for (const char* einsum : {"collective_einsum=off", "collective_einsum=looped"}) {
    const Scenario scenario = config::load_scenario(
        PODSIM_TEST_DIR "/../scenarios/t2-low-latency-decode.yaml", {einsum});
    Trace trace = generate_trace(scenario);
    trace.steps.resize(1);
    std::vector<StepTrace> kept = trace.steps.to_vector();
    for (StepTrace& step : kept)
      for (LayerTrace& layer : step.layers) layer.repeat = std::min(layer.repeat, 2);
    trace.steps = kept;
    const Torus torus(scenario.shape);
    const ReplayPlan plan =
        plan_trace_replay(trace, torus, false, ReplayMode::automatic, FoldPurpose::timeline);
    INFO(einsum << ": " << (plan.folded ? plan.group.describe() : plan.reason));
    if (!plan.folded) continue;
    ++folded_steps;
    const std::vector<double> per_chip = test::run_isolated([&]() {
      const ReplayPlan reference = plan_trace_replay(trace, torus, false, ReplayMode::per_chip);
      return timeline_summary(build_timeline(reference.lowered.program, torus,
                                             scenario.platform.chip,
                                             replay(scenario.platform.chip, torus,
                                                    reference.lowered.program, capture()),
                                             ""));
    });
    const std::vector<double> from_fold = test::run_isolated([&]() {
      ReplayResult result = replay_folded(scenario.platform.chip, torus, plan.group,
                                          plan.lowered.program, capture());
      result.tasks = expand_folded_records(result.tasks, torus, plan.group);
      return timeline_summary(build_timeline(expand_folded(plan.lowered.program, torus, plan.group),
                                             torus, scenario.platform.chip, result, ""));
    });
    check_same(per_chip, from_fold,
               std::string("t2-low-latency-decode step, ") + einsum + " (" + plan.group.describe() + ")");
  }
  CHECK(folded_steps >= 1);
}

TEST_CASE("folded steps on meshes and partly wrapped slices equal the per-chip replay") {
  g_exact = g_within_quantum = 0;
  compare_timing("palm-8b-8chips", {}, false, 2);
  compare_timing("t2-low-latency-decode", {"wrap=xy"}, false);
  compare_timing("t2-low-latency-prefill", {"wrap=z", "collective_einsum=off"}, false);
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

// With `ring_order: snake` a loop over one axis is a plain ring, which folds; a loop over several
// axes is the first version's one snake ring over all of them, whose closing step takes two hops
// and whose positions no translation maps onto each other: the automatic replay must not fold
// it (and says why), while a forced fold still runs, every chip its own representative.
TEST_CASE("Table 2 steps with snake rings fold unless a loop goes round several axes") {
  int multi = 0;
  for (const char* name : {"t2-low-latency-prefill", "t2-low-latency-decode"}) {
    const Scenario scenario = config::load_scenario(
        PODSIM_TEST_DIR "/../scenarios/" + std::string(name) + ".yaml", {"ring_order=snake"});
    Trace trace = generate_trace(scenario);
    trace.steps.resize(1);
    bool multi_axis_loop = false;
    const StepTrace step = trace.steps[0];
    for (const LayerTrace& layer : step.layers)
      for (const auto& [e, c] : kept_loops(scenario.shape, scenario, layer))
        multi_axis_loop = multi_axis_loop || layer.ops[c].collective.axes.size() > 1;
    multi += multi_axis_loop;
    const Torus torus(scenario.shape);
    const ReplayPlan plan = plan_trace_replay(trace, torus, false, ReplayMode::automatic);
    INFO(name << ": " << plan.reason);
    CHECK(plan.folded == !multi_axis_loop);
    if (!plan.folded) CHECK(plan.reason.find("translated") != std::string::npos);
    CHECK_NOTHROW(plan_trace_replay(trace, torus, false, ReplayMode::folded));
  }
  CHECK(multi > 0);  // both cases are exercised
}

}  // namespace podsim
