// The collective algorithms (algorithms.hpp) against brute force, without simulating: the groups
// of an axis set enumerated from coordinates, and the sends of each lowered collective counted
// and summed per chip and per group. References from the algorithm descriptions: a ring of K
// chips with per-chip larger size S sends K-1 steps of S/K (one direction) or of S/(2K) each way
// (bidirectional); whatever the path, every one of the K shards must reach the K-1 other chips,
// so a group sends (K-1) S in total for an all-gather or a reduce-scatter; an all-to-all sends
// S/K from every chip to every other; a permute sends S once.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "sim/program/algorithms.hpp"
#include "test/support/specs.hpp"

namespace podsim {
namespace {

Program lower(const TorusShape& shape, const CollectiveSpec& spec) {
  validate_collective(spec, shape);
  const Torus torus(shape);
  Program program(torus.chip_count());
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask), 0);
  return program;
}

struct Sends {
  int count = 0;
  Bytes bytes = 0;
  std::set<ChipId> peers;
};

Sends sends_of(const ChipProgram& chip) {
  Sends s;
  for (const Task& t : chip.tasks)
    if (t.kind == TaskKind::send) {
      ++s.count;
      s.bytes += t.bytes;
      s.peers.insert(t.peer);
    }
  return s;
}

// Brute force: chips grouped by their coordinates outside `axes`.
std::vector<std::vector<ChipId>> brute_force_groups(const Torus& torus, const AxisSet& axes) {
  std::map<std::array<int, 3>, std::vector<ChipId>> by_key;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const Coord at = torus.coord(c);
    std::array<int, 3> key{};
    for (Axis a : {Axis::x, Axis::y, Axis::z}) key[static_cast<int>(a)] = axes.contains(a) ? -1 : at[a];
    by_key[key].push_back(c);
  }
  std::vector<std::vector<ChipId>> groups;
  for (auto& [key, chips] : by_key) groups.push_back(chips);
  std::sort(groups.begin(), groups.end());
  return groups;
}

}  // namespace

TEST_CASE("groups of an axis set are the chips sharing every other coordinate") {
  for (const char* shape_text : {"2x2x2", "4x4x4", "2x4x8", "4x2x1"}) {
    const Torus torus(test::shape_of(shape_text));
    for (const char* axes_text : {"x", "y", "z", "xy", "yz", "xz", "xyz"}) {
      CAPTURE(shape_text, axes_text);
      const AxisSet axes = parse_axes(axes_text, "axes");
      auto groups = groups_of(torus, axes);
      for (const auto& g : groups) CHECK(std::is_sorted(g.begin(), g.end()));
      CHECK(std::is_sorted(groups.begin(), groups.end()));
      CHECK(groups == brute_force_groups(torus, axes));
    }
  }
}

TEST_CASE("bidirectional ring all-gather sends K-1 steps of S/(2K) each way on every chip") {
  const Bytes s = 8 * kMiB;
  for (const char* axes : {"x", "y", "z"}) {
    CAPTURE(axes);
    const TorusShape shape = test::shape_of("4x4x4");
    const Program program = lower(shape, test::collective_spec(CollectiveKind::all_gather, axes, s,
                                                 RingAlgorithm::bidir_ring));
    const Torus torus(shape);
    for (ChipId c = 0; c < torus.chip_count(); ++c) {
      const Sends sends = sends_of(program.chips[c]);
      CHECK(sends.count == 2 * 3);
      CHECK(sends.bytes == 3 * 2 * (s / 8));
      // Only the two ring neighbours, one hop away.
      const auto ring = torus.group_of(c, parse_axes(axes, "axes"));
      CHECK(sends.peers.size() == 2);
      for (ChipId p : sends.peers) {
        CHECK(std::find(ring.begin(), ring.end(), p) != ring.end());
        CHECK(torus.route_hops(c, p) == 1);
      }
    }
  }
}

TEST_CASE("unidirectional ring all-gather sends K-1 full shards to one neighbour") {
  const Bytes s = 8 * kMiB;
  const TorusShape shape = test::shape_of("4x4x4");
  const Program program =
      lower(shape, test::collective_spec(CollectiveKind::all_gather, "x", s, RingAlgorithm::ring));
  for (const ChipProgram& chip : program.chips) {
    const Sends sends = sends_of(chip);
    CHECK(sends.count == 3);
    CHECK(sends.bytes == 3 * (s / 4));
    CHECK(sends.peers.size() == 1);
  }
}

TEST_CASE("every all-gather and reduce-scatter sends (K-1) S per group, whatever the path") {
  const Bytes s = 3 * kMiB * 4;  // divisible by every group size used here
  for (const char* shape_text : {"4x4x4", "4x2x2", "2x2x2", "4x4x2"})
    for (CollectiveKind kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter})
      for (const char* axes_text : {"x", "xy", "xyz"})
        for (MultiAxis multi : {MultiAxis::sequential, MultiAxis::concurrent}) {
          const TorusShape shape = test::shape_of(shape_text);
          const CollectiveSpec spec =
              test::collective_spec(kind, axes_text, s, RingAlgorithm::automatic, multi);
          CAPTURE(shape_text, collective_kind_name(kind), axes_text, multi_axis_name(multi));
          const Program program = lower(shape, spec);
          const Torus torus(shape);
          for (const auto& group : groups_of(torus, spec.axes)) {
            Bytes total = 0;
            for (ChipId c : group) total += sends_of(program.chips[c]).bytes;
            const double k = static_cast<double>(group.size());
            CHECK(static_cast<double>(total) == Approx((k - 1) * static_cast<double>(s)));
          }
        }
}

TEST_CASE("all-reduce sends what a reduce-scatter and an all-gather send together") {
  const TorusShape shape = test::shape_of("4x4x4");
  const Bytes s = 16 * kMiB;
  const Program ar = lower(shape, test::collective_spec(CollectiveKind::all_reduce, "xy", s));
  const Program rs = lower(shape, test::collective_spec(CollectiveKind::reduce_scatter, "xy", s));
  const Program ag = lower(shape, test::collective_spec(CollectiveKind::all_gather, "xy", s));
  for (ChipId c = 0; c < 64; ++c) {
    const Sends a = sends_of(ar.chips[c]), r = sends_of(rs.chips[c]), g = sends_of(ag.chips[c]);
    CHECK(a.count == r.count + g.count);
    CHECK(a.bytes == r.bytes + g.bytes);
  }
}

TEST_CASE("all-to-all sends S/K from every chip straight to every other chip of its group") {
  const Bytes s = 64 * kMiB;
  for (const char* shape_text : {"4x4x4", "2x4x8"})
    for (const char* axes_text : {"x", "yz", "xyz"}) {
      CAPTURE(shape_text, axes_text);
      const TorusShape shape = test::shape_of(shape_text);
      const Torus torus(shape);
      const AxisSet axes = parse_axes(axes_text, "axes");
      const Program program = lower(shape, test::collective_spec(CollectiveKind::all_to_all, axes_text, s));
      for (ChipId c = 0; c < torus.chip_count(); ++c) {
        const auto group = torus.group_of(c, axes);
        const Bytes k = static_cast<Bytes>(group.size());
        const Sends sends = sends_of(program.chips[c]);
        CHECK(sends.count == k - 1);
        CHECK(sends.bytes == (k - 1) * (s / k));
        std::set<ChipId> others(group.begin(), group.end());
        others.erase(c);
        CHECK(sends.peers == others);
        for (const Task& t : program.chips[c].tasks)
          if (t.kind == TaskKind::send) CHECK(t.hops == torus.route_hops(c, t.peer));
      }
    }
}

TEST_CASE("permute sends the whole buffer once to a chip of the group") {
  const Bytes s = 4 * kMiB;
  const TorusShape shape = test::shape_of("4x4x4");
  const Torus torus(shape);
  const Program program = lower(shape, test::collective_spec(CollectiveKind::permute, "x", s));
  std::set<ChipId> receivers;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const Sends sends = sends_of(program.chips[c]);
    REQUIRE(sends.count == 1);
    CHECK(sends.bytes == s);
    const ChipId to = *sends.peers.begin();
    CHECK(to != c);
    CHECK(torus.route_hops(c, to) == 1);  // the next chip of a wrapped ring
    const auto ring = torus.group_of(c, parse_axes("x", "axes"));
    CHECK(std::find(ring.begin(), ring.end(), to) != ring.end());
    receivers.insert(to);
  }
  CHECK(receivers.size() == 64u);  // a permutation: every chip receives once
}

TEST_CASE("ring phases: sequential is one part of one phase per axis, concurrent one per axis") {
  const TorusShape shape = test::shape_of("4x4x4");
  const Bytes s = 64 * kMiB;
  const auto seq =
      ring_collective_parts(test::collective_spec(CollectiveKind::all_gather, "xyz", s, RingAlgorithm::automatic,
                                    MultiAxis::sequential),
                            shape);
  REQUIRE(seq.size() == 1);
  REQUIRE(seq[0].size() == 3);
  // An all-gather grows the buffer: the phases' larger sizes are S/16, S/4, S (K = 4 per axis).
  std::vector<Bytes> sizes;
  for (const RingPhase& p : seq[0]) {
    sizes.push_back(p.larger_bytes);
    CHECK_FALSE(p.reduce);
  }
  std::sort(sizes.begin(), sizes.end());
  CHECK(sizes == std::vector<Bytes>{s / 16, s / 4, s});
  const auto conc = ring_collective_parts(test::collective_spec(CollectiveKind::all_gather, "xyz", s), shape);
  REQUIRE(conc.size() == 3);
  std::set<Axis> first_axes;
  for (const auto& part : conc) {
    REQUIRE(part.size() == 3);
    first_axes.insert(part[0].axis);
    std::set<Axis> axes;
    for (const RingPhase& p : part) axes.insert(p.axis);
    CHECK(axes.size() == 3);  // every part visits every axis
  }
  CHECK(first_axes.size() == 3);  // rotated: every axis works in the first phase
  const auto rs = ring_collective_parts(test::collective_spec(CollectiveKind::reduce_scatter, "x", s), shape);
  REQUIRE(rs.size() == 1);
  REQUIRE(rs[0].size() == 1);
  CHECK(rs[0][0].reduce);
  CHECK(rs[0][0].larger_bytes == s);
}

}  // namespace podsim
