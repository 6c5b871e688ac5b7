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

TEST_CASE("snake rings over several axes fail the fold check and one-hop rings pass it") {
  // The snake's closing step over xyz takes two hops, and over yz its peers are not translated:
  // the witnesses see both. The Hamiltonian rings are one hop per step: they pass, on every chip.
  for (const char* shape : {"4x4x4", "8x4x4", "4x8x8"}) {
    const Torus torus(test::shape_of(shape));
    for (RingOrder order : {RingOrder::snake, RingOrder::hamiltonian})
      for (const char* axes : {"x", "yz", "xz", "xyz"}) {
        const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_gather, axes, kMiB);
        const auto lower = [&](Program program) {
          Frontier frontier(torus.chip_count(), kNoTask);
          append_looped_einsum(program, torus, LoopedKind::all_gather_then_einsum, spec,
                               EinsumWork{1e12, 1 << 20, 0}, test::tpu_v4_chip(), 0, frontier,
                               order);
          return program;
        };
        const auto full = translation_violation(lower(Program(torus.chip_count())), torus);
        const auto sampled = translation_violation(
            lower(Program::subset(torus.chip_count(), fold_witnesses(torus))), torus);
        INFO(shape << " " << axes << " " << ring_order_name(order));
        CHECK(full.has_value() == (order == RingOrder::snake && std::string(axes) == "xyz"));
        CHECK(sampled.has_value() == full.has_value());
      }
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

TEST_CASE("on meshes and partly wrapped slices the fold keeps one representative per coordinate of the other axes") {
  const TorusShape mesh = test::shape_of("2x2x2");  // below 4x4x4: no wraparound on TPU v4
  REQUIRE(fold_shape_violation(mesh).has_value());
  const Torus torus(mesh);
  const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_gather, "x", kMiB);
  // Nothing wraps: automatic replays every chip, a forced fold takes every chip as its own
  // representative.
  CHECK_FALSE(plan_collective_replay(spec, torus, ReplayMode::automatic, "c").folded);
  const CollectivePlan forced = plan_collective_replay(spec, torus, ReplayMode::folded, "c");
  CHECK(forced.folded);
  CHECK(forced.group.representative_count() == 8);
  const Torus cube(test::shape_of("4x4x4"));
  CHECK(plan_collective_replay(spec, cube, ReplayMode::automatic, "c").group.representative_count() == 1);
  CHECK_FALSE(plan_collective_replay(spec, cube, ReplayMode::per_chip, "c").folded);
  // A permute over xy goes to the next chip in id order within each xy plane, x fastest:
  // (x, y) -> (x + 1, y), and (3, y) -> (0, y + 1 mod 4). That is no translation along x, but it
  // is one along y (and z): the fold keeps the 4 chips of the x axis.
  const CollectiveSpec shift = test::collective_spec(CollectiveKind::permute, "xy", kMiB);
  const CollectivePlan planes = plan_collective_replay(shift, cube, ReplayMode::automatic, "c");
  REQUIRE(planes.folded);
  CHECK(planes.group.folded().name() == "yz");
  CHECK(planes.group.representative_count() == 4);
  // Over xyz in id order, along z only: the 16 chips of plane z = 0.
  const CollectiveSpec all = test::collective_spec(CollectiveKind::permute, "xyz", kMiB);
  const CollectivePlan cube_plan = plan_collective_replay(all, cube, ReplayMode::automatic, "c");
  REQUIRE(cube_plan.folded);
  CHECK(cube_plan.group.folded().name() == "z");
  CHECK(cube_plan.group.representative_count() == 16);
  // 4x4x1 with only x wrapping: one representative per y.
  TorusShape half = test::shape_of("4x4x1");
  half.wraps = *parse_wrap("x", "wrap");
  const Torus line(half);
  const CollectivePlan rows = plan_collective_replay(spec, line, ReplayMode::automatic, "c");
  REQUIRE(rows.folded);
  CHECK(rows.group.representative_count() == 4);
  CHECK(rows.group.describe() == "x folded, 4 representatives");
  CHECK(parse_replay_mode("per-chip", "--replay") == ReplayMode::per_chip);
  CHECK_THROWS_AS(parse_replay_mode("fold", "--replay"), InputError);
}

TEST_CASE("a fold group's representatives and offsets rebuild every chip") {
  TorusShape shape = test::shape_of("4x2x4");
  shape.wraps = *parse_wrap("xz", "wrap");
  const Torus torus(shape);
  for (const char* axes : {"", "x", "z", "xz"}) {
    const FoldGroup used(torus, axes[0] ? parse_axes(axes, "axes") : AxisSet{});
    int expected = torus.chip_count();
    for (Axis a : used.folded().axes()) expected /= torus.shape().size(a);
    CHECK(used.representative_count() == expected);
    CHECK(used.orbit_size() * used.representative_count() == torus.chip_count());
    for (ChipId c = 0; c < torus.chip_count(); ++c) {
      const ChipId r = used.representative_of(c);
      CHECK(used.index_of(r) >= 0);
      CHECK(translate(torus, r, used.offset_of(c)) == c);
      for (Axis a : kAxes)  // the representative sits at 0 on the folded axes only
        CHECK((torus.coord(r)[a] == 0) == (used.folded().contains(a) || torus.coord(c)[a] == 0));
    }
  }
}

}  // namespace podsim
