#pragma once
// The podsim subcommands. Each registers its options on the CLI11 app and returns the function
// that runs it (after parsing); a command returns the process exit code.

#include <CLI/CLI.hpp>

#include <functional>

namespace podsim::cli {

using Command = std::function<int()>;

Command add_collective_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_calibrate_command(CLI::App& app);
Command add_trace_command(CLI::App& app);
Command add_replay_command(CLI::App& app);
Command add_explain_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
Command add_sweep_command(CLI::App& app);
Command add_pareto_command(CLI::App& app);

}  // namespace podsim::cli
