// scripts/check_layout.sh keeps the include table of sim/README.md true. These tests run it on
// trees built in a temporary directory, never on the real sim/ alone, so that they hold whether or
// not today's code is clean: a small tree that follows every row passes; one stray include of each
// kind fails and names the file, the line and the rule; a copy of the real sim/ with two stray
// includes added names both.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace fs = std::filesystem;
using podsim::test::contains;
using podsim::test::read_file;
using podsim::test::run_command;
using podsim::test::shell_quote;
using podsim::test::TempDir;
using podsim::test::write_file;

namespace {

const fs::path kRepo = fs::path(PODSIM_TEST_DIR) / "..";

podsim::test::Run check_layout(const fs::path& root) {
  return run_command("bash " + shell_quote((kRepo / "scripts/check_layout.sh").string()) + " " +
                     shell_quote(root.string()));
}

void write_source(const fs::path& root, const std::string& file, const std::string& text) {
  fs::create_directories((root / file).parent_path());
  write_file(root / file, text);
}

// One file per module, each including what its row of the table allows.
void write_clean_tree(const fs::path& root) {
  write_source(root, "sim/core/units.hpp",
               "#pragma once\n#include <cstdint>\n#include <vector>\n#include <fmt/format.h>\n");
  write_source(root, "sim/core/env.cpp",
               "#include <unistd.h>\n#include <sys/wait.h>\n#include <spdlog/spdlog.h>\n"
               "#include \"sim/core/units.hpp\"\n");
  write_source(root, "sim/topology/torus.hpp",
               "#pragma once\n#include <boost/graph/adjacency_list.hpp>\n"
               "#include \"sim/core/units.hpp\"\n");
  write_source(root, "sim/model/chip_spec.hpp", "#pragma once\n#include \"sim/core/units.hpp\"\n");
  write_source(root, "sim/partition/layout.hpp",
               "#pragma once\n#include \"sim/model/chip_spec.hpp\"\n"
               "#include \"sim/topology/torus.hpp\"\n");
  write_source(root, "sim/workload/trace_json.cpp",
               "#include <nlohmann/json.hpp>\n#include \"sim/partition/layout.hpp\"\n");
  write_source(root, "sim/analytic/collective_cost.hpp",
               "#pragma once\n#include \"sim/partition/layout.hpp\"\n");
  write_source(root, "sim/program/algorithms.hpp",
               "#pragma once\n#include \"sim/analytic/collective_cost.hpp\"\n"
               "#include \"sim/workload/trace.hpp\"\n");
  write_source(root, "sim/config/yaml_source.cpp",
               "#include <yaml-cpp/yaml.h>\n#include \"sim/program/algorithms.hpp\"\n");
  write_source(root, "sim/replay/replay.cpp",
               "#include <simgrid/s4u.hpp>\n#include \"sim/program/algorithms.hpp\"\n");
  write_source(root, "sim/report/perfetto.cpp",
               "#include <nlohmann/json.hpp>\n#include \"sim/program/replay_result.hpp\"\n");
  write_source(root, "sim/explore/layout_search.cpp",
               "#include \"sim/config/scenario_loader.hpp\"\n#include \"sim/replay/replay.hpp\"\n"
               "#include \"sim/report/run_metrics.hpp\"\n");
  write_source(root, "sim/cli/main.cpp",
               "#include <CLI/CLI.hpp>\n#include <nlohmann/json.hpp>\n"
               "#include \"sim/explore/layout_search.hpp\"\n#include \"sim/config/x.hpp\"\n");
}

// The line number a line appended to `file` will have.
int next_line(const fs::path& file) {
  const std::string text = read_file(file);
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return text.empty() || text.back() == '\n' ? lines + 1 : lines + 2;
}

void append_line(const fs::path& file, const std::string& line) {
  std::string text = read_file(file);
  if (!text.empty() && text.back() != '\n') text += '\n';
  write_file(file, text + line + "\n");
}

}  // namespace

TEST_CASE("check_layout passes a tree whose every module includes only what its row allows") {
  TempDir dir;
  write_clean_tree(dir.path);
  const auto run = check_layout(dir.path);
  CHECK(run.exit_code == 0);
  CHECK(run.out.empty());
}

TEST_CASE("check_layout fails on one stray include of each rule and names file, line and rule") {
  struct Stray {
    std::string file;
    std::string include;
    std::string message;  // expected after "file:line: "
  };
  const Stray stray = GENERATE(values<Stray>({
      {"sim/report/perfetto.cpp", "#include <simgrid/s4u.hpp>",
       "module report may not include simgrid"},
      {"sim/explore/layout_search.cpp", "#include <simgrid/s4u.hpp>",
       "module explore may not include simgrid"},
      {"sim/workload/trace_json.cpp", "#include <yaml-cpp/yaml.h>",
       "module workload may not include yaml-cpp"},
      {"sim/explore/layout_search.cpp", "#include <CLI/CLI.hpp>",
       "module explore may not include CLI11"},
      {"sim/partition/layout.hpp", "#include <boost/graph/adjacency_list.hpp>",
       "module partition may not include boost-graph"},
      {"sim/model/chip_spec.hpp", "#include <nlohmann/json.hpp>",
       "module model may not include nlohmann"},
      {"sim/core/units.hpp", "#include \"sim/model/chip_spec.hpp\"",
       "module core may not include model"},
      {"sim/topology/torus.hpp", "#include \"sim/model/chip_spec.hpp\"",
       "module topology may not include model"},
      {"sim/model/chip_spec.hpp", "#include \"sim/topology/torus.hpp\"",
       "module model may not include topology"},
      {"sim/partition/layout.hpp", "#include \"sim/workload/trace.hpp\"",
       "module partition may not include workload"},
      {"sim/workload/trace_json.cpp", "#include \"sim/analytic/layout_cost.hpp\"",
       "module workload may not include analytic"},
      {"sim/analytic/collective_cost.hpp", "#include \"sim/program/collective.hpp\"",
       "module analytic may not include program"},
      {"sim/program/algorithms.hpp", "#include \"sim/config/yaml_source.hpp\"",
       "module program may not include config"},
      {"sim/config/yaml_source.cpp", "#include \"sim/explore/calibration_case.hpp\"",
       "module config may not include explore"},
      {"sim/replay/replay.cpp", "#include \"sim/config/scenario_loader.hpp\"",
       "module replay may not include config"},
      {"sim/replay/replay.cpp", "#include \"sim/report/timeline.hpp\"",
       "module replay may not include report"},
      {"sim/report/perfetto.cpp", "#include \"sim/replay/replay.hpp\"",
       "module report may not include replay"},
      {"sim/explore/layout_search.cpp", "#include \"sim/cli/commands.hpp\"",
       "module explore may not include cli"},
      {"sim/explore/layout_search.cpp", "#include <unistd.h>",
       "module explore may not include posix"},
      {"sim/workload/trace_json.cpp", "#include \"sim/nowhere/x.hpp\"",
       "module workload may not include nowhere"},
      {"sim/report/perfetto.cpp", "#include <zlib.h>",
       "module report may not include <zlib.h>: unknown library"},
  }));
  CAPTURE(stray.file, stray.include);
  TempDir dir;
  write_clean_tree(dir.path);
  const int line = next_line(dir.path / stray.file);
  append_line(dir.path / stray.file, stray.include);
  const auto run = check_layout(dir.path);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.out, stray.file + ":" + std::to_string(line) + ": " + stray.message));
  int violations = 0;
  for (char c : run.out) violations += c == '\n';
  CHECK(violations == 1);
}

TEST_CASE("check_layout fails on a copy of sim/ with a SimGrid include in report and a cli "
          "include in workload") {
  TempDir dir;
  fs::copy(kRepo / "sim", dir.path / "sim", fs::copy_options::recursive);
  const fs::path report = dir.path / "sim/report/html_report.cpp";
  const fs::path workload = dir.path / "sim/workload/op_cost.cpp";
  REQUIRE(fs::exists(report));
  REQUIRE(fs::exists(workload));
  const int report_line = next_line(report);
  const int workload_line = next_line(workload);
  append_line(report, "#include <simgrid/s4u.hpp>");
  append_line(workload, "#include \"sim/cli/commands.hpp\"");
  const auto run = check_layout(dir.path);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.out, "sim/report/html_report.cpp:" + std::to_string(report_line) +
                              ": module report may not include simgrid"));
  CHECK(contains(run.out, "sim/workload/op_cost.cpp:" + std::to_string(workload_line) +
                              ": module workload may not include cli"));
}

TEST_CASE("check_layout refuses a root without sim/") {
  TempDir dir;
  CHECK(check_layout(dir.path).exit_code == 2);
}
