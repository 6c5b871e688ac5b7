// Closed-form collective costs (collective_cost.hpp) against independent references: the
// all-to-all link loads by brute force over every routed chunk (Torus::route, the routes the
// replay sends on), and the ring forms written out by hand from the algorithm descriptions with
// round numbers (l = 1 us per hop, b = 50e9 B/s per link direction, h = 1e12 B/s HBM).

#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/analytic/collective_cost.hpp"
#include "test/support/specs.hpp"

namespace podsim {
namespace {

constexpr double kHop = 1e-6;
constexpr double kLink = 50e9;
constexpr double kHbm = 1e12;

ChipSpec chip() {
  ChipSpec c;
  c.peak_flops_per_s = 275e12;
  c.ici_link_bytes_per_s = kLink;
  c.ici_hop_latency_s = kHop;
  c.hbm_bytes_per_s = kHbm;
  return c;
}

// Every chip of `sources` sends bytes/K to every other chip of its group along its route; the
// bytes each directed link carries.
std::vector<double> brute_force_all_to_all(const Torus& torus, const std::vector<ChipId>& sources,
                                           const AxisSet& axes, Bytes bytes) {
  std::vector<double> load(torus.link_slot_count(), 0.0);
  for (ChipId src : sources) {
    const auto group = torus.group_of(src, axes);
    const double chunk = static_cast<double>(bytes) / static_cast<double>(group.size());
    for (ChipId dst : group)
      if (dst != src)
        for (const Hop& hop : torus.route(src, dst))
          load[Torus::link_id(hop.from, hop.direction)] += chunk;
  }
  return load;
}

}  // namespace

TEST_CASE("all-to-all link loads match a brute force over every routed chunk (total: one group)") {
  const Bytes bytes = 3 * 64 * kMiB;
  for (const char* shape_text : {"4x4x4", "2x4x8", "4x2x1", "4x4x2", "8x8x8", "3x1x1"})
    for (const char* axes_text : {"x", "y", "z", "xy", "yz", "xz", "xyz"}) {
      const TorusShape shape = test::shape_of(shape_text);
      const AxisSet axes = parse_axes(axes_text, "axes");
      bool valid = true;
      for (Axis a : axes.axes()) valid = valid && shape.size(a) > 1;
      if (!valid) continue;
      CAPTURE(shape_text, axes_text);
      const Torus torus(shape);
      std::vector<ChipId> every_chip(torus.chip_count());
      for (ChipId c = 0; c < torus.chip_count(); ++c) every_chip[c] = c;
      const std::vector<double> load = brute_force_all_to_all(torus, every_chip, axes, bytes);
      CHECK(all_to_all_max_link_bytes(shape, axes, bytes) ==
            Approx(*std::max_element(load.begin(), load.end())));
      // The total is that of one group (the groups' routes never share a link).
      const std::vector<double> one =
          brute_force_all_to_all(torus, torus.group_of(0, axes), axes, bytes);
      double total = 0;
      for (double l : one) total += l;
      CHECK(all_to_all_total_link_bytes(shape, axes, bytes) == Approx(total));
    }
}

TEST_CASE("ring all-gather and reduce-scatter on a wrapped axis follow the bidirectional form") {
  const double s = 64.0 * kMiB;
  // K = 4: 3 steps of S/8 each way; a reduce-scatter step also adds two halves of S/8 on HBM,
  // reading both operands and writing the sum (3 bytes moved per byte).
  const auto ag = collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB),
                                      test::shape_of("4x4x4"), chip());
  CHECK(ag.latency_s == Approx(3 * kHop));
  CHECK(ag.bandwidth_s == Approx(3 * s / 8 / kLink));
  CHECK(ag.time_s == Approx(ag.latency_s + ag.bandwidth_s));
  const auto rs = collective_estimate(test::collective_spec(CollectiveKind::reduce_scatter, "x", 64 * kMiB),
                                      test::shape_of("4x4x4"), chip());
  CHECK(rs.time_s == Approx(3 * (kHop + s / 8 / kLink + 2 * 3 * (s / 8) / kHbm)));
}

TEST_CASE("a mesh axis uses the line: K-1 steps of a full shard, adds both ways in the middle") {
  const double s = 64.0 * kMiB;
  const TorusShape mesh = test::shape_of("4x2x2");  // x does not wrap on a 4x2x2 slice
  REQUIRE_FALSE(mesh.wrapped(Axis::x));
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB), mesh, chip())
            .time_s == Approx(3 * (kHop + s / 4 / kLink)));
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::reduce_scatter, "x", 64 * kMiB), mesh, chip())
            .time_s == Approx(3 * (kHop + s / 4 / kLink + 2 * 3 * (s / 4) / kHbm)));
}

TEST_CASE("a sequential all-gather over two axes adds its phases, the buffer growing K-fold") {
  const double s = 64.0 * kMiB;
  // First axis: larger size S/4 (the buffer before the second axis), then S; K = 4 each.
  const double expected = 3 * (kHop + (s / 4) / 8 / kLink) + 3 * (kHop + s / 8 / kLink);
  CHECK(collective_estimate(
            test::collective_spec(CollectiveKind::all_gather, "xy", 64 * kMiB, RingAlgorithm::automatic, MultiAxis::sequential),
            test::shape_of("4x4x4"), chip())
            .time_s == Approx(expected));
}

TEST_CASE("all-reduce costs a reduce-scatter plus an all-gather") {
  for (const char* shape_text : {"4x4x4", "4x2x2"}) {
    CAPTURE(shape_text);
    const TorusShape shape = test::shape_of(shape_text);
    const auto ar = collective_estimate(test::collective_spec(CollectiveKind::all_reduce, "x", 8 * kMiB), shape, chip());
    const auto rs = collective_estimate(test::collective_spec(CollectiveKind::reduce_scatter, "x", 8 * kMiB), shape, chip());
    const auto ag = collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 8 * kMiB), shape, chip());
    CHECK(ar.time_s == Approx(rs.time_s + ag.time_s));
  }
}

TEST_CASE("link efficiency stretches the bandwidth term and leaves the latency alone") {
  ChipSpec slow = chip();
  slow.ici_efficiency = 0.5;
  const CollectiveSpec spec = test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB);
  const auto full = collective_estimate(spec, test::shape_of("4x4x4"), chip());
  const auto half = collective_estimate(spec, test::shape_of("4x4x4"), slow);
  CHECK(half.latency_s == Approx(full.latency_s));
  CHECK(half.bandwidth_s == Approx(2 * full.bandwidth_s));
}

TEST_CASE("permute: the longest route's latency plus the message; all-to-all: the link bound") {
  const double s = 4.0 * kMiB;
  const auto permute =
      collective_estimate(test::collective_spec(CollectiveKind::permute, "x", 4 * kMiB), test::shape_of("4x4x4"), chip());
  CHECK(permute.time_s == Approx(kHop + s / kLink));
  // All-to-all over x of a wrapped 4-ring: each + link carries the chunks of distances 1 and 2
  // routed the positive way (1 + 2 = 3 chunks of S/4), the first of which can move after 1 hop.
  const auto a2a =
      collective_estimate(test::collective_spec(CollectiveKind::all_to_all, "x", 4 * kMiB), test::shape_of("4x4x4"), chip());
  CHECK(a2a.latency_s == Approx(kHop));
  CHECK(a2a.bandwidth_s == Approx(3 * (s / 4) / kLink));
}

// The all-to-all bound by brute force: every routed chunk of every group, each link's list of
// flows with their hop counts, and max over links L and thresholds h of
//   h l + (chunks on L of h hops or more) x chunk / b.
struct BruteBound {
  double time_s = 0, busiest_bytes = 0;
  long long busiest_flows = 0;
};
BruteBound brute_force_bound(const Torus& torus, const AxisSet& axes, Bytes bytes) {
  std::vector<std::vector<int>> hops(torus.link_slot_count());
  std::size_t group = 0;
  for (ChipId src = 0; src < torus.chip_count(); ++src) {
    const auto members = torus.group_of(src, axes);
    group = members.size();
    for (ChipId dst : members)
      if (dst != src) {
        const auto route = torus.route(src, dst);
        for (const Hop& hop : route)
          hops[Torus::link_id(hop.from, hop.direction)].push_back(static_cast<int>(route.size()));
      }
  }
  const double chunk = static_cast<double>(std::max<Bytes>(1, bytes / static_cast<Bytes>(group)));
  BruteBound out;
  for (const auto& list : hops) {
    if (list.size() * chunk > out.busiest_bytes) {
      out.busiest_bytes = list.size() * chunk;
      out.busiest_flows = static_cast<long long>(list.size());
    }
    for (int h : list) {
      long long later = 0;
      for (int g : list) later += g >= h;
      out.time_s = std::max(out.time_s, h * kHop + later * chunk / kLink);
    }
  }
  return out;
}

TEST_CASE("the all-to-all bound equals a brute-force count over every routed chunk") {
  for (const char* shape_text : {"4x4x4", "2x4x8", "4x2x1", "4x4x2", "3x1x1", "5x3x1", "2x2x2",
                                 "6x1x1", "4x4x1"})
    for (const char* wrap : {"auto", "none", "x", "xy"})
      for (const char* axes_text : {"x", "y", "z", "xy", "yz", "xz", "xyz"})
        for (Bytes bytes : {Bytes{4 * kMiB}, Bytes{4096}, Bytes{7 * 1000 + 3}}) {
          TorusShape shape = test::shape_of(shape_text);
          if (std::string(wrap) == "none") shape.wraps = {false, false, false};
          if (std::string(wrap) == "x") shape.wraps = {shape.size(Axis::x) > 1, false, false};
          if (std::string(wrap) == "xy")
            shape.wraps = {shape.size(Axis::x) > 1, shape.size(Axis::y) > 1, false};
          const AxisSet axes = parse_axes(axes_text, "axes");
          bool valid = true;
          for (Axis a : axes.axes()) valid = valid && shape.size(a) > 1;
          if (!valid) continue;
          CAPTURE(shape_text, wrap, axes_text, bytes);
          const Torus torus(shape);
          const BruteBound brute = brute_force_bound(torus, axes, bytes);
          const auto spec = test::collective_spec(CollectiveKind::all_to_all, axes_text, bytes);
          const AllToAllBound bound = all_to_all_bound(spec, shape, chip());
          CHECK(bound.time_s == Approx(brute.time_s).epsilon(1e-12));
          CHECK(bound.busiest_bytes == Approx(brute.busiest_bytes).epsilon(1e-12));
          CHECK(bound.busiest_flows == brute.busiest_flows);
          CHECK(bound.latency_s + bound.bandwidth_s == Approx(bound.time_s));
          CHECK(collective_estimate(spec, shape, chip()).time_s == Approx(bound.time_s));
          // The link it names carries those flows: count them on that very link.
          const LinkId named = Torus::link_id(torus.chip(bound.at), bound.direction);
          long long on_named = 0;
          for (ChipId src = 0; src < torus.chip_count(); ++src)
            for (ChipId dst : torus.group_of(src, axes))
              if (dst != src) {
                const auto route = torus.route(src, dst);
                if (static_cast<int>(route.size()) < bound.min_hops) continue;
                for (const Hop& hop : route)
                  on_named += Torus::link_id(hop.from, hop.direction) == named;
              }
          CHECK(on_named == bound.flows);
        }
}

TEST_CASE("a tiny message is latency-bound, a large one is not") {
  const TorusShape shape = test::shape_of("4x4x4");
  CHECK(collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 1024), shape, chip())
            .latency_bound());
  CHECK_FALSE(collective_estimate(test::collective_spec(CollectiveKind::all_gather, "x", 64 * kMiB), shape, chip())
                  .latency_bound());
}

}  // namespace podsim
