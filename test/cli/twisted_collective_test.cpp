// `podsim collective --twist` (issue 16 item 6): a twisted 4x4x8 all-to-all is faster than the
// plain one, and the speed-up it prints is the ratio of the two simulations. References: a plain
// run of the same collective in its own process; a routing-free lower bound computed here (every
// pair's BFS distance on the twisted graph, written in this file, times its chunk, spread over
// every directed link at the effective rate); the bad-input line of a shape that cannot twist.

#include <algorithm>
#include <array>
#include <cmath>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <queue>
#include <string>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::Run;
using podsim::test::run_podsim;

nlohmann::json collective_json(const std::string& args) {
  const Run run = run_podsim("collective " + args + " --format json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return nlohmann::json::parse(run.out);
}

// Sum over ordered pairs of the BFS distance in the twisted 4x4x8 (x and y wraps add 4 to z).
long long twisted_448_distance_sum() {
  const std::array<int, 3> d{4, 4, 8};
  const auto id = [&](std::array<int, 3> c) { return c[0] + 4 * (c[1] + 4 * c[2]); };
  std::vector<std::array<int, 6>> next(128);
  for (int i = 0; i < 128; ++i)
    for (int axis = 0; axis < 3; ++axis)
      for (int sign : {1, -1}) {
        std::array<int, 3> c{i % 4, (i / 4) % 4, i / 16};
        c[axis] += sign;
        const bool crosses = c[axis] < 0 || c[axis] >= d[axis];
        c[axis] = (c[axis] + d[axis]) % d[axis];
        if (crosses && axis < 2) c[2] = (c[2] + 4) % 8;
        next[i][2 * axis + (sign > 0 ? 0 : 1)] = id(c);
      }
  long long sum = 0;
  for (int s = 0; s < 128; ++s) {
    std::vector<int> dist(128, -1);
    std::queue<int> q;
    dist[s] = 0;
    q.push(s);
    while (!q.empty()) {
      const int u = q.front();
      q.pop();
      for (int v : next[u])
        if (dist[v] < 0) dist[v] = dist[u] + 1, q.push(v);
    }
    for (int v : dist) sum += v;
  }
  return sum;
}

}  // namespace

TEST_CASE("a twisted 4x4x8 all-to-all beats the plain one and prints its speed-up") {
  const std::string args = "--shape 4x4x8 --op all-to-all --axes xyz --bytes 16MiB";
  const nlohmann::json twisted = collective_json(args + " --twist");
  const nlohmann::json plain = collective_json(args);
  CHECK(twisted.at("shape") == "4x4x8 twisted");
  CHECK(twisted.at("replay") == "per-chip");  // the fold refuses twisted slices
  const double t = twisted.at("simulated_s"), p = plain.at("simulated_s");
  CHECK(twisted.at("untwisted_simulated_s").get<double>() == Approx(p).epsilon(1e-12));
  CHECK(t < p);
  CHECK(twisted.at("twist_speedup").get<double>() == Approx(p / t).epsilon(1e-12));
  // Never below its lower bound, nor below the routing-free one.
  CHECK(t >= twisted.at("analytic_s").get<double>() * (1 - 1e-9));
  const double chunk = std::floor(16.0 * 1024 * 1024 / 128);
  const double rate = twisted.at("link_bytes_per_s");
  const double spread_s = chunk * double(twisted_448_distance_sum()) / (128.0 * 6 * rate);
  CHECK(t >= spread_s * (1 - 1e-9));
  // Every pair crossed its shortest route once: the total link bytes are that sum of distances
  // (to the rounding of the replay's integrated link rates).
  CHECK(twisted.at("total_link_bytes").get<double>() ==
        Approx(chunk * double(twisted_448_distance_sum())).epsilon(1e-5));

  const Run text = run_podsim("collective " + args + " --twist");
  REQUIRE(text.exit_code == 0);
  CHECK(contains(text.out, "twist speed-up"));
  CHECK(contains(text.out, "untwisted"));
  CHECK(contains(text.out, "twisted slice: folded replay not proven exact"));
}

TEST_CASE("twist on a shape that cannot be twisted is refused with exit 2") {
  const Run run = run_podsim("collective --shape 4x4x4 --op all-to-all --axes xyz --bytes 1MiB --twist");
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "--twist: 4x4x4 cannot be twisted: 4x4x4 is not a twistable slice"));
  const Run mesh =
      run_podsim("collective --shape 4x4x8 --wrap xy --op all-to-all --axes xyz --bytes 1MiB --twist");
  CHECK(mesh.exit_code == 2);
  CHECK(contains(mesh.err, "axis z does not wrap"));
}
