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

bool is_png(const fs::path& path) {
  const std::string bytes = read_file(path);
  return bytes.size() > 1000 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

TEST_CASE("plot_pareto draws the hand-computed frontier", "[timeline]") {
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
  TempDir dir;
  std::ofstream(dir.path / "s.csv") << kCsv;
  const Run run = run_command(std::string(PODSIM_TEST_DIR) + "/../scripts/plot_layouts.py '" +
                              (dir.path / "s.csv").string() + "' -o '" +
                              (dir.path / "l.png").string() + "' --x chips --y decode_step_s");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(is_png(dir.path / "l.png"));
  CHECK(run.out.find("ws-1d: chips=8 decode_step_s=0.02, chips=16 decode_step_s=0.012") !=
        std::string::npos);
  CHECK(run.out.find("ws-2d: chips=8 decode_step_s=0.025, chips=16 decode_step_s=0.03") !=
        std::string::npos);
  CHECK(run.out.find("wg-x") == std::string::npos);  // the invalid point is left out
}

}  // namespace
}  // namespace podsim::test
