#include "sim/config/platform_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "sim/config/yaml_source.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/partition/collective.hpp"

namespace podsim::config {

namespace {

// Reads `field` of the map `chip` into `spec`, checking its range (chip_spec.hpp).
void read_chip_field(const MapReader& chip, const ChipField& field, ChipSpec& spec) {
  const std::string key(field.key);
  switch (field.range) {
    case ChipRange::name:
      spec.*std::get<std::string ChipSpec::*>(field.member) = chip.string(key);
      return;
    case ChipRange::positive:
      spec.*std::get<double ChipSpec::*>(field.member) = chip.positive_number(key);
      return;
    case ChipRange::non_negative:
      spec.*std::get<double ChipSpec::*>(field.member) = chip.non_negative_number(key);
      return;
    case ChipRange::size:
      spec.*std::get<Bytes ChipSpec::*>(field.member) = chip.bytes(key);
      return;
    case ChipRange::fraction: {
      const double value = chip.positive_number(key);
      if (value > 1)
        throw InputError(chip.where(chip.require(key)), chip.key_path(key),
                         fmt::format("is a fraction of the peak and must be in (0, 1], not {}",
                                     value));
      spec.*std::get<double ChipSpec::*>(field.member) = value;
      return;
    }
    case ChipRange::count: {
      const int value = static_cast<int>(chip.positive_integer(key, field.max_count));
      if (field.only_value != 0 && value != field.only_value)
        throw InputError(chip.where(chip.require(key)), chip.key_path(key),
                         fmt::format("{}, not {}", field.only_reason, value));
      spec.*std::get<int ChipSpec::*>(field.member) = value;
      return;
    }
  }
}

}  // namespace

Platform load_platform(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only(
      {"name", "calibrated", "wraparound", "multi_axis", "chip", "slices", "fit", "fit_network"});

  Platform platform;
  platform.source_file = path;
  platform.name = top.string_or("name", std::filesystem::path(path).stem().string());
  if (top.has("calibrated")) {
    const YAML::Node node = top.require("calibrated");
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    if (text == "true")
      platform.calibrated = true;
    else if (text == "false")
      platform.calibrated = false;
    else
      throw InputError(top.where(node), "calibrated",
                       fmt::format("'{}' must be true or false (false: the chip's efficiency and "
                                   "overhead terms are not fitted to its measurements)",
                                   text));
  }
  if (top.has("wraparound")) {
    const YAML::Node node = top.require("wraparound");
    const std::string text = node.IsScalar() ? node.Scalar() : "";
    if (text == "cubes-of-4")
      platform.wrap_rule = Platform::WrapRule::cubes_of_4;
    else if (text == "axes-of-16")
      platform.wrap_rule = Platform::WrapRule::axes_of_16;
    else
      throw InputError(top.where(node), "wraparound",
                       fmt::format("'{}' is not a wraparound rule: use cubes-of-4 (every axis "
                                   "wraps when all dimensions are multiples of 4, TPU v4) or "
                                   "axes-of-16 (an axis wraps when it is 16 long, TPU v5e/v6e)",
                                   text));
  }

  if (top.has("multi_axis")) {
    const YAML::Node node = top.require("multi_axis");
    platform.multi_axis =
        parse_multi_axis(node.IsScalar() ? node.Scalar() : "", "multi_axis", top.where(node));
  }

  const MapReader chip = top.map("chip");
  chip.allow_only(chip_field_keys());
  for (const ChipField& field : chip_fields())
    if (field.required || chip.has(std::string(field.key)))
      read_chip_field(chip, field, platform.chip);
  for (const ChipField& field : chip_fields())
    if (const auto problem = implausible(field, chip_field_value(platform.chip, field)))
      throw InputError(chip.has(std::string(field.key)) ? chip.where(chip.require(std::string(field.key)))
                                                        : chip.where(),
                       chip.key_path(std::string(field.key)), *problem);

  // `fit:` (end-to-end) and `fit_network:` (network measurements): disjoint lists of fittable
  // chip parameters.
  for (const char* list_key : {"fit", "fit_network"}) {
    if (!top.has(list_key)) continue;
    const YAML::Node fit = top.require(list_key);
    if (!fit.IsSequence())
      throw InputError(top.where(fit), list_key, "must be a list of chip parameters, e.g. [mxu_efficiency]");
    std::vector<std::string>& out =
        std::string_view(list_key) == "fit" ? platform.fitted : platform.fitted_network;
    for (const YAML::Node& item : fit) {
      const std::string name = item.IsScalar() ? item.Scalar() : "";
      bool known = false;
      for (const std::string& f : fittable_chip_fields()) known = known || f == name;
      if (!known) {
        const auto close = closest_match(name, fittable_chip_fields());
        throw InputError(top.where(item), list_key,
                         fmt::format("'{}' cannot be fitted{}; fittable: {}", name,
                                     close ? fmt::format(" (did you mean '{}'?)", *close) : "",
                                     fmt::join(fittable_chip_fields(), ", ")));
      }
      const auto& other = std::string_view(list_key) == "fit" ? platform.fitted_network : platform.fitted;
      if (std::find(other.begin(), other.end(), name) != other.end() ||
          std::find(out.begin(), out.end(), name) != out.end())
        throw InputError(top.where(item), list_key,
                         fmt::format("'{}' is listed twice in fit and fit_network: a parameter is "
                                     "fitted to one kind of measurement",
                                     name));
      out.push_back(name);
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
  shape.wraps = platform.wraparound(shape.dims);
  return shape;
}

}  // namespace podsim::config
