#pragma once
// Replay: executes a Program on a SimGrid model of the slice (one actor per chip) and returns what
// happened (program/replay_result.hpp). This header is SimGrid-free so that the CLI and tests can
// call it without the SimGrid headers; all SimGrid calls live in the .cpp files of sim/replay/.
//
// The simulated slice: one host per chip whose speed is the MXU peak, its HBM as a disk read at
// HBM bandwidth, and one link per direction of every ICI link (none across the edge of a mesh
// axis), routed in dimension order. The network model is set up so that an uncontended transfer
// takes exactly hops x hop latency + bytes / link bandwidth, and concurrent flows share a link
// max-min fairly (FACTS.md §6: CM02 without cross-traffic or TCP window, zero-latency links, the
// hop latency added by the sending actor).
//
// SimGrid keeps global state: call replay() at most once per process.

#include "sim/model/chip_spec.hpp"
#include "sim/program/program.hpp"
#include "sim/program/replay_result.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

ReplayResult replay(const ChipSpec& chip, const Torus& torus, const Program& program,
                    const ReplayOptions& options = {});

}  // namespace podsim
