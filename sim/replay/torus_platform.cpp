#include "sim/replay/torus_platform.hpp"

#include <fmt/format.h>
#include <simgrid/kernel/routing/NetPoint.hpp>
#include <simgrid/kernel/routing/NetZoneImpl.hpp>

namespace podsim::simgrid_platform {

namespace {

namespace routing = simgrid::kernel::routing;

// Routes between the chips of a torus: the links of the dimension-order route, looked up in a
// table by LinkId. Host i is the i-th netpoint of the zone, so netpoint ids are chip ids.
class TorusZone : public routing::NetZoneImpl {
 public:
  TorusZone(const std::string& name, const Torus& torus) : NetZoneImpl(name), torus_(torus) {}

  void set_links(const std::vector<simgrid::s4u::Link*>& links) {
    impls_.assign(links.size(), nullptr);
    for (std::size_t i = 0; i < links.size(); ++i)
      if (links[i] != nullptr) impls_[i] = links[i]->get_impl();
  }

  void get_local_route(const routing::NetPoint* src, const routing::NetPoint* dst,
                       routing::Route* into, double* /*latency: links have none*/) override {
    for (const Hop& hop : torus_.route(static_cast<ChipId>(src->id()), static_cast<ChipId>(dst->id())))
      into->link_list_.push_back(impls_[Torus::link_id(hop.from, hop.direction)]);
  }

 private:
  const Torus& torus_;
  std::vector<simgrid::kernel::resource::StandardLinkImpl*> impls_;
};

}  // namespace

TorusPlatform build_torus_platform(simgrid::s4u::Engine& engine, const ChipSpec& chip,
                                   const Torus& torus) {
  // Exact bandwidth (FACTS.md §6): CM02 without cross-traffic or TCP window limit, so an
  // uncontended transfer takes exactly bytes / bandwidth; links carry no latency so that sharing
  // is plain max-min (CM02 weights flows by route latency), the actors add the hop latency.
  simgrid::s4u::Engine::set_config("network/model:CM02");
  simgrid::s4u::Engine::set_config("network/crosstraffic:0");
  simgrid::s4u::Engine::set_config("network/TCP-gamma:0");
  simgrid::s4u::Engine::set_config("network/weight-S:0");
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
    // HBM as a disk: reads and writes both count against the one HBM bandwidth, so every HBM byte
    // is issued as a read.
    platform.hbm[c] = platform.hosts[c]->create_disk("hbm", chip.hbm_bytes_per_s, chip.hbm_bytes_per_s);
  }
  platform.links.assign(torus.link_slot_count(), nullptr);
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (int d = 0; d < kDirections; ++d) {
      const auto direction = static_cast<Direction>(d);
      if (!torus.has_link(c, direction)) continue;
      const LinkId id = Torus::link_id(c, direction);
      platform.links[id] = iface->create_link(torus.link_name(id), chip.ici_link_bytes_per_s);
    }
  zone->set_links(platform.links);
  iface->seal();
  return platform;
}

}  // namespace podsim::simgrid_platform
