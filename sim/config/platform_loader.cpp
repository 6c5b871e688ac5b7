#include "sim/config/platform_loader.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "sim/config/yaml_source.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/workload/calibration_case.hpp"

namespace podsim::config {

Platform load_platform(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only({"name", "chip", "slices", "fit"});

  Platform platform;
  platform.source_file = path;
  platform.name = top.string_or("name", std::filesystem::path(path).stem().string());

  const MapReader chip = top.map("chip");
  chip.allow_only({"name", "peak_flops_per_s", "hbm_bytes", "hbm_bytes_per_s",
                   "ici_link_bytes_per_s", "ici_hop_latency_s", "ici_links", "mxu_tile",
                   "mxu_row_granule", "mxu_efficiency", "hbm_efficiency", "ici_efficiency",
                   "vector_flops_per_s", "op_overhead_s", "collective_overhead_s"});
  ChipSpec& spec = platform.chip;
  spec.name = chip.string("name");
  spec.peak_flops_per_s = chip.positive_number("peak_flops_per_s");
  spec.hbm_bytes = chip.bytes("hbm_bytes");
  spec.hbm_bytes_per_s = chip.positive_number("hbm_bytes_per_s");
  spec.ici_link_bytes_per_s = chip.positive_number("ici_link_bytes_per_s");
  spec.ici_hop_latency_s = chip.non_negative_number("ici_hop_latency_s");
  if (chip.has("ici_links")) {
    const YAML::Node links = chip.require("ici_links");
    spec.ici_links = static_cast<int>(chip.positive_integer("ici_links", 64));
    if (spec.ici_links != 6)
      throw InputError(chip.where(links), chip.key_path("ici_links"),
                       fmt::format("podsim models a 3D torus with 6 links per chip, not {}",
                                   spec.ici_links));
  }

  if (chip.has("mxu_tile")) spec.mxu_tile = static_cast<int>(chip.positive_integer("mxu_tile", 4096));
  if (chip.has("mxu_row_granule"))
    spec.mxu_row_granule = static_cast<int>(chip.positive_integer("mxu_row_granule", 4096));
  const auto fraction = [&](const std::string& key, double& out) {
    if (!chip.has(key)) return;
    const double value = chip.positive_number(key);
    if (value > 1)
      throw InputError(chip.where(chip.require(key)), chip.key_path(key),
                       fmt::format("is a fraction of the peak and must be in (0, 1], not {}", value));
    out = value;
  };
  fraction("mxu_efficiency", spec.mxu_efficiency);
  fraction("hbm_efficiency", spec.hbm_efficiency);
  fraction("ici_efficiency", spec.ici_efficiency);
  if (chip.has("vector_flops_per_s")) spec.vector_flops_per_s = chip.non_negative_number("vector_flops_per_s");
  if (chip.has("op_overhead_s")) spec.op_overhead_s = chip.non_negative_number("op_overhead_s");
  if (chip.has("collective_overhead_s"))
    spec.collective_overhead_s = chip.non_negative_number("collective_overhead_s");
  for (const ChipField& field : chip_fields())
    if (const auto problem = implausible(field, field.get(spec)))
      throw InputError(chip.has(field.key) ? chip.where(chip.require(field.key)) : chip.where(),
                       chip.key_path(field.key), *problem);

  if (top.has("fit")) {
    const YAML::Node fit = top.require("fit");
    if (!fit.IsSequence())
      throw InputError(top.where(fit), "fit", "must be a list of chip parameters, e.g. [mxu_efficiency]");
    for (const YAML::Node& item : fit) {
      const std::string name = item.IsScalar() ? item.Scalar() : "";
      bool known = false;
      for (const std::string& f : fittable_parameters()) known = known || f == name;
      if (!known) {
        const auto close = closest_match(name, fittable_parameters());
        throw InputError(top.where(item), "fit",
                         fmt::format("'{}' cannot be fitted{}; fittable: {}", name,
                                     close ? fmt::format(" (did you mean '{}'?)", *close) : "",
                                     fmt::join(fittable_parameters(), ", ")));
      }
      platform.fitted.push_back(name);
    }
  }

  if (top.has("slices")) {
    const MapReader slices = top.map("slices");
    for (const auto& entry : slices.node()) {
      const std::string count_text = entry.first.Scalar();
      const auto count = parse_integer(count_text);
      if (!count || *count <= 0)
        throw InputError(slices.where(entry.first), slices.key_path(count_text),
                         "slice keys must be positive chip counts, e.g. `64: 4x4x4`");
      if (!entry.second.IsScalar())
        throw InputError(slices.where(entry.second), slices.key_path(count_text),
                         "must be a shape XxYxZ such as 4x4x4");
      const TorusShape shape = parse_shape(entry.second.Scalar(), slices.key_path(count_text),
                                           slices.where(entry.second));
      if (shape.chip_count() != *count)
        throw InputError(slices.where(entry.second), slices.key_path(count_text),
                         fmt::format("{} has {} chips, not {}", shape.name(), shape.chip_count(),
                                     *count));
      platform.slice_dims[static_cast<int>(*count)] = shape.dims;
    }
  }
  return platform;
}

std::string resolve_platform_path(const std::string& name_or_path,
                                  const std::string& platforms_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
    if (!fs::exists(name_or_path, ec))
      throw InputError(SourceLocation{name_or_path, 0, 0}, "platform",
                       "platform file does not exist");
    return name_or_path;
  }
  const std::string candidate = (fs::path(platforms_dir) / (name_or_path + ".yaml")).string();
  if (!fs::exists(candidate, ec))
    throw InputError("platform", fmt::format("no platform named '{}' (looked for {})",
                                             name_or_path, candidate));
  return candidate;
}

TorusShape slice_for_chip_count(const Platform& platform, long long chips, const std::string& key,
                                const SourceLocation& where) {
  const auto it = platform.slice_dims.find(static_cast<int>(chips));
  if (chips <= 0 || chips > kMaxChips || it == platform.slice_dims.end()) {
    std::string known;
    for (const auto& [count, dims] : platform.slice_dims)
      known += fmt::format("{}{}", known.empty() ? "" : ", ", count);
    throw InputError(where, key,
                     fmt::format("{} has no slice of {} chips; give a topology XxYxZ or one of: {}",
                                 platform.source_file, chips, known));
  }
  TorusShape shape;
  shape.dims = it->second;
  shape.wraps = tpu_v4_wraparound(shape.dims);
  return shape;
}

}  // namespace podsim::config
