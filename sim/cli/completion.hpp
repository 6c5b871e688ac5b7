#pragma once
// `podsim completion bash`: a bash completion script generated from the command line itself (the
// CLI11 app), so that it lists every command and flag there is and cannot fall behind them.
// Install: `podsim completion bash > ~/.local/share/bash-completion/completions/podsim`, or
// `source <(podsim completion bash)`.

#include <CLI/CLI.hpp>

#include <string>

namespace podsim::cli {

// The script: a function _podsim completing the command (first word), then per command its
// flags, the values of flags with a fixed set (--format, --op, ...), file names for FILE
// arguments and positionals, and nothing for other values.
std::string bash_completion(const CLI::App& app);

// Registers `podsim completion SHELL`; the app must hold every other command when it runs.
void add_completion_command(CLI::App& app, std::function<int()>& command);

}  // namespace podsim::cli
