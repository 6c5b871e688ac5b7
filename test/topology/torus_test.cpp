// Torus topology: every route of several slices is checked against references computed here —
// a breadth-first search written in this file, the closed-form torus distance, and the
// dimension-order rule derived from coordinates — never against values the code printed.

#include "sim/topology/torus.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <queue>
#include <set>
#include <string>
#include <vector>

namespace podsim {
namespace {

TorusShape make_shape(int x, int y, int z, std::array<bool, 3> wraps) {
  TorusShape s;
  s.dims = {x, y, z};
  s.wraps = wraps;
  return s;
}

// x-fastest coordinates, from the definition in the header: id = x + X * (y + Y * z).
std::array<int, 3> coords_of(const TorusShape& s, int id) {
  return {id % s.dims[0], (id / s.dims[0]) % s.dims[1], id / (s.dims[0] * s.dims[1])};
}
int id_of(const TorusShape& s, std::array<int, 3> c) {
  return c[0] + s.dims[0] * (c[1] + s.dims[1] * c[2]);
}

// The chip one step along axis a in the given direction, from coordinates alone; -1 if none.
int expected_neighbor(const TorusShape& s, int id, int a, bool positive) {
  const int n = s.dims[a];
  if (n == 1) return -1;
  auto c = coords_of(s, id);
  int next = c[a] + (positive ? 1 : -1);
  if (next < 0 || next >= n) {
    if (!s.wraps[a]) return -1;
    next = (next + n) % n;
  }
  c[a] = next;
  return id_of(s, c);
}

// Plain BFS over Torus::neighbor, independent of the Boost.Graph search in bfs_hops.
std::vector<int> brute_force_bfs(const Torus& t, ChipId src) {
  std::vector<int> dist(t.chip_count(), -1);
  std::queue<ChipId> queue;
  dist[src] = 0;
  queue.push(src);
  while (!queue.empty()) {
    const ChipId at = queue.front();
    queue.pop();
    for (int d = 0; d < kDirections; ++d)
      if (auto n = t.neighbor(at, static_cast<Direction>(d)); n && dist[*n] < 0) {
        dist[*n] = dist[at] + 1;
        queue.push(*n);
      }
  }
  return dist;
}

// Closed-form hop distance on a torus/mesh: per axis, |d| on a mesh, min(d, n - d) on a ring.
int closed_form_distance(const TorusShape& s, int a_id, int b_id) {
  const auto a = coords_of(s, a_id), b = coords_of(s, b_id);
  int total = 0;
  for (int i = 0; i < 3; ++i) {
    const int d = std::abs(b[i] - a[i]);
    total += s.wraps[i] ? std::min(d, s.dims[i] - d) : d;
  }
  return total;
}

// Checks every (src, dst) route of the slice against all references.
void check_every_route(const TorusShape& shape) {
  const Torus t(shape);
  const int n = t.chip_count();
  for (ChipId src = 0; src < n; ++src) {
    const std::vector<int> bfs = brute_force_bfs(t, src);
    const std::vector<int> boost_bfs = t.bfs_hops(src);
    REQUIRE(boost_bfs.size() == static_cast<std::size_t>(n));
    const auto sc = coords_of(shape, src);
    for (ChipId dst = 0; dst < n; ++dst) {
      INFO("shape " << shape.name() << " src " << src << " dst " << dst);
      const std::vector<Hop> route = t.route(src, dst);
      const auto dc = coords_of(shape, dst);

      // A valid walk of existing links from src to dst.
      ChipId at = src;
      for (const Hop& hop : route) {
        REQUIRE(hop.from == at);
        const int a = static_cast<int>(axis_of(hop.direction));
        const int next = expected_neighbor(shape, at, a, is_positive(hop.direction));
        REQUIRE(next >= 0);
        REQUIRE(t.neighbor(at, hop.direction) == std::optional<ChipId>(next));
        at = next;
      }
      REQUIRE(at == dst);

      // Shortest: equal to our BFS, to the closed form, and to bfs_hops / route_hops.
      REQUIRE(bfs[dst] >= 0);
      REQUIRE(static_cast<int>(route.size()) == bfs[dst]);
      REQUIRE(bfs[dst] == closed_form_distance(shape, src, dst));
      REQUIRE(boost_bfs[dst] == bfs[dst]);
      REQUIRE(t.route_hops(src, dst) == bfs[dst]);

      // Dimension order: axes never decrease along the route; per axis one direction and the
      // hop count the rule prescribes (shorter way on a ring, ties positive; straight on a mesh).
      for (std::size_t i = 1; i < route.size(); ++i)
        REQUIRE(static_cast<int>(axis_of(route[i - 1].direction)) <=
                static_cast<int>(axis_of(route[i].direction)));
      for (int a = 0; a < 3; ++a) {
        int expected_steps;  // signed
        const int size = shape.dims[a];
        if (shape.wraps[a]) {
          const int forward = ((dc[a] - sc[a]) % size + size) % size;
          expected_steps = forward <= size - forward ? forward : forward - size;
        } else {
          expected_steps = dc[a] - sc[a];
        }
        int positive = 0, negative = 0;
        for (const Hop& hop : route)
          if (static_cast<int>(axis_of(hop.direction)) == a)
            (is_positive(hop.direction) ? positive : negative) += 1;
        if (expected_steps >= 0) {
          REQUIRE(positive == expected_steps);
          REQUIRE(negative == 0);
        } else {
          REQUIRE(negative == -expected_steps);
          REQUIRE(positive == 0);
        }
      }
    }
  }
}

constexpr std::array<bool, 3> kAll = {true, true, true};
constexpr std::array<bool, 3> kNone = {false, false, false};

}  // namespace

TEST_CASE("every route on 2x2x2 is a shortest dimension-order walk", "[torus]") {
  const TorusShape s = parse_shape("2x2x2", "--shape");
  REQUIRE(s.wraps == kNone);  // 2 is not a multiple of 4: a mesh
  check_every_route(s);
}

TEST_CASE("every route on wrapped 4x4x4 is a shortest dimension-order walk", "[torus]") {
  const TorusShape s = parse_shape("4x4x4", "--shape");
  REQUIRE(s.wraps == kAll);
  check_every_route(s);
}

TEST_CASE("every route on the mesh 4x2x3 is a shortest dimension-order walk", "[torus]") {
  const TorusShape s = parse_shape("4x2x3", "--shape");
  REQUIRE(s.wraps == kNone);
  check_every_route(s);
}

TEST_CASE("every route on the mesh 3x4x2 is a shortest dimension-order walk", "[torus]") {
  const TorusShape s = parse_shape("3x4x2", "--shape");
  REQUIRE(s.wraps == kNone);
  check_every_route(s);
}

TEST_CASE("every route on 4x4x4 with only x wrapping is a shortest dimension-order walk",
          "[torus]") {
  TorusShape s = parse_shape("4x4x4", "--shape");
  const auto wraps = parse_wrap("x", "--wrap");
  REQUIRE(wraps.has_value());
  s.wraps = *wraps;
  REQUIRE(s.wraps == std::array<bool, 3>{true, false, false});
  check_every_route(s);
}

TEST_CASE("every route on other wrap mixes and odd rings is shortest and dimension-ordered",
          "[torus]") {
  check_every_route(make_shape(8, 4, 4, kAll));                  // ties at distance 4
  check_every_route(make_shape(5, 3, 2, kAll));                  // odd rings, size-2 ring
  check_every_route(make_shape(2, 2, 2, kAll));                  // size-2 rings (parallel links)
  check_every_route(make_shape(4, 4, 1, {false, true, true}));   // size-1 axis
  check_every_route(make_shape(1, 6, 3, {false, true, false}));  // y ring, z mesh
}

TEST_CASE("coord and chip round trip in x-fastest order", "[torus]") {
  for (const TorusShape& s :
       {make_shape(4, 2, 3, kNone), make_shape(4, 4, 4, kAll), make_shape(1, 5, 2, kNone)}) {
    const Torus t(s);
    REQUIRE(t.chip_count() == s.dims[0] * s.dims[1] * s.dims[2]);
    std::set<std::array<int, 3>> seen;
    ChipId id = 0;
    for (int z = 0; z < s.dims[2]; ++z)
      for (int y = 0; y < s.dims[1]; ++y)
        for (int x = 0; x < s.dims[0]; ++x, ++id) {
          const Coord c = t.coord(id);
          REQUIRE(c.v == std::array<int, 3>{x, y, z});
          REQUIRE(t.chip(c) == id);
          seen.insert(c.v);
        }
    REQUIRE(static_cast<int>(seen.size()) == t.chip_count());
  }
}

TEST_CASE("neighbour counts follow wraparound and mesh edges", "[torus]") {
  SECTION("every chip of a wrapped 4x4x4 has all six links") {
    const Torus t(make_shape(4, 4, 4, kAll));
    for (ChipId c = 0; c < t.chip_count(); ++c)
      for (int d = 0; d < kDirections; ++d) REQUIRE(t.has_link(c, static_cast<Direction>(d)));
    REQUIRE(boost::num_edges(t.graph()) == 64u * 6u);
  }
  SECTION("a mesh edge chip lacks the outward link") {
    const TorusShape s = make_shape(4, 2, 3, kNone);
    const Torus t(s);
    const ChipId corner = t.chip(Coord{{0, 0, 0}});
    REQUIRE_FALSE(t.has_link(corner, Direction::nx));
    REQUIRE_FALSE(t.has_link(corner, Direction::ny));
    REQUIRE_FALSE(t.has_link(corner, Direction::nz));
    REQUIRE(t.neighbor(corner, Direction::px) == std::optional<ChipId>(t.chip(Coord{{1, 0, 0}})));
    const ChipId far = t.chip(Coord{{3, 1, 2}});
    REQUIRE_FALSE(t.has_link(far, Direction::px));
    REQUIRE_FALSE(t.has_link(far, Direction::py));
    REQUIRE_FALSE(t.has_link(far, Direction::pz));
    // Count by hand: on a mesh axis of size n an interior chip has 2 links, an end chip 1.
    std::size_t total = 0;
    for (ChipId c = 0; c < t.chip_count(); ++c) {
      const auto xyz = coords_of(s, c);
      int expected = 0, actual = 0;
      for (int a = 0; a < 3; ++a) expected += (xyz[a] > 0) + (xyz[a] < s.dims[a] - 1);
      for (int d = 0; d < kDirections; ++d) actual += t.has_link(c, static_cast<Direction>(d));
      REQUIRE(actual == expected);
      total += actual;
    }
    // Directed links of a mesh: per axis, 2 * (n - 1) * (chips / n).
    REQUIRE(total == 2u * 3 * 6 + 2u * 1 * 12 + 2u * 2 * 8);
    REQUIRE(boost::num_edges(t.graph()) == total);
  }
  SECTION("an axis of size 1 has no links even when marked wrapped") {
    const Torus t(make_shape(4, 4, 1, kAll));
    for (ChipId c = 0; c < t.chip_count(); ++c) {
      REQUIRE_FALSE(t.has_link(c, Direction::pz));
      REQUIRE_FALSE(t.has_link(c, Direction::nz));
      REQUIRE(t.has_link(c, Direction::px));
      REQUIRE(t.has_link(c, Direction::ny));
    }
  }
  SECTION("a wrapped axis closes the ring") {
    const Torus t(make_shape(4, 4, 4, kAll));
    REQUIRE(t.neighbor(t.chip(Coord{{3, 2, 1}}), Direction::px) ==
            std::optional<ChipId>(t.chip(Coord{{0, 2, 1}})));
    REQUIRE(t.neighbor(t.chip(Coord{{3, 0, 1}}), Direction::ny) ==
            std::optional<ChipId>(t.chip(Coord{{3, 3, 1}})));
  }
}

TEST_CASE("rings of each axis have the right count size and order", "[torus]") {
  for (const TorusShape& s : {make_shape(4, 2, 3, kNone), make_shape(4, 4, 4, kAll),
                              make_shape(4, 4, 4, {true, false, false})}) {
    const Torus t(s);
    for (Axis axis : kAxes) {
      const int a = static_cast<int>(axis);
      const auto rings = t.rings(axis);
      REQUIRE(static_cast<int>(rings.size()) == t.chip_count() / s.dims[a]);
      std::vector<int> covered(t.chip_count(), 0);
      ChipId previous_first = -1;
      for (const auto& ring : rings) {
        REQUIRE(static_cast<int>(ring.size()) == s.dims[a]);
        REQUIRE(ring.front() > previous_first);
        previous_first = ring.front();
        const auto first = coords_of(s, ring.front());
        for (int i = 0; i < s.dims[a]; ++i) {
          auto expected = first;
          expected[a] = i;  // increasing coordinate along the axis, others fixed
          REQUIRE(ring[i] == id_of(s, expected));
          ++covered[ring[i]];
          REQUIRE(t.ring_of(ring[i], axis) == ring);
        }
      }
      for (int count : covered) REQUIRE(count == 1);
    }
  }
}

TEST_CASE("group_of gathers the chips that share the other coordinates", "[torus]") {
  const TorusShape s = make_shape(4, 2, 3, kNone);
  const Torus t(s);
  for (const char* names : {"x", "y", "z", "xy", "xz", "yz", "xyz"}) {
    const AxisSet axes = parse_axes(names, "--axes");
    int expected_size = 1;
    for (Axis a : axes.axes()) expected_size *= s.dims[static_cast<int>(a)];
    for (ChipId c = 0; c < t.chip_count(); ++c) {
      std::vector<ChipId> expected;
      const auto base = coords_of(s, c);
      for (ChipId o = 0; o < t.chip_count(); ++o) {
        const auto other = coords_of(s, o);
        bool same = true;
        for (int a = 0; a < 3; ++a)
          if (!axes.has[a] && other[a] != base[a]) same = false;
        if (same) expected.push_back(o);
      }
      REQUIRE(static_cast<int>(expected.size()) == expected_size);
      REQUIRE(t.group_of(c, axes) == expected);
    }
  }
}

TEST_CASE("the TPU v4 wraparound rule wraps only slices of whole 4x4x4 cubes", "[torus]") {
  REQUIRE(tpu_v4_wraparound({4, 4, 4}) == kAll);
  REQUIRE(tpu_v4_wraparound({16, 16, 16}) == kAll);
  REQUIRE(tpu_v4_wraparound({8, 4, 12}) == kAll);
  REQUIRE(tpu_v4_wraparound({2, 2, 2}) == kNone);
  REQUIRE(tpu_v4_wraparound({4, 4, 2}) == kNone);
  REQUIRE(tpu_v4_wraparound({4, 4, 1}) == kNone);
  REQUIRE(tpu_v4_wraparound({6, 4, 4}) == kNone);
  REQUIRE(parse_shape("8x8x8", "--shape").wraps == kAll);
  REQUIRE(parse_shape("4x8x2", "--shape").wraps == kNone);
  REQUIRE(parse_shape("16x16x16", "--shape").dims == std::array<int, 3>{16, 16, 16});
}

TEST_CASE("parse_shape rejects anything but XxYxZ of positive integers", "[torus]") {
  REQUIRE(parse_shape("4x2x3", "--shape").dims == std::array<int, 3>{4, 2, 3});
  for (const char* bad : {"4x4", "0x4x4", "4x0x4", "4x4x0", "axb", "abc", "-1x2x2", "4x4x4x4", "",
                          "4x4x", "x4x4", "4x4x4 ", "4.0x4x4", "2048x1024x1", "1024x1024x1024",
                          "99999999999999999999x1x1", "1048577x1x1"}) {
    INFO("shape '" << bad << "'");
    REQUIRE_THROWS_AS(parse_shape(bad, "--shape"), InputError);
    try {
      parse_shape(bad, "--shape");
    } catch (const InputError& e) {
      REQUIRE(e.key() == "--shape");
      REQUIRE(std::string(e.what()).find("--shape: ") == 0);
    }
  }
  // The largest allowed product, kMaxChips = 2^20, is accepted.
  REQUIRE(parse_shape("1024x1024x1", "--shape").chip_count() == (1 << 20));
}

TEST_CASE("parse_axes accepts subsets of xyz and rejects the rest", "[torus]") {
  REQUIRE(parse_axes("x", "--axes").has == std::array<bool, 3>{true, false, false});
  REQUIRE(parse_axes("zy", "--axes").name() == "yz");
  REQUIRE(parse_axes("xyz", "--axes").size() == 3);
  for (const char* bad : {"xx", "w", "", "xyzx", "X", "x y", "a"}) {
    INFO("axes '" << bad << "'");
    REQUIRE_THROWS_AS(parse_axes(bad, "--axes"), InputError);
    try {
      parse_axes(bad, "--axes");
    } catch (const InputError& e) {
      REQUIRE(e.key() == "--axes");
    }
  }
}

TEST_CASE("parse_wrap reads auto none and axis sets", "[torus]") {
  REQUIRE_FALSE(parse_wrap("auto", "--wrap").has_value());
  REQUIRE(parse_wrap("none", "--wrap") == std::optional<std::array<bool, 3>>(kNone));
  REQUIRE(parse_wrap("xz", "--wrap") ==
          std::optional<std::array<bool, 3>>(std::array<bool, 3>{true, false, true}));
  for (const char* bad : {"w", "xx", "", "all", "Auto"}) {
    INFO("wrap '" << bad << "'");
    REQUIRE_THROWS_AS(parse_wrap(bad, "--wrap"), InputError);
  }
}

TEST_CASE("directions map to axes and signs", "[torus]") {
  for (Axis a : kAxes)
    for (bool positive : {true, false}) {
      const Direction d = direction_of(a, positive);
      REQUIRE(axis_of(d) == a);
      REQUIRE(is_positive(d) == positive);
      REQUIRE(direction_name(d) == std::string(positive ? "+" : "-") + axis_name(a));
    }
  REQUIRE(Torus::link_id(3, Direction::ny) == 3 * 6 + 3);
}

}  // namespace podsim
