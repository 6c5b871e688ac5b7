#include "sim/config/calibration_loader.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/config/scenario_loader.hpp"
#include "sim/config/yaml_source.hpp"
#include "sim/core/env.hpp"

namespace podsim::config {

CalibrationFile load_calibration(const std::string& path, const std::string& platform_path,
                                 const std::string& search_root) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only({"source", "model", "chips", "topology", "cases"});
  CalibrationFile file;
  file.source = top.string("source");
  const std::string model = top.string("model");
  const std::string topology = top.string_or("topology", "");
  const std::string chips = top.has("chips") ? std::to_string(top.positive_integer("chips")) : "";
  const YAML::Node cases = top.require("cases");
  if (!cases.IsSequence() || cases.size() == 0)
    throw InputError(top.where(cases), "cases", "must be a non-empty list of measured cases");

  // Each case becomes a scenario file of its own (in a temporary directory), read by the scenario
  // loader so that a case is validated exactly like a scenario.
  namespace fs = std::filesystem;
  const TempDir dir("podsim-calibration-");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const MapReader c(cases[i], path, fmt::format("cases[{}]", i));
    c.allow_only({"id", "phase", "batch", "input_tokens", "generate_tokens", "ffn_layout",
                  "attention", "weights", "collective_einsum", "latency_s", "step_s", "mfu"});
    CalibrationCase out;
    out.id = c.string("id");
    const std::string phase = c.string("phase");
    if (c.has("step_s") == c.has("latency_s"))
      throw InputError(c.where(), c.key_path("latency_s"),
                       "give exactly one measurement: latency_s (prefill or whole decode) or "
                       "step_s (one decode step)");
    if (c.has("step_s")) {
      out.metric = CaseMetric::decode_step;
      out.measured_s = c.positive_number("step_s");
    } else {
      out.metric = phase == "prefill" ? CaseMetric::prefill_latency : CaseMetric::decode_latency;
      out.measured_s = c.positive_number("latency_s");
    }
    std::string text = fmt::format("name: {}\nplatform: {}\nmodel: {}\n", out.id,
                                   fs::absolute(platform_path).string(), model);
    if (!topology.empty()) text += fmt::format("topology: {}\n", topology);
    if (!chips.empty()) text += fmt::format("chips: {}\n", chips);
    for (const char* key : {"phase", "batch", "input_tokens", "generate_tokens", "ffn_layout",
                            "attention", "weights", "collective_einsum"})
      if (c.has(key)) text += fmt::format("{}: {}\n", key, c.string(key));
    const std::string scenario = dir.file(fmt::format("case-{}.yaml", i));
    std::ofstream(scenario) << text;
    try {
      out.scenario = load_scenario(scenario, {}, search_root);
    } catch (const InputError& e) {
      throw InputError(c.where(), c.key_path(e.key()), e.problem());
    }
    file.cases.push_back(std::move(out));
  }
  return file;
}

}  // namespace podsim::config
