// scripts/plot_pareto.py and scripts/plot_layouts.py read podsim's sweep CSV and write PNGs; the
// frontier they print is the one worked out by hand for a small table.

#include <catch2/catch.hpp>

#include "test/support/cli_support.hpp"

namespace podsim::test {
namespace {

// A sweep CSV in podsim's column names (sim/report/sweep_table.hpp), with one failed point.
// Decode (latency s, cost chip-s/token): a (0.02, 0.003), b (0.012, 0.0035), c (0.025, 0.0025),
// d (0.03, 0.004). d is beaten by a on both axes; a, b and c each win somewhere: frontier b, a, c.
constexpr const char* kCsv =
    "index,point,status,chips,batch,ffn_layout,attention,prefill_s,"
    "prefill_cost_chip_s_per_token,decode_step_s,decode_cost_chip_s_per_token\n"
    "1,a,ok,8,64,ws-1d,batch,0.1,0.004,0.02,0.003\n"
    "2,b,ok,16,64,ws-1d,batch,0.06,0.005,0.012,0.0035\n"
    "3,c,ok,8,64,ws-2d,batch,0.12,0.003,0.025,0.0025\n"
    "4,d,ok,16,64,ws-2d,batch,0.2,0.006,0.03,0.004\n"
    "5,e,invalid,16,64,wg-x,batch,,,,\n";

// The plots need matplotlib (Debian python3-matplotlib, from scripts/install_deps.sh); without it
// these tests only check the scripts' hint, so that the test suite never requires it.
bool have_matplotlib() {
  return run_command("/usr/bin/python3 -c 'import matplotlib' 2>/dev/null").exit_code == 0;
}

bool is_png(const fs::path& path) {
  const std::string bytes = read_file(path);
  return bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

TEST_CASE("plot_pareto draws the hand-computed frontier", "[timeline]") {
  if (!have_matplotlib()) {
    WARN("matplotlib is missing: plot_pareto not drawn");
    return;
  }
  TempDir dir;
  std::ofstream(dir.path / "s.csv") << kCsv;
  const Run run = run_command(std::string(PODSIM_TEST_DIR) + "/../scripts/plot_pareto.py '" +
                              (dir.path / "s.csv").string() + "' -o '" +
                              (dir.path / "p.png").string() + "' --phase decode");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(is_png(dir.path / "p.png"));
  std::vector<std::string> frontier;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("decode frontier:", 0) == 0) frontier.push_back(line.substr(line.size() - 1));
  CHECK(frontier == std::vector<std::string>{"b", "a", "c"});
}

TEST_CASE("plot_layouts draws one line per layout", "[timeline]") {
  if (!have_matplotlib()) {
    WARN("matplotlib is missing: plot_layouts not drawn");
    return;
  }
  TempDir dir;
  std::ofstream(dir.path / "s.csv") << kCsv;
  const Run run = run_command(std::string(PODSIM_TEST_DIR) + "/../scripts/plot_layouts.py '" +
                              (dir.path / "s.csv").string() + "' -o '" +
                              (dir.path / "l.png").string() + "' --x chips --y decode_step_s");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(is_png(dir.path / "l.png"));
  CHECK(run.out.find("1D weight-stationary (ws-1d): chips=8 decode_step_s=0.02, "
                     "chips=16 decode_step_s=0.012") !=
        std::string::npos);
  CHECK(run.out.find("2D weight-stationary (ws-2d): chips=8 decode_step_s=0.025, "
                     "chips=16 decode_step_s=0.03") !=
        std::string::npos);
  CHECK(run.out.find("wg-x") == std::string::npos);  // the invalid point is left out
}

TEST_CASE("plot_layouts never joins points of different batch sizes", "[timeline]") {
  if (!have_matplotlib()) return;
  TempDir dir;
  std::ofstream(dir.path / "b.csv")
      << "index,point,status,chips,batch,ffn_layout,attention,decode_step_s\n"
         "1,a,ok,8,64,ws-1d,batch,0.02\n2,b,ok,16,64,ws-1d,batch,0.012\n"
         "3,c,ok,8,128,ws-1d,batch,0.03\n4,d,ok,16,128,ws-1d,batch,0.02\n";
  const Run run = run_command(std::string(PODSIM_TEST_DIR) + "/../scripts/plot_layouts.py '" +
                              (dir.path / "b.csv").string() + "' -o '" +
                              (dir.path / "b.png").string() + "' -o '" +
                              (dir.path / "b.svg").string() + "' --x chips");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("1D weight-stationary (ws-1d), batch 64: chips=8 decode_step_s=0.02, "
                     "chips=16 decode_step_s=0.012") !=
        std::string::npos);
  CHECK(run.out.find("1D weight-stationary (ws-1d), batch 128: chips=8 decode_step_s=0.03, "
                     "chips=16 decode_step_s=0.02") !=
        std::string::npos);
  CHECK(is_png(dir.path / "b.png"));
  CHECK(read_file(dir.path / "b.svg").find("<svg") != std::string::npos);
}

TEST_CASE("the plot scripts give an install hint when matplotlib is missing", "[timeline]") {
  // A matplotlib that fails to import stands in for a Python without it.
  TempDir dir;
  fs::create_directories(dir.path / "matplotlib");
  std::ofstream(dir.path / "matplotlib" / "__init__.py") << "raise ImportError('no matplotlib')\n";
  std::ofstream(dir.path / "s.csv") << kCsv;
  for (const char* script : {"plot_pareto.py", "plot_layouts.py"}) {
    const Run run = run_command("PYTHONPATH='" + dir.path.string() + "' python3 " +
                                std::string(PODSIM_TEST_DIR) + "/../scripts/" + script + " '" +
                                (dir.path / "s.csv").string() + "' -o '" +
                                (dir.path / "x.png").string() + "'");
    INFO(script << "\n" << run.err);
    CHECK(run.exit_code == 3);
    CHECK(run.err.find("matplotlib is missing") != std::string::npos);
    CHECK(run.err.find("apt-get install python3-matplotlib") != std::string::npos);
  }
}

}  // namespace
}  // namespace podsim::test
