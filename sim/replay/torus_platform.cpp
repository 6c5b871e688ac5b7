#include "sim/replay/torus_platform.hpp"

#include <fmt/format.h>
#include <simgrid/kernel/routing/NetPoint.hpp>
#include <simgrid/kernel/routing/NetZoneImpl.hpp>

namespace podsim::simgrid_platform {

namespace {

namespace routing = simgrid::kernel::routing;

// Routes between the chips of a torus: the links of the dimension-order route, looked up in a
// table by LinkId. Host i is the i-th netpoint of the zone, so netpoint ids are chip ids; the HBM
// of chip i is netpoint chips + i, reached through the chip's HBM link, and its MXU is netpoint
// 2 chips + i, reached through the chip's MXU link.
class TorusZone : public routing::NetZoneImpl {
 public:
  TorusZone(const std::string& name, const Torus& torus) : NetZoneImpl(name), torus_(torus) {}

  void set_links(const std::vector<simgrid::s4u::Link*>& links,
                 const std::vector<simgrid::s4u::Link*>& hbm_links,
                 const std::vector<simgrid::s4u::Link*>& mxu_links) {
    impls_.assign(links.size(), nullptr);
    for (std::size_t i = 0; i < links.size(); ++i)
      if (links[i] != nullptr) impls_[i] = links[i]->get_impl();
    for (auto* link : hbm_links) unit_impls_.push_back(link->get_impl());
    for (auto* link : mxu_links) unit_impls_.push_back(link->get_impl());
  }

  void get_local_route(const routing::NetPoint* src, const routing::NetPoint* dst,
                       routing::Route* into, double* /*latency: links have none*/) override {
    const auto chips = static_cast<unsigned long>(torus_.chip_count());
    if (dst->id() >= chips) {  // a chip's own HBM or MXU
      into->link_list_.push_back(unit_impls_.at(dst->id() - chips));
      return;
    }
    for (const Hop& hop : torus_.route(static_cast<ChipId>(src->id()), static_cast<ChipId>(dst->id())))
      into->link_list_.push_back(impls_[Torus::link_id(hop.from, hop.direction)]);
  }

 private:
  const Torus& torus_;
  std::vector<simgrid::kernel::resource::StandardLinkImpl*> impls_;
  std::vector<simgrid::kernel::resource::StandardLinkImpl*> unit_impls_;  // HBM then MXU links
};

// The folded zone: every destination (an HBM, an MXU, a sink) belongs to one representative and
// is reached from it by one route, looked up by the destination's netpoint id.
class FoldedZone : public routing::NetZoneImpl {
 public:
  explicit FoldedZone(const std::string& name) : NetZoneImpl(name) {}

  void set_route(const simgrid::s4u::Host* dst,
                 std::vector<simgrid::kernel::resource::StandardLinkImpl*> route) {
    const auto id = static_cast<std::size_t>(dst->get_netpoint()->id());
    if (routes_.size() <= id) routes_.resize(id + 1);
    routes_[id] = std::move(route);
  }

  // By destination alone: one actor posts every representative's sends (replay.cpp).
  void get_local_route(const routing::NetPoint* /*src: any*/,
                       const routing::NetPoint* dst, routing::Route* into,
                       double* /*latency: links have none*/) override {
    for (auto* link : routes_.at(dst->id())) into->link_list_.push_back(link);
  }

 private:
  std::vector<std::vector<simgrid::kernel::resource::StandardLinkImpl*>> routes_;  // by netpoint
};

void configure_network() {
  // Exact bandwidth (platforms/README.md §6): CM02 without cross-traffic or TCP window limit, so an
  // uncontended transfer takes exactly bytes / bandwidth; links carry no latency so that sharing
  // is plain max-min (CM02 weights flows by route latency), the actors add the hop latency.
  simgrid::s4u::Engine::set_config("network/model:CM02");
  simgrid::s4u::Engine::set_config("network/crosstraffic:0");
  simgrid::s4u::Engine::set_config("network/TCP-gamma:0");
  simgrid::s4u::Engine::set_config("network/weight-S:0");
}

}  // namespace

FoldedPlatform build_folded_platform(simgrid::s4u::Engine& engine, const ChipSpec& chip,
                                     const Torus& torus, const FoldGroup& group,
                                     const std::vector<std::vector<ChipId>>& peers) {
  configure_network();
  (void)engine;
  auto* zone = new FoldedZone("folded");  // owned by the engine once it is the root
  simgrid::s4u::NetZone* iface = zone->get_iface();
  const std::vector<ChipId>& reps = group.representatives();
  const bool single = reps.size() == 1;
  FoldedPlatform platform;
  platform.links.assign(reps.size() * kDirections, nullptr);
  for (std::size_t i = 0; i < reps.size(); ++i) {
    const Coord at = torus.coord(reps[i]);
    const std::string where = fmt::format("({},{},{})", at.v[0], at.v[1], at.v[2]);
    platform.hosts.push_back(iface->create_host("chip" + where, chip.peak_flops_per_s));
    platform.hbm.push_back(iface->create_host("hbm" + where, 1.0));
    platform.mxu.push_back(iface->create_host("mxu" + where, 1.0));
    zone->set_route(platform.hbm.back(),
                    {iface->create_link("hbm" + where, chip.hbm_bytes_per_s * chip.hbm_efficiency)
                         ->get_impl()});
    zone->set_route(platform.mxu.back(),
                    {iface->create_link("mxu" + where, chip.peak_flops_per_s)->get_impl()});
    for (int d = 0; d < kDirections; ++d) {
      const auto direction = static_cast<Direction>(d);
      if (!torus.has_link(reps[i], direction)) continue;
      platform.links[i * kDirections + d] = iface->create_link(
          fmt::format("folded{}{}", single ? std::string() : where, direction_name(direction)),
          chip.ici_link_bytes_per_s * chip.ici_efficiency);
    }
  }
  platform.sinks.resize(reps.size());
  for (std::size_t i = 0; i < reps.size(); ++i)
    for (ChipId peer : peers[i]) {
      const Coord from = torus.coord(reps[i]), at = torus.coord(peer);
      platform.sinks[i].push_back(iface->create_host(
          fmt::format("sink({},{},{})>({},{},{})", from.v[0], from.v[1], from.v[2], at.v[0],
                      at.v[1], at.v[2]),
          1.0));
      std::vector<simgrid::kernel::resource::StandardLinkImpl*> route;
      for (const Hop& hop : torus.route(reps[i], peer)) {
        const std::size_t k =
            static_cast<std::size_t>(group.index_of(group.representative_of(hop.from))) *
                kDirections +
            static_cast<int>(hop.direction);
        route.push_back(platform.links.at(k)->get_impl());
      }
      zone->set_route(platform.sinks[i].back(), std::move(route));
    }
  iface->seal();
  return platform;
}

TorusPlatform build_torus_platform(simgrid::s4u::Engine& engine, const ChipSpec& chip,
                                   const Torus& torus) {
  configure_network();
  (void)engine;

  auto* zone = new TorusZone("slice", torus);  // owned by the engine once it is the root
  simgrid::s4u::NetZone* iface = zone->get_iface();
  TorusPlatform platform;
  platform.hosts.resize(torus.chip_count());
  platform.hbm.resize(torus.chip_count());
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const Coord at = torus.coord(c);
    platform.hosts[c] =
        iface->create_host(fmt::format("chip({},{},{})", at.v[0], at.v[1], at.v[2]),
                           chip.peak_flops_per_s);
  }
  // HBM: reads and writes share the one HBM bandwidth, so HBM traffic is a transfer over a link of
  // that bandwidth, shared max-min by concurrent users like any other resource. (A SimGrid disk
  // would model the same, but waiting on disk I/O together with communications makes SimGrid
  // 3.32's per-actor bookkeeping grow with the run: quadratic time on long traces.)
  std::vector<simgrid::s4u::Link*> hbm_links(torus.chip_count());
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const Coord at = torus.coord(c);
    platform.hbm[c] = iface->create_host(fmt::format("hbm({},{},{})", at.v[0], at.v[1], at.v[2]), 1.0);
    hbm_links[c] = iface->create_link(fmt::format("hbm({},{},{})", at.v[0], at.v[1], at.v[2]),
                                      chip.effective_hbm_bytes_per_s());
  }
  platform.links.assign(torus.link_slot_count(), nullptr);
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (int d = 0; d < kDirections; ++d) {
      const auto direction = static_cast<Direction>(d);
      if (!torus.has_link(c, direction)) continue;
      const LinkId id = Torus::link_id(c, direction);
      platform.links[id] = iface->create_link(torus.link_name(id),
                                              chip.effective_ici_link_bytes_per_s());
    }
  // MXU: a link of peak FLOP/s, for the same reason (SimGrid's host executions show the same
  // growth when waited on together with communications).
  platform.mxu.resize(torus.chip_count());
  std::vector<simgrid::s4u::Link*> mxu_links(torus.chip_count());
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    const Coord at = torus.coord(c);
    platform.mxu[c] = iface->create_host(fmt::format("mxu({},{},{})", at.v[0], at.v[1], at.v[2]), 1.0);
    mxu_links[c] = iface->create_link(fmt::format("mxu({},{},{})", at.v[0], at.v[1], at.v[2]),
                                      chip.peak_flops_per_s);
  }
  zone->set_links(platform.links, hbm_links, mxu_links);
  iface->seal();
  return platform;
}

}  // namespace podsim::simgrid_platform
