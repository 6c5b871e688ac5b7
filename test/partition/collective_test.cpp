// What a collective is (collective.hpp): names that read back, the algorithm `auto` resolves to
// (bidirectional ring where the axis wraps, line where it does not), and the specs that cannot
// run, each refused with an InputError before anything is lowered.

#include <catch2/catch.hpp>

#include "sim/partition/collective.hpp"
#include "test/support/specs.hpp"

namespace podsim {

TEST_CASE("collective, algorithm and multi-axis names read back to what they name") {
  for (CollectiveKind kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                              CollectiveKind::all_reduce, CollectiveKind::all_to_all,
                              CollectiveKind::permute})
    CHECK(parse_collective_kind(collective_kind_name(kind), "op") == kind);
  CHECK(collective_kind_names().size() == 5u);
  for (RingAlgorithm a : {RingAlgorithm::automatic, RingAlgorithm::bidir_ring, RingAlgorithm::ring,
                          RingAlgorithm::line})
    CHECK(parse_ring_algorithm(ring_algorithm_name(a), "algorithm") == a);
  CHECK(ring_algorithm_names().size() == 4u);
  for (MultiAxis m : {MultiAxis::concurrent, MultiAxis::sequential})
    CHECK(parse_multi_axis(multi_axis_name(m), "multi_axis") == m);
  CHECK(collective_kind_name(CollectiveKind::all_gather) == "all-gather");
  CHECK_THROWS_AS(parse_collective_kind("all_gathr", "op"), InputError);
  CHECK_THROWS_AS(parse_ring_algorithm("tree", "algorithm"), InputError);
}

TEST_CASE("auto is the bidirectional ring on a wrapped axis and the line on a mesh axis") {
  const TorusShape cube = test::shape_of("4x4x4");  // a full cube: every axis wraps
  const TorusShape slab = test::shape_of("4x2x2");  // no wraparound on TPU v4
  for (Axis a : {Axis::x, Axis::y, Axis::z}) {
    REQUIRE(cube.wrapped(a));
    CHECK(effective_algorithm(RingAlgorithm::automatic, cube, a) == RingAlgorithm::bidir_ring);
  }
  REQUIRE_FALSE(slab.wrapped(Axis::x));
  CHECK(effective_algorithm(RingAlgorithm::automatic, slab, Axis::x) == RingAlgorithm::line);
  // An explicit choice is kept as it is.
  CHECK(effective_algorithm(RingAlgorithm::ring, cube, Axis::x) == RingAlgorithm::ring);
  CHECK(effective_algorithm(RingAlgorithm::line, cube, Axis::x) == RingAlgorithm::line);
}

TEST_CASE("specs that cannot run are refused before lowering") {
  const TorusShape cube = test::shape_of("4x4x4");
  const auto spec = [](const char* axes, Bytes bytes, RingAlgorithm a = RingAlgorithm::automatic,
                       MultiAxis m = MultiAxis::concurrent) {
    return test::collective_spec(CollectiveKind::all_gather, axes, bytes, a, m);
  };
  CHECK_NOTHROW(validate_collective(spec("xyz", 1 * kMiB), cube));
  // Axis of size 1: nobody to talk to.
  CHECK_THROWS_AS(validate_collective(spec("z", 1 * kMiB), test::shape_of("4x4x1")), InputError);
  // A ring needs a wrapped axis; the line and auto do not.
  const TorusShape slab = test::shape_of("4x2x2");
  CHECK_THROWS_AS(validate_collective(spec("x", 1 * kMiB, RingAlgorithm::ring), slab), InputError);
  CHECK_THROWS_AS(validate_collective(spec("x", 1 * kMiB, RingAlgorithm::bidir_ring), slab),
                  InputError);
  CHECK_NOTHROW(validate_collective(spec("x", 1 * kMiB, RingAlgorithm::line), slab));
  CHECK_NOTHROW(validate_collective(spec("x", 1 * kMiB), slab));
  // No bytes, or too few to split: over 64 chips, in 3 parts (one per axis), half each way,
  // every chip needs 64 x 3 x 2 = 384 bytes at least; one part when sequential: 128.
  CHECK_THROWS_AS(validate_collective(spec("xyz", 0), cube), InputError);
  CHECK_THROWS_AS(validate_collective(spec("xyz", 383), cube), InputError);
  CHECK_NOTHROW(validate_collective(spec("xyz", 384), cube));
  CHECK_THROWS_AS(validate_collective(
                      spec("xyz", 127, RingAlgorithm::automatic, MultiAxis::sequential), cube),
                  InputError);
  CHECK_NOTHROW(
      validate_collective(spec("xyz", 128, RingAlgorithm::automatic, MultiAxis::sequential), cube));
  // All-to-all and permute have no ring to wrap: any algorithm setting is ignored on a mesh.
  CHECK_NOTHROW(validate_collective(
      test::collective_spec(CollectiveKind::all_to_all, "x", 1 * kMiB, RingAlgorithm::ring), slab));
}

TEST_CASE("a collective over no axes is refused") {
  CollectiveSpec spec;
  spec.bytes = 1 * kMiB;
  CHECK_THROWS_AS(validate_collective(spec, test::shape_of("4x4x4")), InputError);
}

}  // namespace podsim
