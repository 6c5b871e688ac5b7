#pragma once
// The SimGrid platform of a slice: a network zone of our own whose routes are the torus's
// dimension-order routes (sim/topology/), so that mesh axes, any shape and tracing work — the
// built-in torus zone can express none of these (platforms/README.md §6).

#include <simgrid/s4u.hpp>

#include <vector>

#include "sim/model/chip_spec.hpp"
#include "sim/program/fold.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::simgrid_platform {

struct TorusPlatform {
  std::vector<simgrid::s4u::Host*> hosts;   // by ChipId
  // HBM of each chip: a host of its own reached only through the chip's HBM link (bandwidth =
  // HBM bandwidth); HBM traffic is a transfer from the chip to it.
  std::vector<simgrid::s4u::Host*> hbm;     // by ChipId
  // The MXU likewise: a link of peak FLOP/s to a host of its own; a matmul of N FLOPs is a
  // transfer of N units over it.
  std::vector<simgrid::s4u::Host*> mxu;     // by ChipId
  std::vector<simgrid::s4u::Link*> links;   // by LinkId; nullptr where the link does not exist
};

// Configures the network model for exact, max-min fair transfers and builds the slice in the
// engine's (new) root zone. Call once, right after constructing the Engine.
TorusPlatform build_torus_platform(simgrid::s4u::Engine& engine, const ChipSpec& chip,
                                   const Torus& torus);

// The folded platform (program/fold.hpp): per representative of `group`, its chip host with its
// HBM and MXU and its six class links (nullptr where the representative has no link of that
// direction), each standing for every link of that direction at the representative's translates;
// and one sink host per peer of the representative, reached by the dimension-order route from the
// representative to that peer with each hop replaced by the class link of the hop (a link listed
// once per hop).
struct FoldedPlatform {
  std::vector<simgrid::s4u::Host*> hosts;                // by representative index
  std::vector<simgrid::s4u::Host*> hbm;                  // by representative index
  std::vector<simgrid::s4u::Host*> mxu;                  // by representative index
  std::vector<simgrid::s4u::Link*> links;                // by index * kDirections + Direction
  std::vector<std::vector<simgrid::s4u::Host*>> sinks;   // by index, then into its `peers`
};

// As build_torus_platform, for the fold; `peers[i]` are the chips representative i sends to.
FoldedPlatform build_folded_platform(simgrid::s4u::Engine& engine, const ChipSpec& chip,
                                     const Torus& torus, const FoldGroup& group,
                                     const std::vector<std::vector<ChipId>>& peers);

}  // namespace podsim::simgrid_platform
