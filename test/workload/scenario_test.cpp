// The scenario key table (kScenarioKeys) against independent references: the keys sim/README.md §3
// lists for a scenario file, written out here, and the keys the trace writer actually emits.

#include <catch2/catch.hpp>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/config/scenario_loader.hpp"
#include "sim/workload/scenario.hpp"
#include "sim/workload/trace_generator.hpp"
#include "sim/workload/trace_json.hpp"

namespace podsim {
namespace {

std::vector<std::string> strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

TEST_CASE("a scenario file has the keys of the design card") {
  // sim/README.md §3, in its order, with the optional keys the README documents.
  const std::vector<std::string> design = {
      "name",    "platform",     "topology",        "chips",   "wrap",    "twist",
      "model",   "phase",        "batch",           "input_tokens", "generate_tokens",
      "prompt_tokens", "chunk_tokens",
      "weights", "ffn_layout",   "attention",       "collective_einsum", "ring_order",
      "pad_heads",
      "allow_oversubscribe",     "exact"};
  CHECK(strings(scenario_key_names(false)) == design);
}

TEST_CASE("a trace's scenario object holds exactly the trace keys") {
  const Scenario s = config::load_scenario(PODSIM_TEST_DIR "/../scenarios/palm-8b-8chips.yaml",
                                           {"phase=prefill"});
  const nlohmann::ordered_json written = scenario_to_json(s);
  std::vector<std::string> keys;
  for (const auto& [key, value] : written.items()) keys.push_back(key);
  // The file keeps its own order (pad_heads beside the model); the set is what must agree.
  // prompt_tokens and chunk_tokens are written for mixed runs only (below).
  std::vector<std::string> table;
  for (const std::string& key : strings(scenario_key_names(true)))
    if (key != "prompt_tokens" && key != "chunk_tokens") table.push_back(key);
  std::sort(keys.begin(), keys.end());
  std::sort(table.begin(), table.end());
  CHECK(keys == table);
}

TEST_CASE("a mixed trace's scenario object holds every trace key") {
  const Scenario s =
      config::load_scenario(PODSIM_TEST_DIR "/../scenarios/paper-low-latency-mixed.yaml");
  const nlohmann::ordered_json written = scenario_to_json(s);
  std::vector<std::string> keys;
  for (const auto& [key, value] : written.items()) keys.push_back(key);
  std::vector<std::string> table = strings(scenario_key_names(true));
  std::sort(keys.begin(), keys.end());
  std::sort(table.begin(), table.end());
  CHECK(keys == table);
}

TEST_CASE("ffn_layout_label names the layout or auto") {
  Scenario s;
  s.ffn_layout = FfnLayout::wg_xy;
  CHECK(s.ffn_layout_label() == "wg-xy");
  s.ffn_layout_auto = true;
  CHECK(s.ffn_layout_label() == "auto");
}

}  // namespace
}  // namespace podsim
