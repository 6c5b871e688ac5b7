#pragma once
// The SimGrid platform of a slice: a network zone of our own whose routes are the torus's
// dimension-order routes (sim/topology/), so that mesh axes, any shape and tracing work — the
// built-in torus zone can express none of these (FACTS.md §6).

#include <simgrid/s4u.hpp>

#include <vector>

#include "sim/model/chip_spec.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::simgrid_platform {

struct TorusPlatform {
  std::vector<simgrid::s4u::Host*> hosts;   // by ChipId
  std::vector<simgrid::s4u::Disk*> hbm;     // by ChipId
  std::vector<simgrid::s4u::Link*> links;   // by LinkId; nullptr where the link does not exist
};

// Configures the network model for exact, max-min fair transfers and builds the slice in the
// engine's (new) root zone. Call once, right after constructing the Engine.
TorusPlatform build_torus_platform(simgrid::s4u::Engine& engine, const ChipSpec& chip,
                                   const Torus& torus);

}  // namespace podsim::simgrid_platform
