#pragma once
// SimGrid keeps global state, so one process runs one simulation. run_in_child() runs a function
// in a forked child and returns the numbers it produced, so that a program can simulate several
// times (fast-path rounds, comparisons in tests) without ever creating an Engine itself.

#include <functional>
#include <vector>

namespace podsim {

// Forks; the child runs `work` and sends its result back through a pipe, then exits. Throws
// std::runtime_error when the child dies or exits without a result (its stderr is inherited, so
// its own message is already printed). The caller must not have started a SimGrid Engine.
std::vector<double> run_in_child(const std::function<std::vector<double>()>& work);

// Runs each of `works` in a forked child, at most `parallel` at a time, and returns their results
// in order. Throws like run_in_child.
std::vector<std::vector<double>> run_in_children(
    const std::vector<std::function<std::vector<double>()>>& works, int parallel);

}  // namespace podsim
