#include "sim/config/platform_loader.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "sim/config/yaml_source.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim::config {

Platform load_platform(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only({"name", "chip", "slices"});

  Platform platform;
  platform.source_file = path;
  platform.name = top.string_or("name", std::filesystem::path(path).stem().string());

  const MapReader chip = top.map("chip");
  chip.allow_only({"name", "peak_flops_per_s", "hbm_bytes", "hbm_bytes_per_s",
                   "ici_link_bytes_per_s", "ici_hop_latency_s", "ici_links"});
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
