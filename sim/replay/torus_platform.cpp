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

// The folded zone: netpoint 0 is the chip, 1 its HBM, 2 its MXU, 3 + i the sink of peer i.
class FoldedZone : public routing::NetZoneImpl {
 public:
  explicit FoldedZone(const std::string& name) : NetZoneImpl(name) {}

  void set_routes(std::vector<std::vector<simgrid::kernel::resource::StandardLinkImpl*>> routes) {
    routes_ = std::move(routes);
  }

  void get_local_route(const routing::NetPoint* /*src: always the chip*/,
                       const routing::NetPoint* dst, routing::Route* into,
                       double* /*latency: links have none*/) override {
    for (auto* link : routes_.at(dst->id() - 1)) into->link_list_.push_back(link);
  }

 private:
  // By destination netpoint - 1: HBM, MXU, then the sinks.
  std::vector<std::vector<simgrid::kernel::resource::StandardLinkImpl*>> routes_;
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
                                     const Torus& torus, const std::vector<ChipId>& peers) {
  configure_network();
  (void)engine;
  auto* zone = new FoldedZone("folded");  // owned by the engine once it is the root
  simgrid::s4u::NetZone* iface = zone->get_iface();
  FoldedPlatform platform;
  platform.host = iface->create_host("chip(0,0,0)", chip.peak_flops_per_s);
  platform.hbm = iface->create_host("hbm(0,0,0)", 1.0);
  platform.mxu = iface->create_host("mxu(0,0,0)", 1.0);
  std::vector<std::vector<simgrid::kernel::resource::StandardLinkImpl*>> routes;
  routes.push_back({iface->create_link("hbm(0,0,0)", chip.hbm_bytes_per_s * chip.hbm_efficiency)
                        ->get_impl()});
  routes.push_back({iface->create_link("mxu(0,0,0)", chip.peak_flops_per_s)->get_impl()});
  platform.links.assign(kDirections, nullptr);
  for (int d = 0; d < kDirections; ++d) {
    const auto direction = static_cast<Direction>(d);
    if (!torus.has_link(0, direction)) continue;
    platform.links[d] = iface->create_link(fmt::format("folded{}", direction_name(direction)),
                                           chip.ici_link_bytes_per_s * chip.ici_efficiency);
  }
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const Coord at = torus.coord(peers[i]);
    platform.sinks.push_back(
        iface->create_host(fmt::format("sink({},{},{})", at.v[0], at.v[1], at.v[2]), 1.0));
    std::vector<simgrid::kernel::resource::StandardLinkImpl*> route;
    for (const Hop& hop : torus.route(0, peers[i]))
      route.push_back(platform.links[static_cast<int>(hop.direction)]->get_impl());
    routes.push_back(std::move(route));
  }
  zone->set_routes(std::move(routes));
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
