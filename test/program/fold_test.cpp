// The fold's symmetry against brute force: every chip's lowered program compared with chip 0's
// translated, on every chip of the slice, and the witnesses' verdict against that full check.

#include <catch2/catch.hpp>

#include <string>

#include "sim/core/input_error.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/looped_einsum.hpp"
#include "test/support/specs.hpp"

namespace podsim {
namespace {

const CollectiveKind kKinds[] = {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                                 CollectiveKind::all_reduce, CollectiveKind::all_to_all,
                                 CollectiveKind::permute};
const char* const kAxisSets[] = {"x", "y", "z", "xy", "yz", "xz", "xyz"};

Program lowered(const Torus& torus, const CollectiveSpec& spec, Program program) {
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), 0);
  return program;
}

// Axes of `axes` of size above 1 on `shape`.
int long_axes(const TorusShape& shape, const char* axes) {
  int n = 0;
  for (Axis a : parse_axes(axes, "axes").axes()) n += shape.size(a) > 1;
  return n;
}

}  // namespace

TEST_CASE("every chip runs chip 0's collective program translated on wrapped slices") {
  for (const char* shape_text : {"4x4x4", "8x4x4", "4x8x8"}) {
    const Torus torus(test::shape_of(shape_text));
    REQUIRE_FALSE(fold_shape_violation(torus.shape()));
    for (CollectiveKind kind : kKinds)
      for (const char* axes : kAxisSets)
        for (RingAlgorithm algorithm : {RingAlgorithm::bidir_ring, RingAlgorithm::ring})
          for (MultiAxis multi : {MultiAxis::concurrent, MultiAxis::sequential}) {
            const CollectiveSpec spec =
                test::collective_spec(kind, axes, 3 * kMiB + 7, algorithm, multi);
            validate_collective(spec, torus.shape());
            Program every(torus.chip_count());
            every.relative_order = true;
            const auto full = translation_violation(lowered(torus, spec, std::move(every)), torus);
            const auto sampled = translation_violation(
                lowered(torus, spec, Program::subset(torus.chip_count(), fold_witnesses(torus))),
                torus);
            INFO(shape_text << " " << collective_kind_name(kind) << " over " << axes << " "
                            << ring_algorithm_name(algorithm) << " " << multi_axis_name(multi)
                            << ": " << full.value_or("invariant"));
            // A permute over several axes goes to the next chip in id order (x fastest), which
            // jumps rows at the end of each: not a translation. Everything else is.
            const bool invariant =
                !(kind == CollectiveKind::permute && long_axes(torus.shape(), axes) > 1);
            CHECK(full.has_value() == !invariant);
            CHECK(sampled.has_value() == full.has_value());
          }
  }
}

TEST_CASE("a looped einsum over several axes loops one axis and is translation invariant") {
  // Issue 13: a multi-axis Looped CollectiveEinsum loops over one axis (a ring along it, the same
  // on every chip up to translation) with a plain collective over the others, so the fold applies
  // to every axis set; before, one snake ring over all the axes' chips was not translation
  // invariant, and the witnesses saw it.
  const Torus torus(test::shape_of("4x4x4"));
  for (const char* axes : {"x", "yz", "xyz"}) {
    const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_gather, axes, kMiB);
    const auto lower = [&](Program program) {
      Frontier frontier(torus.chip_count(), kNoTask);
      append_looped_einsum(program, torus, LoopedKind::all_gather_then_einsum, spec,
                           EinsumWork{1e12, 1 << 20, 0}, test::tpu_v4_chip(), 0, frontier);
      return program;
    };
    const auto full = translation_violation(lower(Program(torus.chip_count())), torus);
    const auto sampled = translation_violation(
        lower(Program::subset(torus.chip_count(), fold_witnesses(torus))), torus);
    INFO(axes);
    CHECK_FALSE(full.has_value());
    CHECK(sampled.has_value() == full.has_value());
  }
}

TEST_CASE("a subset program lowers exactly the chosen chips, as the full lowering does") {
  const Torus torus(test::shape_of("4x4x4"));
  const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_reduce, "xyz", kMiB);
  const Program full = lowered(torus, spec, Program(torus.chip_count()));
  const Program some = lowered(torus, spec, Program::subset(torus.chip_count(), {0, 5, 63}));
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const bool kept = c == 0 || c == 5 || c == 63;
    CHECK(some.chips[c].tasks.size() == (kept ? full.chips[c].tasks.size() : 0));
  }
}

TEST_CASE("translate and negate follow the torus coordinates modulo each axis") {
  const Torus torus(test::shape_of("8x4x4"));
  const ChipId a = torus.chip(Coord{{7, 1, 3}}), b = torus.chip(Coord{{2, 3, 3}});
  CHECK(translate(torus, a, b) == torus.chip(Coord{{1, 0, 2}}));
  CHECK(negate(torus, a) == torus.chip(Coord{{1, 3, 1}}));
  for (ChipId c = 0; c < torus.chip_count(); ++c) CHECK(translate(torus, c, negate(torus, c)) == 0);
}

TEST_CASE("the fold is refused where an axis does not wrap, and explained") {
  const TorusShape mesh = test::shape_of("2x2x2");  // below 4x4x4: no wraparound on TPU v4
  REQUIRE(fold_shape_violation(mesh).has_value());
  const Torus torus(mesh);
  const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_gather, "x", kMiB);
  CHECK_FALSE(plan_collective_replay(spec, torus, ReplayMode::automatic, "c").folded);
  CHECK_THROWS_AS(plan_collective_replay(spec, torus, ReplayMode::folded, "c"), InputError);
  const Torus cube(test::shape_of("4x4x4"));
  CHECK(plan_collective_replay(spec, cube, ReplayMode::automatic, "c").folded);
  CHECK_FALSE(plan_collective_replay(spec, cube, ReplayMode::per_chip, "c").folded);
  const CollectiveSpec shift = test::collective_spec(CollectiveKind::permute, "xy", kMiB);
  CHECK_FALSE(plan_collective_replay(shift, cube, ReplayMode::automatic, "c").folded);
  CHECK_THROWS_AS(plan_collective_replay(shift, cube, ReplayMode::folded, "c"), InputError);
  CHECK(parse_replay_mode("per-chip", "--replay") == ReplayMode::per_chip);
  CHECK_THROWS_AS(parse_replay_mode("fold", "--replay"), InputError);
}

}  // namespace podsim
