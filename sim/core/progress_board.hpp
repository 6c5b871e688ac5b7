#pragma once
// The progress of one run's simulations, counted where it happens: the replay (sim/replay/)
// reports each finished task of the simulation it runs, in this process or in a forked child of
// run_in_children (env.hpp), to a board in shared memory that this process reads. The board has
// one slot per simulation of the current round (trace_replay's fast path runs the steps of a
// round as separate simulations, `parallel` at a time in batches); a slot holds the
// simulation's task count, the tasks finished, and when it started and ended.
//
// Nothing is counted unless a ProgressBoard exists (the CLI makes one only when progress is
// shown): without one every call below is a test of a null pointer. The board never changes
// what is simulated or any output.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace podsim {

// Simulations a round can show (the fast path's rounds have at most a handful: the non-decode
// steps and three decode steps, then the midpoints of the intervals still being split).
inline constexpr int kProgressSlots = 64;

// A copy of one slot, read from the board.
struct SimulationProgress {
  std::string kind;            // what it simulates ("prefill", "decode"): same kind, same tasks
  std::uint64_t total = 0;     // its tasks (0: not started, so not known yet)
  std::uint64_t done = 0;      // tasks finished
  double start_s = -1;         // on the board's clock (seconds since the round began); < 0: not
  double end_s = -1;           // started / not ended
};

struct ProgressSnapshot {
  int round = 0;  // 1-based; 0: no round yet
  int parallel = 1;
  double now_s = 0;  // the board's clock at the snapshot
  std::vector<SimulationProgress> simulations;
};

// The board. At most one exists at a time (the replay reports to it through a process-wide
// pointer); it is created before the children are forked, which inherit the shared mapping.
class ProgressBoard {
 public:
  ProgressBoard();
  ~ProgressBoard();
  ProgressBoard(const ProgressBoard&) = delete;
  ProgressBoard& operator=(const ProgressBoard&) = delete;
  ProgressSnapshot snapshot() const;
  struct Shared;

 private:
  Shared* shared_ = nullptr;
};

// The caller (trace_replay) is about to run `kinds.size()` simulations, `parallel` at a time in
// order, one of kind kinds[i] in slot i. Clears the board and starts its clock for the round.
void progress_round(const std::vector<std::string>& kinds, int parallel);
// The simulation that runs next in this process reports to `slot` (set in the forked child, or
// in this process before an in-process simulation; slot 0 by default).
void progress_slot(int slot);
// The replay: the simulation starts with `tasks` tasks; `tasks` more finished; it ended.
void progress_begin(std::uint64_t tasks);
void progress_add(std::uint64_t tasks);
void progress_end();

// Seconds left in the round at snapshot.now_s, from the tasks finished so far: each process
// works at the seconds per task observed over the started simulations (their elapsed seconds
// over their finished tasks); a simulation not started yet has the task count of a started one
// of the same kind (decode steps lower the same layers), else their mean; simulations run in
// batches of `parallel` in slot order, as run_in_children runs them, so a batch lasts as long
// as its longest. Negative when nothing has finished a task yet (no rate observed).
double progress_remaining_s(const ProgressSnapshot& snapshot);

}  // namespace podsim
