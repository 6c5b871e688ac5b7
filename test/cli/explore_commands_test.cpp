// `podsim compare`, `podsim sweep` and `podsim pareto` as a user runs them, on the toy model on
// 8 chips (fast): compare and sweep rows against `podsim run` of each point alone, -j 2 against
// -j 1, a resumed or merged sweep against an uninterrupted one, rows with reasons for points
// that cannot run, and the Pareto marks of a hand-made CSV whose frontier is known.

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kRoot = PODSIM_TEST_DIR "/..";

using podsim::test::contains;
using podsim::test::read_file;
using podsim::test::Run;
using podsim::test::TempDir;
using podsim::test::write_file;

// Runs `podsim <args>` from `cwd` (args already shell-quoted where needed).
Run run_podsim(const std::string& args, const std::string& cwd = kRoot) {
  return podsim::test::run_podsim(args, 600, cwd);
}

// A small CSV reader written for the tests (quoted fields with doubled quotes, no line breaks
// inside fields), independent of podsim's own.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> fields(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        fields.emplace_back();
      } else {
        fields.back() += c;
      }
    }
    rows.push_back(fields);
  }
  return rows;
}

// Rows of a result CSV as maps column -> value.
std::vector<std::map<std::string, std::string>> csv_records(const std::string& text) {
  const auto rows = parse_csv(text);
  REQUIRE(!rows.empty());
  std::vector<std::map<std::string, std::string>> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    REQUIRE(rows[r].size() == rows[0].size());
    std::map<std::string, std::string> rec;
    for (std::size_t c = 0; c < rows[0].size(); ++c) rec[rows[0][c]] = rows[r][c];
    out.push_back(rec);
  }
  return out;
}

// The toy model on 2x2x2, generate: a prefill and a few decode steps, well under a second.
const char* kToyScenario = R"(name: toy explore
platform: tpu-v4
chips: 8
model: toy
phase: generate
batch: 8
input_tokens: 64
generate_tokens: 4
weights: bf16
ffn_layout: ws-2d
attention: heads
)";

// A scenario file in a fresh directory that finds platforms/ and workloads/ through
// PODSIM_HOME-free lookup: the loader falls back to podsim's source tree.
std::string toy_scenario(const TempDir& dir) {
  const std::string path = dir.file("toy.yaml");
  write_file(path, kToyScenario);
  return path;
}

// The metrics `podsim run` reports for the scenario with these overrides.
nlohmann::json run_alone(const std::string& scenario, const std::vector<std::string>& sets) {
  TempDir dir;
  std::string args = "run '" + scenario + "'";
  for (const auto& s : sets) args += " --set " + s;
  args += " --json '" + dir.file("run.json") + "'";
  const Run run = run_podsim(args);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return nlohmann::json::parse(read_file(dir.file("run.json")));
}

double number(const std::string& text) {
  std::size_t used = 0;
  const double x = std::stod(text, &used);
  REQUIRE(used == text.size());
  return x;
}

// Equal to 9 significant digits (the CSV's precision).
bool same9(double a, double b) {
  return std::abs(a - b) <= 1e-8 * std::max(std::abs(a), std::abs(b)) + 1e-300;
}

const char* kSweepGrid = R"(name: toy explore sweep
base: toy.yaml
set:
  generate_tokens: 3
grid:
  batch: [4, 8]
  attention: [heads, batch]
  ffn_layout: [ws-1d, ws-2d]
)";

}  // namespace

TEST_CASE("compare rows equal podsim run of each variant alone", "[explore]") {
  TempDir dir;
  const std::string scenario = toy_scenario(dir);
  const Run run =
      run_podsim("compare '" + scenario + "' --vary ffn_layout=ws-1d,ws-2d,wg-xyz -j 2 --json '" +
                 dir.file("cmp.json") + "'");
  INFO(run.err << run.out);
  REQUIRE(run.exit_code == 0);
  const auto doc = nlohmann::json::parse(read_file(dir.file("cmp.json")));
  const std::vector<std::string> layouts = {"ws-1d", "ws-2d", "wg-xyz"};
  REQUIRE(doc["variants"].size() == layouts.size());
  for (std::size_t i = 0; i < layouts.size(); ++i) {
    const auto& v = doc["variants"][i];
    INFO(layouts[i]);
    REQUIRE(v["variant"] == "ffn_layout=" + layouts[i]);
    REQUIRE(v["status"] == "ok");
    REQUIRE(v["fits"] == true);
    const auto alone = run_alone(scenario, {"ffn_layout=" + layouts[i]});
    for (const char* key : {"prefill_s", "decode_step_s", "decode_s", "total_s", "mfu",
                            "prefill_mfu", "decode_mfu", "cost_chip_s_per_token"})
      CHECK(v["metrics"][key].get<double>() == alone[key].get<double>());
    for (const char* key : {"compute_s", "weight_load_s", "kv_load_s", "exposed_comm_s", "other_s"})
      CHECK(v["metrics"][key].get<double>() == alone["breakdown"][key].get<double>());
    CHECK(v["metrics"]["weights_bytes"].get<double>() ==
          alone["memory"]["weights_bytes"].get<double>());
    // Per-phase cost, by hand: chips x phase time / tokens of the phase.
    CHECK(same9(v["metrics"]["prefill_cost_chip_s_per_token"].get<double>(),
                8 * alone["prefill_s"].get<double>() / (8 * 64)));
    CHECK(same9(v["metrics"]["decode_cost_chip_s_per_token"].get<double>(),
                8 * alone["decode_s"].get<double>() / (8 * 4)));
  }
}

TEST_CASE("compare marks the best total latency and explains rows that cannot run", "[explore]") {
  TempDir dir;
  const std::string scenario = toy_scenario(dir);
  // batch 4 on 8 chips cannot shard attention over the batch; palm-540b does not fit 8 chips.
  const Run run = run_podsim("compare '" + scenario +
                             "' --vary model=toy,palm-540b --vary attention=heads,batch "
                             "--set batch=4 -j 2 --csv '" +
                             dir.file("cmp.csv") + "'");
  INFO(run.err << run.out);
  REQUIRE(run.exit_code == 0);
  auto rows = csv_records(read_file(dir.file("cmp.csv")));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0]["point"] == "model=toy attention=heads");
  CHECK(rows[0]["status"] == "ok");
  CHECK(rows[1]["point"] == "model=toy attention=batch");
  CHECK(rows[1]["status"] == "invalid");
  CHECK(contains(rows[1]["reason"], "attention"));
  CHECK(rows[2]["point"] == "model=palm-540b attention=heads");
  CHECK(rows[2]["status"] == "no-fit");
  CHECK(rows[2]["fits"] == "no");
  // 540e9 bf16 parameters over 8 chips (PaLM Table 1) are ~135 GB per chip, beyond 32 GiB.
  CHECK(number(rows[2]["weights_bytes"]) > 2 * 540e9 / 8 * 0.99);
  CHECK(contains(rows[2]["reason"], "HBM"));
  CHECK(rows[3]["status"] == "invalid");
  // The table: one line per variant, reasons below; a lone simulated variant is the best of
  // nothing, so no column is starred (issue 15, item 10).
  CHECK(contains(run.out, "model=toy attention=heads"));
  CHECK(contains(run.out, "does not fit"));
  const auto alone = run_alone(scenario, {"batch=4"});
  char total[64];
  std::snprintf(total, sizeof total, "%.3f", alone["total_s"].get<double>() * 1e3);
  CHECK(contains(run.out, total));
  CHECK(!contains(run.out, "*"));
}

TEST_CASE("compare with a misspelt key exits 2 naming it", "[explore]") {
  TempDir dir;
  const std::string scenario = toy_scenario(dir);
  Run run = run_podsim("compare '" + scenario + "' --vary ffn_layot=ws-1d,ws-2d");
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "--vary"));
  CHECK(contains(run.err, "ffn_layot"));
  run = run_podsim("compare '" + scenario + "' --vary ffn_layout=ws-1d,ws-3d");
  CHECK(run.exit_code == 0);  // one bad value is one bad row
  CHECK(contains(run.out, "ws-3d"));
}

TEST_CASE("sweep rows equal podsim run and are the same with -j 1 and -j 2", "[explore]") {
  TempDir dir;
  const std::string scenario = toy_scenario(dir);
  write_file(dir.path / "grid.yaml", kSweepGrid);
  const Run one = run_podsim("sweep grid.yaml -o one.csv -j 1", dir.path.string());
  INFO(one.err << one.out);
  REQUIRE(one.exit_code == 0);
  const Run two = run_podsim("sweep grid.yaml -o two.csv -j 2", dir.path.string());
  INFO(two.err << two.out);
  REQUIRE(two.exit_code == 0);
  const std::string a = read_file(dir.file("one.csv"));
  const std::string b = read_file(dir.file("two.csv"));
  // Order-independent comparison of the rows, then the bytes (rows are sorted in grid order).
  auto rows_a = parse_csv(a), rows_b = parse_csv(b);
  std::sort(rows_a.begin(), rows_a.end());
  std::sort(rows_b.begin(), rows_b.end());
  CHECK(rows_a == rows_b);
  CHECK(a == b);

  auto rows = csv_records(a);
  REQUIRE(rows.size() == 8);  // 2 batches x 2 attentions x 2 layouts, first key slowest
  const std::vector<std::string> expect = {
      "batch=4 attention=heads ffn_layout=ws-1d", "batch=4 attention=heads ffn_layout=ws-2d",
      "batch=4 attention=batch ffn_layout=ws-1d", "batch=4 attention=batch ffn_layout=ws-2d",
      "batch=8 attention=heads ffn_layout=ws-1d", "batch=8 attention=heads ffn_layout=ws-2d",
      "batch=8 attention=batch ffn_layout=ws-1d", "batch=8 attention=batch ffn_layout=ws-2d"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO(i);
    CHECK(rows[i]["index"] == std::to_string(i + 1));
    CHECK(rows[i]["point"] == expect[i]);
    // Batch-sharded attention needs a sequence per chip: batch 4 on 8 chips is refused.
    const bool impossible = i == 2 || i == 3;
    CHECK(rows[i]["status"] == (impossible ? "invalid" : "ok"));
    if (impossible) {
      CHECK(contains(rows[i]["reason"], "batch"));
      CHECK(rows[i]["total_s"].empty());
    }
  }
  // One point against podsim run alone, to the CSV's 9 significant digits.
  const auto alone =
      run_alone(scenario, {"generate_tokens=3", "batch=8", "attention=batch", "ffn_layout=ws-1d"});
  for (const char* key : {"prefill_s", "decode_step_s", "total_s", "mfu", "cost_chip_s_per_token"})
    CHECK(same9(number(rows[6][key]), alone[key].get<double>()));
  CHECK(rows[6]["chips"] == "8");
  CHECK(rows[6]["topology"] == "2x2x2");
  CHECK(rows[6]["fits"] == "yes");
}

TEST_CASE("a resumed sweep gives the same file and does not rerun finished points", "[explore]") {
  TempDir dir;
  toy_scenario(dir);
  write_file(dir.path / "grid.yaml", kSweepGrid);
  const std::string cwd = dir.path.string();
  REQUIRE(run_podsim("sweep grid.yaml -o full.csv -j 2", cwd).exit_code == 0);
  const std::string full = read_file(dir.file("full.csv"));

  // An interrupted sweep: some points done, and a row cut short by the interruption.
  REQUIRE(run_podsim("sweep grid.yaml --points 1-3,6 -o part.csv -j 2", cwd).exit_code == 0);
  const auto partial = parse_csv(read_file(dir.file("part.csv")));
  REQUIRE(partial.size() == 5);
  const std::string torn = read_file(dir.file("part.csv")) + "7,batch=8 attention=batch ffn_la";
  write_file(dir.path / "part.csv", torn);
  const Run resumed = run_podsim("sweep grid.yaml -o part.csv -j 2", cwd);
  INFO(resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(contains(resumed.err, "4 points already done, 4 to run"));
  CHECK(read_file(dir.file("part.csv")) == full);

  // A finished row is kept as it is: tamper with one and resume.
  std::string text = read_file(dir.file("full.csv"));
  auto rows = parse_csv(text);
  const auto header = rows[0];
  const auto total_col = std::find(header.begin(), header.end(), "total_s") - header.begin();
  const std::string original = rows[1][total_col];
  text.replace(text.find(original), original.size(), "12345");
  write_file(dir.path / "tampered.csv", text);
  REQUIRE(run_podsim("sweep grid.yaml -o tampered.csv -j 1", cwd).exit_code == 0);
  CHECK(parse_csv(read_file(dir.file("tampered.csv")))[1][total_col] == "12345");
}

TEST_CASE("a sweep written as jobs and merged gives the same file", "[explore]") {
  TempDir dir;
  toy_scenario(dir);
  write_file(dir.path / "grid.yaml", kSweepGrid);
  const std::string cwd = dir.path.string();
  REQUIRE(run_podsim("sweep grid.yaml -o full.csv -j 2", cwd).exit_code == 0);
  const Run emit = run_podsim("sweep grid.yaml -o merged.csv --emit-jobs jobs.txt", cwd);
  INFO(emit.err << emit.out);
  REQUIRE(emit.exit_code == 0);
  const auto lines = parse_csv(read_file(dir.file("jobs.txt")));
  REQUIRE(lines.size() == 8);
  // The jobs are self-contained: run them from another directory, in reverse order.
  TempDir elsewhere;
  std::string script;
  std::istringstream in(read_file(dir.file("jobs.txt")));
  std::vector<std::string> commands;
  for (std::string line; std::getline(in, line);) commands.push_back(line);
  std::reverse(commands.begin(), commands.end());
  for (const auto& c : commands) script += c + " >/dev/null 2>&1\n";
  write_file(elsewhere.path / "jobs.sh", script);
  REQUIRE(std::system(("cd '" + elsewhere.path.string() + "' && bash jobs.sh").c_str()) == 0);
  const Run merge = run_podsim("sweep grid.yaml --merge merged.parts/*.csv -o merged.csv", cwd);
  INFO(merge.err << merge.out);
  REQUIRE(merge.exit_code == 0);
  CHECK(contains(merge.out, "8 of 8 points"));
  CHECK(read_file(dir.file("merged.csv")) == read_file(dir.file("full.csv")));
}

TEST_CASE("points that do not fit or cannot be sharded are rows with their reasons", "[explore]") {
  TempDir dir;
  toy_scenario(dir);
  write_file(dir.path / "grid.yaml", R"(base: toy.yaml
grids:
  - model: [palm-540b]
    weights: [bf16, int8]
  - chips: [64]
    batch: [1]
    attention: [batch]
)");
  const Run run = run_podsim("sweep grid.yaml -o out.csv -j 1", dir.path.string());
  INFO(run.err << run.out);
  REQUIRE(run.exit_code == 0);
  auto rows = csv_records(read_file(dir.file("out.csv")));
  REQUIRE(rows.size() == 3);
  for (std::size_t i = 0; i < 2; ++i) {
    auto& r = rows[i];
    CHECK(r["status"] == "no-fit");
    CHECK(r["fits"] == "no");
    CHECK(r["model"] == "palm-540b");
    CHECK(number(r["hbm_bytes"]) == 34359738368.0);  // 32 GiB (platforms/tpu-v4.yaml)
    CHECK(contains(r["reason"], "32.00 GiB"));
    CHECK(r["total_s"].empty());
  }
  // int8 halves the weights: 540e9 x 1 B / 8 chips against 540e9 x 2 B / 8 chips.
  CHECK(number(rows[1]["weights_bytes"]) / number(rows[0]["weights_bytes"]) ==
        Approx(0.5).epsilon(0.01));
  // Batch-sharded attention with one sequence on 64 chips: nothing to split.
  CHECK(rows[2]["point"] == "chips=64 batch=1 attention=batch");
  CHECK(rows[2]["status"] == "invalid");
  CHECK(rows[2]["fits"].empty());
  CHECK(rows[2]["chips"] == "64");
  CHECK(rows[2]["batch"] == "1");
  CHECK(contains(rows[2]["reason"], "attention"));
  CHECK(contains(rows[2]["reason"], "64"));
  CHECK(rows[2]["total_s"].empty());
}

TEST_CASE("sweep file errors name the file line and key", "[explore]") {
  TempDir dir;
  toy_scenario(dir);
  write_file(dir.path / "typo.yaml", "base: toy.yaml\ngrid:\n  batch: [4]\n  atention: [heads]\n");
  Run run = run_podsim("sweep typo.yaml -o out.csv", dir.path.string());
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "typo.yaml:4:3: grid.atention"));
  CHECK(contains(run.err, "attention"));
  // chips on a base that names a topology would contradict it at every point.
  write_file(dir.path / "topo.yaml",
             std::string(kToyScenario)
                 .replace(std::string(kToyScenario).find("chips: 8"), 8, "topology: 2x2x2"));
  write_file(dir.path / "chips.yaml", "base: topo.yaml\ngrid:\n  chips: [8, 16]\n");
  run = run_podsim("sweep chips.yaml -o out.csv", dir.path.string());
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "chips.yaml:3:10: grid.chips"));
  CHECK(contains(run.err, "topology"));
  write_file(dir.path / "nobase.yaml", "base: missing.yaml\ngrid:\n  batch: [4]\n");
  run = run_podsim("sweep nobase.yaml -o out.csv", dir.path.string());
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "nobase.yaml:1:7: base"));
  // A result file from another sweep is not resumed into.
  write_file(dir.path / "other.csv", "index,point\n1,x=1\n");
  write_file(dir.path / "ok.yaml", "base: toy.yaml\ngrid:\n  batch: [4]\n");
  run = run_podsim("sweep ok.yaml -o other.csv", dir.path.string());
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, "other.csv"));
}

TEST_CASE("pareto marks the known frontier of a hand-made CSV", "[explore]") {
  TempDir dir;
  // Decode (latency ms, cost): A(1,10) B(2,5) C(3,5) D(4,1) E(2,8) F(5,0.5) G(2,5) H failed
  // (would dominate all). Frontier by hand: A, B, G (equal to B), D, F. C is beaten by B (same
  // cost, lower latency), E by B. Prefill: P1(10,3) P2(20,1) P3(15,3) -> P1, P2; rows without
  // prefill numbers are left unmarked.
  write_file(dir.path / "h.csv",
             "index,point,status,prefill_s,prefill_cost_chip_s_per_token,decode_step_s,"
             "decode_cost_chip_s_per_token\n"
             "1,A,ok,0.010,0.003,0.001,0.010\n"
             "2,B,ok,0.020,0.001,0.002,0.005\n"
             "3,C,ok,0.015,0.003,0.003,0.005\n"
             "4,D,ok,,,0.004,0.001\n"
             "5,E,ok,,,0.002,0.008\n"
             "6,F,ok,,,0.005,0.0005\n"
             "7,G,ok,,,0.002,0.005\n"
             "8,H,failed,,,0.0001,0.0001\n");
  const Run run =
      run_podsim("pareto h.csv -o marked.csv --max-latency decode=3.5ms", dir.path.string());
  INFO(run.err << run.out);
  REQUIRE(run.exit_code == 0);
  auto rows = csv_records(read_file(dir.file("marked.csv")));
  REQUIRE(rows.size() == 8);
  const std::vector<std::string> decode = {"yes", "yes", "no", "yes", "no", "yes", "yes", ""};
  const std::vector<std::string> prefill = {"yes", "yes", "no", "", "", "", "", ""};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    INFO(rows[i]["point"]);
    CHECK(rows[i]["pareto_decode"] == decode[i]);
    CHECK(rows[i]["pareto_prefill"] == prefill[i]);
  }
  CHECK(contains(run.out, "decode frontier (decode_step_s latency vs cost): 5 of 7 points"));
  CHECK(contains(run.out, "prefill frontier (prefill_s latency vs cost): 2 of 3 points"));
  // Within 3.5 ms the cheapest decode point is B or G (cost 5); B comes first.
  CHECK(contains(run.out, "cheapest within 3.500 ms: B (2.000 ms, 5.0000 chip-ms/token)"));
}

TEST_CASE("pareto on a sweep's CSV agrees with a brute-force dominance check", "[explore]") {
  TempDir dir;
  toy_scenario(dir);
  write_file(dir.path / "grid.yaml", R"(base: toy.yaml
grid:
  chips: [8, 16]
  batch: [8, 16, 32]
)");
  REQUIRE(run_podsim("sweep grid.yaml -o out.csv -j 2", dir.path.string()).exit_code == 0);
  const Run run = run_podsim("pareto out.csv -o out.csv", dir.path.string());
  INFO(run.err << run.out);
  REQUIRE(run.exit_code == 0);
  auto rows = csv_records(read_file(dir.file("out.csv")));
  REQUIRE(rows.size() == 6);
  for (const auto& [lat, cost, mark] :
       {std::tuple{"decode_step_s", "decode_cost_chip_s_per_token", "pareto_decode"},
        std::tuple{"prefill_s", "prefill_cost_chip_s_per_token", "pareto_prefill"}}) {
    for (const auto& p : rows) {
      REQUIRE(p.at("status") == "ok");
      bool dominated = false;
      for (const auto& q : rows) {
        const double pl = number(p.at(lat)), pc = number(p.at(cost));
        const double ql = number(q.at(lat)), qc = number(q.at(cost));
        dominated = dominated || (ql <= pl && qc <= pc && (ql < pl || qc < pc));
      }
      INFO(p.at("point") << " " << mark);
      CHECK(p.at(mark) == (dominated ? "no" : "yes"));
    }
  }
}

namespace {

TEST_CASE("compare varies chips on a scenario that gives a topology", "[explore]") {
  // t2-low-latency-decode.yaml gives topology 4x4x4; --vary chips replaces it with the
  // platform's slice for each count (platforms/tpu-v4.yaml: 64 -> 4x4x4, 128 -> 8x4x4). Batch 128
  // so that batch-sharded attention divides over 128 chips.
  const Run run = run_podsim(
      "compare scenarios/t2-low-latency-decode.yaml --vary chips=64,128 --set batch=128 --json -");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  REQUIRE(doc.at("variants").size() == 2u);
  CHECK(doc["variants"][0]["scenario"]["topology"] == "4x4x4");
  CHECK(doc["variants"][1]["scenario"]["topology"] == "8x4x4");
  for (const auto& v : doc["variants"]) CHECK(v["status"] == "ok");
}

}  // namespace
