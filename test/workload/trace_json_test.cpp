// Trace files: deterministic output, lossless round trip, every field validated with its path.
#include "sim/workload/trace_json.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <nlohmann/json.hpp>

#include "sim/workload/trace_generator.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;

namespace {
std::string small_trace_json() {
  return trace_to_json(generate_trace(scenario("palm-8b-8chips.yaml", {"generate_tokens=2"})));
}

std::string error_of(const std::string& text) {
  try {
    trace_from_json(text, "edited.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string edited(const std::function<void(nlohmann::json&)>& edit) {
  nlohmann::json j = nlohmann::json::parse(small_trace_json());
  edit(j);
  return j.dump();
}
}  // namespace

TEST_CASE("the same scenario gives byte-identical trace JSON twice") {
  CHECK(small_trace_json() == small_trace_json());
  const std::string t2 = trace_to_json(generate_trace(scenario("t2-low-latency-decode.yaml")));
  CHECK(t2 == trace_to_json(generate_trace(scenario("t2-low-latency-decode.yaml"))));
}

TEST_CASE("a trace read back writes the same JSON") {
  const std::string text = small_trace_json();
  const Trace t = trace_from_json(text, "trace.json");
  CHECK(trace_to_json(t) == text);
  CHECK(t.steps.size() == 3);
  CHECK(t.scenario.model.name == "palm-8b");
  CHECK(t.scenario.shape.chip_count() == 8);
}

TEST_CASE("a trace with a missing field names the field by its JSON pointer") {
  const std::string text =
      edited([](nlohmann::json& j) { j["steps"][0]["layers"][1]["ops"][2].erase("flops"); });
  CHECK(error_of(text) == "edited.json: /steps/0/layers/1/ops/2/flops: is missing");
  const std::string no_scenario_batch =
      edited([](nlohmann::json& j) { j["scenario"].erase("batch"); });
  CHECK(error_of(no_scenario_batch) == "edited.json: /scenario/batch: is missing");
  const std::string no_bytes = edited([](nlohmann::json& j) {
    for (auto& op : j["steps"][0]["layers"][1]["ops"])
      if (op["kind"] == "collective") {
        op["collective"].erase("bytes");
        break;
      }
  });
  CHECK(error_of(no_bytes).find("/collective/bytes: is missing") != std::string::npos);
}

TEST_CASE("a trace with a bad value says what is wrong where") {
  CHECK(error_of(edited([](nlohmann::json& j) { j["steps"][1]["layers"][1]["repeat"] = 0; })) ==
        "edited.json: /steps/1/layers/1/repeat: must be at least 1, not 0");
  CHECK(error_of(edited([](nlohmann::json& j) {
          j["steps"][0]["layers"][0]["ops"][0]["flops"] = "many";
        })) == "edited.json: /steps/0/layers/0/ops/0/flops: must be a number");
  CHECK(error_of(edited([](nlohmann::json& j) {
          j["scenario"]["ffn_layout"] = "ws-3d";
        })).find("/scenario/ffn_layout: unknown layout 'ws-3d'") != std::string::npos);
  CHECK(error_of(edited([](nlohmann::json& j) { j["memory"]["fitz"] = true; })) ==
        "edited.json: /memory/fitz: unknown field; did you mean 'fits'?");
  CHECK(error_of(edited([](nlohmann::json& j) {
          j["scenario"]["batch"] = 3;
        })).find("/scenario/batch: ") != std::string::npos);
  // A collective over an axis of size 1 cannot run.
  const std::string z_on_flat = edited([](nlohmann::json& j) {
    j["scenario"]["topology"]["dims"] = {2, 4, 1};
    j["scenario"]["topology"]["wraps"] = {false, false, false};
  });
  CHECK(error_of(z_on_flat).find("/collective") != std::string::npos);
  CHECK(error_of("{ not json").find("edited.json:1:4: json: not valid JSON: syntax error") == 0);
  CHECK(error_of(edited([](nlohmann::json& j) { j["format"] = "chrome-trace"; })) ==
        "edited.json: /format: must be \"podsim-trace\"; this is not a podsim trace");
}

TEST_CASE("a hand-edited trace that stays valid is read") {
  const std::string text = edited([](nlohmann::json& j) {
    j["steps"][0]["layers"][1]["repeat"] = 3;
    j["steps"][0]["layers"][1]["ops"][0]["flops"] = 1.5e9;
  });
  const Trace t = trace_from_json(text, "edited.json");
  CHECK(t.steps[0].layers[1].repeat == 3);
  CHECK(t.steps[0].layers[1].ops[0].flops == 1.5e9);
}

// The platform's `multi_axis:` (platforms/tpu-v4.yaml: sequential) reaches every collective of a
// generated trace, and a trace keeps it: the trace's platform and each op say it, and it reads
// back; a trace without the key (written before it existed) is concurrent.
TEST_CASE("every collective of a trace runs over several axes as its platform says") {
  const Trace t = generate_trace(scenario("t2-low-latency-decode.yaml", {"generate_tokens=1"}));
  REQUIRE(t.scenario.platform.multi_axis == MultiAxis::sequential);
  int multi = 0;
  const std::vector<StepTrace> steps = t.steps.to_vector();
  for (const StepTrace& step : steps)
    for (const LayerTrace& layer : step.layers)
      for (const Op& op : layer.ops)
        if (op.kind == OpKind::collective) {
          CHECK(op.collective.multi_axis == MultiAxis::sequential);
          multi += op.collective.axes.size() > 1;
        }
  CHECK(multi > 0);  // ws-2d's yz collectives at least
  const std::string text = trace_to_json(t);
  const nlohmann::json j = nlohmann::json::parse(text);
  CHECK(j.at("scenario").at("platform").at("multi_axis") == "sequential");
  CHECK(trace_from_json(text, "t.json").scenario.platform.multi_axis == MultiAxis::sequential);
  nlohmann::json old = j;
  old["scenario"]["platform"].erase("multi_axis");
  CHECK(trace_from_json(old.dump(), "old.json").scenario.platform.multi_axis ==
        MultiAxis::concurrent);
}
