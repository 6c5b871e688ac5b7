// `ffn_layout: auto` against independent references: the paper's own layout choices (Pope et al.,
// arXiv 2211.05102, Table 2: 2D weight-stationary for batch-64 decode, weight-gathered XYZ for
// batch-512 prefill, both on 64 chips), and a brute-force search that runs `podsim run` with each
// layout named explicitly and must find the same winner and the same times.

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/explore/layout_search.hpp"
#include "test/support/podsim_process.hpp"

namespace podsim {
namespace {

using test::Run;
using test::run_podsim;
using test::shell_quote;

const std::string kRoot = PODSIM_TEST_DIR "/..";

nlohmann::json run_json(const std::string& scenario, const std::string& sets) {
  const Run run = run_podsim("run " + shell_quote(kRoot + "/" + scenario) + " " + sets +
                             " --json -");
  INFO("stderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  return nlohmann::json::parse(run.out);
}

TEST_CASE("auto picks the layout that is fastest when each is run on its own",
          "[fidelity][layout-auto]") {
  // Batch-64 decode on 64 chips. The paper picks ws-2d here; the refitted chip model (issue 13)
  // has ws-1d slightly ahead, a miss VALIDATION.md reports. What auto must do regardless: pick the
  // fastest candidate, checked by brute force against separate runs of every layout.
  const nlohmann::json doc = run_json("scenarios/t2-low-latency-decode.yaml",
                                      "--set ffn_layout=auto --set generate_tokens=1");
  const nlohmann::json& ranking = doc.at("layout_ranking");
  REQUIRE(ranking.size() >= 2);
  CHECK(ranking[0].at("status") == "simulated");
  CHECK(doc.at("scenario").at("ffn_layout") == ranking[0].at("ffn_layout"));
  double best = 1e300;
  std::string best_layout;
  for (const char* layout : {"ws-1d", "ws-2d"}) {
    const nlohmann::json one = run_json("scenarios/t2-low-latency-decode.yaml",
                                        std::string("--set ffn_layout=") + layout +
                                            " --set generate_tokens=1");
    if (one.at("total_s").get<double>() < best) {
      best = one.at("total_s").get<double>();
      best_layout = layout;
    }
  }
  CHECK(doc.at("scenario").at("ffn_layout") == best_layout);
  CHECK(doc.at("total_s").get<double>() == Approx(best).epsilon(1e-9));
}

TEST_CASE("auto picks a weight-gathered layout for batch-512 prefill on 64 chips",
          "[fidelity][layout-auto]") {
  // Oversubscribed so that the weight-stationary layouts, whose activations do not fit in HBM
  // at this batch, are simulated too: the choice is by time, not by memory alone.
  const nlohmann::json doc = run_json("scenarios/t2-high-throughput-prefill.yaml",
                                      "--set ffn_layout=auto --allow-oversubscribe");
  const std::string chosen = doc.at("scenario").at("ffn_layout");
  const nlohmann::json& ranking = doc.at("layout_ranking");
  INFO("chosen " << chosen << "\nranking " << ranking.dump(1));
  CHECK(chosen.rfind("wg-", 0) == 0);
  bool ws_2d_simulated = false;
  for (const nlohmann::json& row : ranking)
    if (row.at("ffn_layout") == "ws-2d") {
      ws_2d_simulated = row.at("status") == "simulated";
      if (ws_2d_simulated) CHECK(row.at("total_s").get<double>() > doc.at("total_s").get<double>());
    }
  CHECK(ws_2d_simulated);
}

TEST_CASE("auto agrees with a brute-force run of every layout", "[fidelity][layout-auto]") {
  // Toy model, 2x2x2, prefill then decode: every layout applies; each is also run by name.
  const std::string scenario = "test/inputs/good/toy-deep-generate.yaml";
  const std::string common = "--set generate_tokens=4 --set attention=heads";
  const nlohmann::json doc = run_json(scenario, common + " --set ffn_layout=auto");
  const nlohmann::json& ranking = doc.at("layout_ranking");
  REQUIRE(ranking.size() == 5);

  std::map<std::string, double> brute;
  std::string best;
  double best_s = std::numeric_limits<double>::infinity();
  for (const char* layout : {"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz"}) {
    const nlohmann::json one =
        run_json(scenario, common + " --set ffn_layout=" + std::string(layout));
    brute[layout] = one.at("total_s").get<double>();
    if (brute[layout] < best_s) {
      best_s = brute[layout];
      best = layout;
    }
  }
  INFO("ranking " << ranking.dump(1));
  CHECK(doc.at("scenario").at("ffn_layout") == best);
  CHECK(doc.at("total_s").get<double>() == Approx(best_s).epsilon(1e-9));
  double previous = 0;
  for (const nlohmann::json& row : ranking) {
    const std::string layout = row.at("ffn_layout");
    if (row.at("status") == "simulated") {
      // Each simulated candidate's time is that of the layout run by name, in increasing order.
      CHECK(row.at("total_s").get<double>() == Approx(brute.at(layout)).epsilon(1e-9));
      CHECK(row.at("total_s").get<double>() >= previous);
      previous = row.at("total_s").get<double>();
    } else {
      // A pruned candidate must really be slower than the winner.
      CHECK(row.at("status") == "pruned");
      CHECK(brute.at(layout) > best_s);
    }
  }
}

TEST_CASE("auto with no layout that fits exits 2 naming ffn_layout", "[fidelity][layout-auto]") {
  const Run run = run_podsim("run " + shell_quote(kRoot + "/scenarios/t2-low-latency-decode.yaml") +
                             " --set ffn_layout=auto --set topology=2x2x2 --set batch=8");
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(test::contains(run.err, "ffn_layout"));
  CHECK(test::contains(run.err, "fits"));
}

TEST_CASE("auto's candidates are the layouts whose batch and heads divide", "[layout-auto]") {
  // The paper's layouts (§3.2): weight-gathered ones split the batch over x (4 chips), xy (16)
  // or xyz (64) of 4x4x4; weight-stationary ones do not split the batch. In decode, batch 3
  // leaves the two weight-stationary layouts, batch 16 all but wg-xyz, batch 64 all five. A
  // prefill splits the tokens where the batch does not divide (partition/layout.hpp), so there
  // every layout is a candidate, with the token axes the batch leaves.
  const auto names = [&](const std::string& file, const std::string& batch) {
    std::vector<std::string> out;
    const Scenario s = config::load_scenario(kRoot + "/scenarios/" + file,
                                             {"ffn_layout=auto", "attention=heads",
                                              "batch=" + batch});
    for (const Scenario& c : layout_candidates(s)) {
      CHECK_FALSE(c.ffn_layout_auto);
      const AxisSet tokens = scenario_sharding(c).tokens;
      out.emplace_back(fmt::format("{}{}", ffn_layout_name(c.ffn_layout),
                                   tokens.empty() ? "" : "/" + tokens.name()));
    }
    return out;
  };
  const std::string decode = "t2-low-latency-decode.yaml", prefill = "t2-low-latency-prefill.yaml";
  CHECK(names(decode, "3") == std::vector<std::string>{"ws-1d", "ws-2d"});
  CHECK(names(decode, "16") == std::vector<std::string>{"ws-1d", "ws-2d", "wg-x", "wg-xy"});
  CHECK(names(decode, "64") ==
        std::vector<std::string>{"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz"});
  CHECK(names(prefill, "3") ==
        std::vector<std::string>{"ws-1d", "ws-2d", "wg-x/x", "wg-xy/xy", "wg-xyz/xyz"});
  CHECK(names(prefill, "16") ==
        std::vector<std::string>{"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz/z"});
  CHECK(names(prefill, "64") ==
        std::vector<std::string>{"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz"});
}

TEST_CASE("podsim trace refuses ffn_layout auto instead of simulating", "[layout-auto]") {
  const Run run = run_podsim("trace " + shell_quote(kRoot + "/scenarios/palm-8b-8chips.yaml") +
                             " --set ffn_layout=auto -o -");
  CHECK(run.exit_code == 2);
  CHECK(test::contains(run.err, "ffn_layout: auto is decided by simulating"));
  CHECK(run.out.empty());
}

}  // namespace
}  // namespace podsim
