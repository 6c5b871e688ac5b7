#pragma once
// Replay: executes a Program on a SimGrid model of the slice (one actor per chip) and returns what
// happened (program/replay_result.hpp). This header is SimGrid-free so that the CLI and tests can
// call it without the SimGrid headers; all SimGrid calls live in the .cpp files of sim/replay/.
//
// The simulated slice: one host per chip whose speed is the MXU peak, its HBM as a disk read at
// HBM bandwidth, and one link per direction of every ICI link (none across the edge of a mesh
// axis), routed in dimension order. The network model is set up so that an uncontended transfer
// takes exactly hops x hop latency + bytes / link bandwidth, and concurrent flows share a link
// max-min fairly (platforms/README.md §6: CM02 without cross-traffic or TCP window, zero-latency
// links, the
// hop latency added by the sending actor).
//
// SimGrid keeps global state: call replay() at most once per process.

#include <stdexcept>

#include "sim/model/chip_spec.hpp"
#include "sim/program/fold.hpp"
#include "sim/program/program.hpp"
#include "sim/program/replay_result.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

// A simulation that cannot finish: a chip stalled before its last task (SimGrid detected a
// deadlock) or the clock left the finite range. Not bad input as such (the input that causes it
// should be refused up front), but it must never be reported as a result.
class SimulationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws SimulationError when not every chip finished every task or the end time is not finite.
ReplayResult replay(const ChipSpec& chip, const Torus& torus, const Program& program,
                    const ReplayOptions& options = {});

// The folded replay (program/fold.hpp): executes the representatives of `group`, whose programs
// are program.chips[r], on the folded platform, and expands the result by translation: every chip
// ends when its representative ends, every link has the statistics and intervals of its class's
// folded link, transfers count every chip's. Requires a program invariant under the group (the
// caller checks, fold.hpp); the other chips' programs are not read. Task records are the
// representatives' only. Same once-per-process rule as replay().
ReplayResult replay_folded(const ChipSpec& chip, const Torus& torus, const FoldGroup& group,
                           const Program& program, const ReplayOptions& options = {});

}  // namespace podsim
