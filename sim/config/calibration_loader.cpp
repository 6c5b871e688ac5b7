#include "sim/config/calibration_loader.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "sim/config/scenario_loader.hpp"
#include "sim/config/yaml_source.hpp"
#include "sim/core/env.hpp"
#include "sim/partition/collective.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::config {

namespace {

CalibrationFile load_network(const MapReader& top, CalibrationFile file) {
  const YAML::Node cases = top.require("cases");
  if (!cases.IsSequence() || cases.size() == 0)
    throw InputError(top.where(cases), "cases", "must be a non-empty list of measured collectives");
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const MapReader c(cases[i], top.file(), fmt::format("cases[{}]", i));
    c.allow_only({"id", "source", "op", "shape", "wrap", "axes", "bytes", "link_bytes_per_s",
                  "measured_s", "note"});
    NetworkCase out;
    out.id = c.string("id");
    out.source = c.string_or("source", file.source);
    const auto at = [&](const std::string& key) { return c.where(c.require(key)); };
    out.shape = parse_shape(c.string("shape"), c.key_path("shape"), at("shape"));
    if (c.has("wrap"))
      if (auto wraps = parse_wrap(c.string("wrap"), c.key_path("wrap"), at("wrap")))
        out.shape.wraps = *wraps;
    out.spec.kind = parse_collective_kind(c.string("op"), c.key_path("op"), at("op"));
    out.spec.axes = parse_axes(c.string("axes"), c.key_path("axes"), at("axes"));
    out.spec.bytes = c.bytes("bytes");
    out.link_bytes_per_s = c.positive_number("link_bytes_per_s");
    if (out.link_bytes_per_s < 1e9 || out.link_bytes_per_s > 1e13)
      throw InputError(at("link_bytes_per_s"), c.key_path("link_bytes_per_s"),
                       "must be one direction of one link in B/s, between 1e9 and 1e13 (TPU v4: 45e9)");
    out.measured_s = c.positive_number("measured_s");
    if (out.spec.kind == CollectiveKind::all_to_all || out.spec.kind == CollectiveKind::all_reduce)
      throw InputError(at("op"), c.key_path("op"),
                       "network cases are all-gather, reduce-scatter or permute measurements");
    validate_collective(out.spec, out.shape, c.key_path("axes"), at("axes"));
    file.network_cases.push_back(std::move(out));
  }
  return file;
}

}  // namespace

CalibrationFile load_calibration(const std::string& path, const std::string& platform_path,
                                 const std::string& search_root) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only({"source", "kind", "model", "chips", "topology", "cases"});
  CalibrationFile file;
  file.path = path;
  file.source = top.string("source");
  const std::string kind = top.string_or("kind", "end-to-end");
  if (kind != "end-to-end" && kind != "network")
    throw InputError(top.where(top.require("kind")), "kind",
                     fmt::format("unknown kind '{}'; use end-to-end or network", kind));
  if (kind == "network") {
    file.network = true;
    for (const char* key : {"model", "chips", "topology"})
      if (top.has(key))
        throw InputError(top.where(top.require(key)), key,
                         "a network calibration file gives shapes per case, not a model or slice");
    return load_network(top, std::move(file));
  }
  const std::string model = top.string_or("model", "");
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
    c.allow_only({"id", "source", "model", "chips", "topology", "phase", "batch", "input_tokens",
                  "generate_tokens", "ffn_layout", "attention", "weights", "collective_einsum",
                  "latency_s", "step_s", "mfu"});
    CalibrationCase out;
    out.id = c.string("id");
    out.source = c.string_or("source", file.source);
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
    const std::string case_model = c.string_or("model", model);
    if (case_model.empty())
      throw InputError(c.where(), c.key_path("model"),
                       "no model: give `model:` in the case or once at the top of the file");
    std::string text = fmt::format("name: {}\nplatform: {}\nmodel: {}\n", out.id,
                                   fs::absolute(platform_path).string(), case_model);
    // A case's own slice replaces the file's (topology and chips together).
    const bool own_slice = c.has("topology") || c.has("chips");
    const std::string case_topology = own_slice ? c.string_or("topology", "") : topology;
    const std::string case_chips =
        own_slice ? (c.has("chips") ? std::to_string(c.positive_integer("chips")) : "") : chips;
    if (case_topology.empty() && case_chips.empty())
      throw InputError(c.where(), c.key_path("topology"),
                       "no slice: give `topology:` or `chips:` in the case or once at the top");
    if (!case_topology.empty()) text += fmt::format("topology: {}\n", case_topology);
    if (!case_chips.empty()) text += fmt::format("chips: {}\n", case_chips);
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
