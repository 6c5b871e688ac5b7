// podsim: a discrete-event simulator of a TPU v4 pod running LLM inference.
// Exit codes: 0 success, 2 bad input (one line `file:line:col: key: problem`), 1 internal error.

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <new>
#include <string>
#include <vector>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/completion.hpp"
#include "sim/cli/progress.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/program/fold.hpp"
#include "sim/replay/replay.hpp"
#include "sim/core/env.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/output_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/core/utf8.hpp"

int main(int argc, char** argv) {
  podsim::die_with_parent();
  podsim::install_out_of_memory_handler();
  podsim::checked_stdout();
  CLI::App app{"podsim: simulate LLM inference on a TPU v4 pod (torus of chips, ICI links, HBM)"};
  // Help wrapped to 100 columns; the subcommands added below inherit the formatter.
  app.formatter(podsim::cli::wrapping_formatter());
  app.require_subcommand(1);
  app.footer(
      "Examples:\n"
      "  podsim run scenarios/t2-low-latency-decode.yaml\n"
      "  podsim compare scenarios/t2-low-latency-decode.yaml --vary ffn_layout=ws-1d,ws-2d\n"
      "  podsim explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB\n"
      "Every command has its own --help. Outputs: -o FILE and --format (text, json, csv) on every "
      "command; progress goes to stderr on a terminal (or with --progress), never into outputs.");
  // PODSIM_VERSION: the project version of CMakeLists.txt.
  app.set_version_flag("--version", std::string("podsim ") + PODSIM_VERSION);
  app.fallthrough();  // global options (--log-level) anywhere on the line
  std::string log_level = "warn";
  app.add_option("--log-level", log_level, "Logging: warn, info, debug or trace")
      ->type_name("LEVEL")
      ->check(CLI::IsMember({"warn", "info", "debug", "trace"}));
  bool progress = false;
  app.add_flag("--progress", progress,
               "Show progress with an estimate of the time left on stderr even when it is not a "
               "terminal (on a terminal it is always shown)");

  std::map<CLI::App*, podsim::cli::Command> commands;
  const auto add = [&](podsim::cli::Command (*registrar)(CLI::App&)) {
    const std::size_t before = app.get_subcommands({}).size();
    podsim::cli::Command command = registrar(app);
    commands[app.get_subcommands({})[before]] = std::move(command);
  };
  add(&podsim::cli::add_run_command);
  add(&podsim::cli::add_calibrate_command);
  add(&podsim::cli::add_trace_command);
  add(&podsim::cli::add_replay_command);
  add(&podsim::cli::add_collective_command);
  add(&podsim::cli::add_explain_command);
  add(&podsim::cli::add_compare_command);
  add(&podsim::cli::add_sweep_command);
  add(&podsim::cli::add_pareto_command);
  // explain registers no example of its own: its help gets one here.
  podsim::cli::set_examples(app.get_subcommand("explain"),
                            {"podsim explain --op all-gather --axes x --shape 4x4x1 --wrap x "
                             "--bytes 1MiB --html ag.html"});
  podsim::cli::Command completion;
  podsim::cli::add_completion_command(app, completion);
  commands[app.get_subcommand("completion")] = completion;

  // -j on the commands that simulate a scenario: N simulation processes in all (compare and sweep
  // register their own -j, shared out among their points by explore/point_runner).
  int jobs = 0;
  for (const char* name : {"run", "replay"})
    app.get_subcommand(name)
        ->add_option("-j,--jobs", jobs,
                     "Simulation processes at once on the fast path (default 2, the machines "
                     "podsim targets have 2 cores)")
        ->type_name("N")
        ->check(CLI::Range(1, 1024));

  // --replay on every command that simulates (program/fold.hpp); PODSIM_REPLAY when not given.
  std::string replay_mode;
  for (const char* name :
       {"run", "replay", "collective", "explain", "compare", "sweep", "calibrate"})
    app.get_subcommand(name)
        ->add_option("--replay", replay_mode,
                     "Which replay: auto (folded where exact, the default), folded, per-chip; "
                     "default $PODSIM_REPLAY or auto")
        ->type_name("MODE")
        ->check(CLI::IsMember({"auto", "folded", "per-chip"}));

  // CLI11 reports an unknown command as "A subcommand is required": name it, and the closest one.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--log-level") {
      ++i;
      continue;
    }
    if (arg.empty() || arg[0] == '-') continue;
    std::vector<std::string> names;
    for (const auto& [sub, command] : commands) names.push_back(sub->get_name());
    std::sort(names.begin(), names.end());
    if (std::find(names.begin(), names.end(), arg) != names.end()) break;
    const auto close = podsim::closest_match(arg, names);
    std::fputs(fmt::format("<command line>: '{}' is not a podsim command{}; commands: {}; see "
                           "podsim --help\n",
                           podsim::escaped_bytes(arg),
                           close ? fmt::format(" (did you mean '{}'?)", *close) : "",
                           fmt::join(names, ", "))
                   .c_str(),
               stderr);
    return 2;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string message = e.what();
    for (char& c : message)
      if (c == '\n') c = ' ';
    std::fputs(fmt::format("<command line>: {}; see podsim --help\n", message).c_str(), stderr);
    return 2;
  }

  podsim::set_log_level(spdlog::level::from_str(log_level));
  if (jobs > 0) podsim::set_parallel_simulations(jobs);
  podsim::cli::set_progress_forced(progress);
  try {
    if (replay_mode.empty())
      if (const char* from_env = std::getenv("PODSIM_REPLAY"))
        podsim::set_process_replay_mode(podsim::parse_replay_mode(from_env, "PODSIM_REPLAY"));
    if (!replay_mode.empty())
      podsim::set_process_replay_mode(podsim::parse_replay_mode(replay_mode, "--replay"));
    for (const auto& [sub, command] : commands)
      if (sub->parsed()) {
        const int code = command();
        // A result lost on the way out (`podsim run > /dev/full`) is an error, not exit 0.
        podsim::check_stdout();
        return code;
      }
  } catch (const podsim::InputError& e) {
    std::fputs(fmt::format("{}\n", e.what()).c_str(), stderr);
    return 2;
  } catch (const podsim::SimulationError& e) {
    std::fputs(fmt::format("podsim: {}\n", e.what()).c_str(), stderr);
    return 1;
  } catch (const std::bad_alloc&) {
    // One line, exit 2 like the up-front refusals (env.hpp, install_out_of_memory_handler).
    std::fputs(podsim::out_of_memory_message(), stderr);
    return 2;
  } catch (const std::exception& e) {
    std::fputs(fmt::format("podsim: internal error: {}\n", e.what()).c_str(), stderr);
    return 1;
  }
  return 1;
}
