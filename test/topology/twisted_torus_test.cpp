// Twisted tori (TPU v4's optical switches; platforms/README.md §9): the routes of every pair of
// chips of 4x4x8 and 4x8x8 (and axis-permuted copies) against a breadth-first search over a
// twisted graph written here from the wiring rule alone, never against values the code printed.
// The diameter and mean distance are also checked against an independent brute force (a Python
// BFS over the same rule, run once by hand: 4x4x8 twisted 6 and 440/127, plain 8 and 512/127;
// 4x8x8 twisted 6 and 1104/255, plain 10 and 1280/255).

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <queue>
#include <set>
#include <string>
#include <vector>

#include "sim/core/input_error.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {
namespace {

TorusShape twisted_shape(int x, int y, int z) {
  TorusShape s;
  s.dims = {x, y, z};
  s.wraps = {true, true, true};
  s.twisted = true;
  return s;
}

// The twisted wiring, from the rule in words: with k the shortest dimension, a chip on the last
// coordinate of a short axis (size k) is wired by its positive wrap link to coordinate 0 of that
// axis, shifted by k along every long axis (size 2k); every other link is the plain torus link.
struct TestGraph {
  std::array<int, 3> d;
  std::vector<std::array<int, 6>> next;  // by chip and direction (+x, -x, +y, -y, +z, -z)
  int id(std::array<int, 3> c) const { return c[0] + d[0] * (c[1] + d[1] * c[2]); }
  std::array<int, 3> coords(int i) const { return {i % d[0], (i / d[0]) % d[1], i / (d[0] * d[1])}; }
};

TestGraph build_test_graph(std::array<int, 3> d) {
  TestGraph g{d, {}};
  const int n = d[0] * d[1] * d[2];
  const int k = std::min({d[0], d[1], d[2]});
  g.next.assign(n, {});
  for (int i = 0; i < n; ++i)
    for (int axis = 0; axis < 3; ++axis)
      for (int sign : {+1, -1}) {
        std::array<int, 3> c = g.coords(i);
        c[axis] += sign;
        const bool crosses = c[axis] < 0 || c[axis] >= d[axis];
        c[axis] = (c[axis] + d[axis]) % d[axis];
        if (crosses && d[axis] == k)
          for (int other = 0; other < 3; ++other)
            if (d[other] == 2 * k) c[other] = (c[other] + sign * k + 2 * d[other]) % d[other];
        g.next[i][2 * axis + (sign > 0 ? 0 : 1)] = g.id(c);
      }
  return g;
}

std::vector<int> test_bfs(const TestGraph& g, int src) {
  std::vector<int> dist(g.next.size(), -1);
  std::queue<int> q;
  dist[src] = 0;
  q.push(src);
  while (!q.empty()) {
    const int u = q.front();
    q.pop();
    for (int v : g.next[u])
      if (dist[v] < 0) {
        dist[v] = dist[u] + 1;
        q.push(v);
      }
  }
  return dist;
}

void check_every_route(std::array<int, 3> d, int expected_diameter, int expected_distance_sum) {
  const TorusShape shape = twisted_shape(d[0], d[1], d[2]);
  REQUIRE_FALSE(twist_violation(shape).has_value());
  const Torus torus(shape);
  const TestGraph g = build_test_graph(d);
  const int n = torus.chip_count();
  // The wiring: every link of the torus is the test graph's, and the graph is a proper
  // 6-regular undirected graph (each link's reverse direction comes back).
  for (int c = 0; c < n; ++c) {
    std::set<int> distinct;
    for (int dir = 0; dir < kDirections; ++dir) {
      const auto nb = torus.neighbor(c, static_cast<Direction>(dir));
      REQUIRE(nb.has_value());
      REQUIRE(*nb == g.next[c][dir]);
      REQUIRE(g.next[*nb][dir ^ 1] == c);
      distinct.insert(*nb);
    }
    REQUIRE(distinct.size() == 6);
  }
  long long farthest = 0, distance_sum_from_0 = 0;
  for (int src = 0; src < n; ++src) {
    const std::vector<int> dist = test_bfs(g, src);
    for (int dst = 0; dst < n; ++dst) {
      REQUIRE(dist[dst] >= 0);
      const std::vector<Hop> route = torus.route(src, dst);
      INFO(shape.name() << " route " << src << " -> " << dst);
      REQUIRE(static_cast<int>(route.size()) == dist[dst]);
      REQUIRE(torus.route_hops(src, dst) == dist[dst]);
      // Only links that exist, chained hop to hop, ending at dst.
      int at = src;
      for (const Hop& hop : route) {
        REQUIRE(hop.from == at);
        at = g.next[at][static_cast<int>(hop.direction)];
      }
      REQUIRE(at == dst);
      // Deterministic: the same route every time.
      const std::vector<Hop> again = torus.route(src, dst);
      REQUIRE(again.size() == route.size());
      for (std::size_t i = 0; i < route.size(); ++i) {
        REQUIRE(again[i].from == route[i].from);
        REQUIRE(again[i].direction == route[i].direction);
      }
      farthest = std::max<long long>(farthest, dist[dst]);
      if (src == 0) distance_sum_from_0 += dist[dst];
    }
  }
  CHECK(farthest == expected_diameter);
  CHECK(distance_sum_from_0 == expected_distance_sum);
}

TEST_CASE("twisted 4x4x8: every route is a shortest path of the twisted graph", "[topology][twist]") {
  check_every_route({4, 4, 8}, 6, 440);
}

TEST_CASE("twisted 4x8x8: every route is a shortest path of the twisted graph", "[topology][twist]") {
  check_every_route({4, 8, 8}, 6, 1104);
}

TEST_CASE("twisted slices in another axis order route as shortest paths too", "[topology][twist]") {
  check_every_route({8, 4, 4}, 6, 440);
  check_every_route({4, 8, 4}, 6, 440);
  check_every_route({8, 8, 4}, 6, 1104);
}

TEST_CASE("the plain 4x4x8 and 4x8x8 are farther apart than the twisted ones", "[topology][twist]") {
  for (auto [d, diameter, sum] : {std::tuple{std::array<int, 3>{4, 4, 8}, 8, 512},
                                  std::tuple{std::array<int, 3>{4, 8, 8}, 10, 1280}}) {
    TorusShape plain = twisted_shape(d[0], d[1], d[2]);
    plain.twisted = false;
    const Torus torus(plain);
    int far = 0, total = 0;
    for (int dst = 0; dst < torus.chip_count(); ++dst) {
      far = std::max(far, torus.route_hops(0, dst));
      total += torus.route_hops(0, dst);
    }
    CHECK(far == diameter);
    CHECK(total == sum);
  }
}

TEST_CASE("only 4x4x8 and 4x8x8 with every axis wrapped can be twisted", "[topology][twist]") {
  for (auto d : {std::array<int, 3>{4, 4, 4}, {8, 8, 8}, {4, 4, 16}, {2, 2, 4}, {8, 8, 16}}) {
    const auto why = twist_violation(twisted_shape(d[0], d[1], d[2]));
    REQUIRE(why.has_value());
    CHECK(why->find("TPU v4 twists only 4x4x8 and 4x8x8") != std::string::npos);
  }
  TorusShape mesh = twisted_shape(4, 4, 8);
  mesh.wraps = {true, false, true};
  const auto why = twist_violation(mesh);
  REQUIRE(why.has_value());
  CHECK(why->find("axis y does not wrap") != std::string::npos);
  CHECK(twisted_shape(4, 4, 8).name() == "4x4x8 twisted");
}

}  // namespace
}  // namespace podsim
