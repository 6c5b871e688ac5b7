// The command-line conventions of issue 15, item 9, as a user meets them: one output vocabulary
// (-o/--output FILE, --format, the old --json/--csv kept as aliases), FILE metavars, help within
// 100 columns with an example under every command, `trace` saying what it wrote, a bash
// completion that knows every command and flag, and -j N meaning N simulation processes in all.

#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::read_file;
using podsim::test::Run;
using podsim::test::run_command;
using podsim::test::run_podsim;
using podsim::test::shell_quote;
using podsim::test::TempDir;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";
const std::string kToy = kGood + "/toy-prefill.yaml";

// The commands there are (README, "Command line"), written out here rather than read from podsim.
const std::vector<std::string> kCommands = {"run",     "calibrate", "trace", "replay",
                                            "collective", "explain", "compare", "sweep",
                                            "pareto",  "completion"};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The flags a command's help lists: every -x / --name at the start of an option line.
std::set<std::string> help_flags(const std::string& help) {
  std::set<std::string> flags;
  const std::regex flag(R"((?:^|,)(--?[A-Za-z][-A-Za-z]*))");
  for (const std::string& line : lines_of(help)) {
    if (line.rfind("  -", 0) != 0) continue;
    const std::string names = line.substr(2, line.find(' ', 2) - 2);
    for (auto it = std::sregex_iterator(names.begin(), names.end(), flag);
         it != std::sregex_iterator(); ++it)
      flags.insert((*it)[1]);
  }
  return flags;
}

}  // namespace

TEST_CASE("every command's help fits in 100 columns and ends with an example") {
  for (const std::string& command : kCommands) {
    const Run run = run_podsim(command + " --help", 60);
    INFO(command << ":\n" << run.out);
    REQUIRE(run.exit_code == 0);
    for (const std::string& line : lines_of(run.out)) CHECK(line.size() <= 100);
    CHECK(contains(run.out, "Example:\n  podsim " + command));
  }
  const Run top = run_podsim("--help", 60);
  for (const std::string& line : lines_of(top.out)) CHECK(line.size() <= 100);
  CHECK(contains(top.out, "Examples:\n  podsim run"));
}

TEST_CASE("options that take a file say FILE in the help") {
  // The file-taking options of each command, listed from the README.
  const std::map<std::string, std::vector<std::string>> files = {
      {"run", {"-o,--output", "--json", "--perfetto", "--html"}},
      {"replay", {"-o,--output", "--json", "--perfetto", "--html"}},
      {"trace", {"-o,--output"}},
      {"collective", {"-o,--output", "--json", "--perfetto", "--html"}},
      {"explain", {"-o,--output", "--html"}},
      {"compare", {"-o,--output", "--json", "--csv"}},
      {"sweep", {"-o,--output", "--emit-jobs", "--merge"}},
      {"pareto", {"-o,--output", "--json"}},
      {"calibrate", {"-o,--output", "--json"}}};
  for (const auto& [command, flags] : files) {
    const Run run = run_podsim(command + " --help", 60);
    for (const std::string& flag : flags) {
      bool found = false;
      for (const std::string& line : lines_of(run.out))
        if (line.rfind("  " + flag + " ", 0) == 0) {
          found = true;
          INFO(command << ": " << line);
          CHECK(contains(line, "FILE"));
        }
      INFO(command << " " << flag);
      CHECK(found);
    }
  }
}

TEST_CASE("run writes one JSON through --format json, -o FILE.json and the --json alias") {
  TempDir dir;
  const Run alias = run_podsim("run " + shell_quote(kToy) + " --json -", 120);
  const Run format = run_podsim("run " + shell_quote(kToy) + " --format json", 120);
  const Run to_file = run_podsim("run " + shell_quote(kToy) + " -o " + dir.file("m.json"), 120);
  const Run text = run_podsim("run " + shell_quote(kToy), 120);
  REQUIRE(alias.exit_code == 0);
  REQUIRE(format.exit_code == 0);
  REQUIRE(to_file.exit_code == 0);
  REQUIRE(text.exit_code == 0);
  CHECK(nlohmann::json::parse(alias.out).contains("total_s"));
  CHECK(format.out == alias.out);
  CHECK(read_file(dir.file("m.json")) == alias.out);
  // -o FILE carries the data, stdout the text report as without -o.
  CHECK(to_file.out == text.out);
  // A .txt file takes the text itself: nothing on stdout.
  const Run txt = run_podsim("run " + shell_quote(kToy) + " -o " + dir.file("m.txt"), 120);
  CHECK(txt.exit_code == 0);
  CHECK(txt.out.empty());
  CHECK(read_file(dir.file("m.txt")) == text.out);
}

TEST_CASE("an unknown format and two outputs on stdout are refused with exit 2") {
  const Run xml = run_podsim("run " + shell_quote(kToy) + " --format xml", 60);
  CHECK(xml.exit_code == 2);
  CHECK(contains(xml.err, "--format"));
  const Run two = run_podsim("compare " + shell_quote(kToy) +
                             " --vary batch=8,16 --format json --csv -", 60);
  CHECK(two.exit_code == 2);
  CHECK(contains(two.err, "two outputs would go to stdout"));
  CHECK(two.out.empty());
}

TEST_CASE("compare -o FILE.csv writes what --csv FILE wrote") {
  TempDir dir;
  const Run a = run_podsim("compare " + shell_quote(kToy) + " --vary batch=8,16 -j 2 -o " +
                               dir.file("a.csv"),
                           300);
  const Run b = run_podsim("compare " + shell_quote(kToy) + " --vary batch=8,16 -j 2 --csv " +
                               dir.file("b.csv"),
                           300);
  REQUIRE(a.exit_code == 0);
  REQUIRE(b.exit_code == 0);
  CHECK(read_file(dir.file("a.csv")).rfind("index,point,status", 0) == 0);
  CHECK(read_file(dir.file("a.csv")) == read_file(dir.file("b.csv")));
  CHECK(a.out == b.out);  // the table, on stdout both times
}

TEST_CASE("trace says what it wrote") {
  TempDir dir;
  const Run run = run_podsim("trace " + shell_quote(kToy) + " -o " + dir.file("t.json"), 60);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.empty());
  CHECK(contains(run.err, "wrote " + dir.file("t.json") + " ("));
  CHECK(contains(run.err, "podsim replay " + dir.file("t.json")));
  // Without -o the trace goes to stdout, and nothing is said.
  const Run out = run_podsim("trace " + shell_quote(kToy), 60);
  CHECK(out.exit_code == 0);
  CHECK(out.out == read_file(dir.file("t.json")));
  CHECK(out.err.empty());
}

TEST_CASE("the bash completion knows every command and every flag of their help") {
  const Run script = run_podsim("completion bash", 60);
  REQUIRE(script.exit_code == 0);
  for (const std::string& command : kCommands) {
    const Run help = run_podsim(command + " --help", 60);
    const std::set<std::string> flags = help_flags(help.out);
    INFO(command);
    CHECK(flags.count("--help") == 1);  // the parse found the option lines
    // What bash offers after `podsim COMMAND -` is every flag of the command's help.
    const std::string bash = "source <(" + shell_quote(PODSIM_BINARY) +
                             " completion bash); COMP_WORDS=(podsim " + command +
                             " -); COMP_CWORD=2; _podsim; printf '%s\\n' \"${COMPREPLY[@]}\"";
    const Run offered = run_command("bash -c " + shell_quote(bash));
    REQUIRE(offered.exit_code == 0);
    std::set<std::string> got;
    for (const std::string& line : lines_of(offered.out)) got.insert(line);
    for (const std::string& flag : flags) {
      INFO(flag);
      CHECK(got.count(flag) == 1);
    }
  }
  // The first word completes to a command, a --format value to the command's formats.
  const auto complete = [](const std::string& words, int cword) {
    const std::string bash = "source <(" + shell_quote(PODSIM_BINARY) +
                             " completion bash); COMP_WORDS=(" + words + "); COMP_CWORD=" +
                             std::to_string(cword) + "; _podsim; echo \"${COMPREPLY[*]}\"";
    return run_command("bash -c " + shell_quote(bash)).out;
  };
  CHECK(complete("podsim sw", 1) == "sweep\n");
  CHECK(complete("podsim compare --format ''", 3) == "text json csv\n");
  CHECK(complete("podsim run --log-level d", 3) == "debug\n");
}

namespace {

// argv of every running process whose program is podsim, whose first argument is `run` and
// whose scenario is in `dir` (other tests may be running podsim at the same time).
std::vector<std::vector<std::string>> podsim_runs(const std::string& dir) {
  std::vector<std::vector<std::string>> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (const dirent* e = readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const std::string cmdline = read_file(std::string("/proc/") + e->d_name + "/cmdline");
    std::vector<std::string> argv;
    std::string arg;
    for (char c : cmdline) {
      if (c == '\0') {
        argv.push_back(arg);
        arg.clear();
      } else {
        arg += c;
      }
    }
    if (argv.size() > 2 && argv[0] == PODSIM_BINARY && argv[1] == "run" &&
        argv[2].rfind(dir, 0) == 0)
      out.push_back(argv);
  }
  closedir(proc);
  return out;
}

}  // namespace

TEST_CASE("a sweep's jobs option means that many simulation processes in all") {
  TempDir dir;
  // 4 points at -j 2: two points at once, each point's fast path given -j 1. The sweep and its
  // base are copied here, so that only this sweep's processes are counted.
  dir.write("base.yaml", read_file(kGood + "/toy-generate.yaml"));
  const std::string sweep = shell_quote(dir.write(
      "sweep.yaml", "name: jobs\nbase: " + dir.file("base.yaml") +
                        "\ngrid:\n  ffn_layout: [ws-1d, ws-2d]\n  batch: [8, 16]\n"));
  const std::string done = dir.file("done");
  REQUIRE(std::system(("( " + shell_quote(PODSIM_BINARY) + " sweep " + sweep + " -j 2 -o " +
                       dir.file("out.csv") + " >/dev/null 2>&1; touch " + done + " ) &")
                          .c_str()) == 0);
  std::set<std::string> child_jobs;
  std::size_t most_at_once = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(300);
  while (!podsim::test::fs::exists(done) && std::chrono::steady_clock::now() < until) {
    // A point is `podsim run ... -j K`; the simulations it forks carry the same argv, so the
    // processes seen at once are the points plus their simulations.
    std::size_t simulations = 0;
    std::map<std::string, int> same;
    for (const auto& argv : podsim_runs(dir.path.string())) {
      std::string line;
      for (const std::string& a : argv) line += a + " ";
      ++same[line];
      for (std::size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == "-j") child_jobs.insert(argv[i + 1]);
    }
    // Each point process is idle while its fork simulates: a point with a child counts once.
    for (const auto& [line, n] : same) simulations += n > 1 ? n - 1 : 1;
    most_at_once = std::max(most_at_once, simulations);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  REQUIRE(podsim::test::fs::exists(done));
  CHECK(child_jobs == std::set<std::string>{"1"});
  CHECK(most_at_once <= 2);
  CHECK(most_at_once >= 1);
}

TEST_CASE("every JSON result carries format_version 1") {
  TempDir dir;
  // docs/outputs.md: format_version 1 on run, collective, explain, compare and pareto results.
  const std::vector<std::string> commands = {
      "run " + shell_quote(kToy) + " --format json",
      "collective --shape 2x2x2 --op all-gather --axes x --bytes 1MiB --format json",
      // --json without FILE: JSON on stdout, as it always was.
      "collective --shape 2x2x2 --op all-gather --axes x --bytes 1MiB --json",
      "explain --shape 4x4x1 --op all-gather --axes x --bytes 1MiB --format json",
      "compare " + shell_quote(kToy) + " --vary batch=8,16 -j 2 --format json"};
  for (const std::string& command : commands) {
    const Run run = run_podsim(command, 300);
    INFO(command << "\n" << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(nlohmann::json::parse(run.out).at("format_version") == 1);
  }
  const Run csv = run_podsim("compare " + shell_quote(kToy) + " --vary batch=8,16 -j 2 -o " +
                                 dir.file("c.csv"),
                             300);
  REQUIRE(csv.exit_code == 0);
  const Run pareto = run_podsim("pareto " + dir.file("c.csv") + " --format json", 60);
  INFO(pareto.err);
  REQUIRE(pareto.exit_code == 0);
  CHECK(nlohmann::json::parse(pareto.out).at("format_version") == 1);
}
