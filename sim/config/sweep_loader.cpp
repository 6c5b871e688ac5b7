#include "sim/config/sweep_loader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <set>

#include "sim/config/scenario_loader.hpp"
#include "sim/config/yaml_source.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/workload/scenario.hpp"

namespace podsim::config {

namespace fs = std::filesystem;

std::string SweepPoint::id() const {
  std::string out;
  for (const auto& [key, value] : values) {
    if (!out.empty()) out += ' ';
    out += key + "=" + value;
  }
  return out;
}

std::vector<std::string> SweepSpec::overrides(std::size_t i) const {
  std::vector<std::string> out;
  for (const auto& [key, value] : set) out.push_back(key + "=" + value);
  for (const auto& [key, value] : points.at(i).values) out.push_back(key + "=" + value);
  return out;
}

std::string SweepSpec::requested(std::size_t i, const std::string& key) const {
  for (const auto& [k, v] : points.at(i).values)
    if (k == key) return v;
  for (const auto& [k, v] : set)
    if (k == key) return v;
  const auto it = base_values.find(key);
  return it == base_values.end() ? "" : it->second;
}

const std::vector<std::string>& scenario_keys() {
  // The keys of a scenario file (workload/scenario.hpp, kScenarioKeys).
  static const std::vector<std::string> keys = [] {
    const std::vector<std::string_view> names = scenario_key_names(false);
    return std::vector<std::string>(names.begin(), names.end());
  }();
  return keys;
}

bool is_scenario_key(const std::string& key) {
  for (const std::string& k : scenario_keys())
    if (k == key) return true;
  for (const char* k : {"ffn_layout.prefill", "ffn_layout.decode", "attention.prefill",
                        "attention.decode"})
    if (key == k) return true;
  return false;
}

namespace {

void check_scenario_key(const MapReader& r, const YAML::Node& key_node) {
  const std::string key = key_node.Scalar();
  if (is_scenario_key(key)) return;
  std::string hint;
  if (auto close = closest_match(key, scenario_keys()))
    hint = fmt::format("; did you mean '{}'?", *close);
  else
    hint = fmt::format("; scenario keys are {}", fmt::join(scenario_keys(), ", "));
  throw InputError(r.where(key_node), r.key_path(key), "is not a scenario key" + hint);
}

std::string scalar_value(const MapReader& r, const std::string& key, const YAML::Node& value) {
  if (!value.IsScalar() || value.Scalar().empty())
    throw InputError(r.where(value), r.key_path(key),
                     "values must be plain text or numbers (e.g. 64, ws-2d)");
  const std::string text = value.Scalar();
  if (text.find_first_of(" \t\n'\"") != std::string::npos)
    throw InputError(r.where(value), r.key_path(key),
                     fmt::format("'{}': values must not contain spaces or quotes", text));
  return text;
}

// Points one sweep may hold: each is a simulation of its own (a toy point takes about 0.1 s, a
// PaLM 540B point seconds), so a million points is already days of simulation; more is a slip
// (a range written out too finely, one key too many) and is refused before the grid is built.
constexpr std::size_t kMaxSweepPoints = 1000000;

// The cartesian product of one grid map, first key slowest. `points_before` counts the points of
// the grids before this one, for the limit.
std::vector<SweepPoint> read_grid(const MapReader& grid, std::size_t points_before) {
  std::vector<std::pair<std::string, std::vector<std::string>>> axes;
  for (const auto& entry : grid.node()) {
    if (!entry.first.IsScalar())
      throw InputError(grid.where(entry.first), grid.key_path("key"), "keys must be plain names");
    check_scenario_key(grid, entry.first);
    const std::string key = entry.first.Scalar();
    std::vector<std::string> values;
    if (entry.second.IsSequence()) {
      if (entry.second.size() == 0)
        throw InputError(grid.where(entry.second), grid.key_path(key),
                         "is an empty list; give at least one value");
      for (const auto& v : entry.second) values.push_back(scalar_value(grid, key, v));
    } else {
      values.push_back(scalar_value(grid, key, entry.second));
    }
    std::set<std::string> seen;
    for (const std::string& v : values)
      if (!seen.insert(v).second)
        throw InputError(grid.where(entry.second), grid.key_path(key),
                         fmt::format("lists '{}' twice", v));
    axes.emplace_back(key, std::move(values));
  }
  if (axes.empty())
    throw InputError(grid.where(), grid.key_path("key"),
                     "the grid names no key; give e.g. batch: [1, 64]");
  std::size_t product = 1;
  bool too_many = false;
  std::string sizes;
  double total = 1;  // for the message only, when the product overflows
  for (const auto& [key, values] : axes) {
    sizes += fmt::format("{}{} {}", sizes.empty() ? "" : " x ", values.size(), key);
    total *= static_cast<double>(values.size());
    too_many = too_many || __builtin_mul_overflow(product, values.size(), &product);
  }
  too_many = too_many || points_before + product > kMaxSweepPoints;
  if (too_many) {
    std::string path = grid.key_path("");
    path.pop_back();  // "grid." -> "grid"
    throw InputError(grid.where(), path,
                     fmt::format("{} values make {:.0f} points{}, more than the {} a sweep may "
                                 "hold (one simulation each); split it into several sweeps",
                                 sizes, total,
                                 points_before ? fmt::format(" after {} in the grids before",
                                                             points_before)
                                               : "",
                                 kMaxSweepPoints));
  }
  std::vector<SweepPoint> points(1);
  for (const auto& [key, values] : axes) {
    std::vector<SweepPoint> next;
    for (const SweepPoint& p : points)
      for (const std::string& v : values) {
        SweepPoint q = p;
        q.values.emplace_back(key, v);
        next.push_back(std::move(q));
      }
    points = std::move(next);
  }
  return points;
}

}  // namespace

SweepSpec load_sweep(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only({"name", "base", "set", "grid", "grids"});
  SweepSpec spec;
  spec.file = path;
  spec.name = top.string_or("name", fs::path(path).stem().string());

  // The base scenario, relative to the sweep file (or as given, when that exists).
  const std::string base = top.string("base");
  std::error_code ec;
  fs::path base_path = fs::path(path).parent_path() / base;
  if (fs::path(base).is_absolute() || !fs::exists(base_path, ec)) base_path = base;
  if (!fs::is_regular_file(base_path, ec))
    throw InputError(
        top.where(top.require("base")), "base",
        fmt::format("scenario file '{}' does not exist (looked next to {})", base, path));
  spec.base_scenario = fs::absolute(base_path, ec).lexically_normal().string();
  const YAML::Node base_root = load_yaml_file(spec.base_scenario);
  // A key no grid value can repair makes every point invalid: refuse the sweep here (exit 2), not
  // after writing a CSV of invalid rows with exit 0.
  const MapReader base_map(base_root, spec.base_scenario, "");
  for (const auto& entry : base_root) {
    if (entry.first.IsScalar()) check_scenario_key(base_map, entry.first);
    if (entry.first.IsScalar() && entry.second.IsScalar())
      spec.base_values[entry.first.Scalar()] = entry.second.Scalar();
  }

  if (top.has("set")) {
    const MapReader set = top.map("set");
    for (const auto& entry : set.node()) {
      check_scenario_key(set, entry.first);
      spec.set.emplace_back(entry.first.Scalar(),
                            scalar_value(set, entry.first.Scalar(), entry.second));
    }
  }

  if (top.has("grid") == top.has("grids"))
    throw InputError(top.where(), top.has("grid") ? "grids" : "grid",
                     "give exactly one of grid: (a map of key: [values]) or grids: (a list of "
                     "such maps)");
  std::vector<MapReader> grids;
  if (top.has("grid")) {
    grids.push_back(top.map("grid"));
  } else {
    const YAML::Node list = top.require("grids");
    if (!list.IsSequence() || list.size() == 0)
      throw InputError(top.where(list), "grids", "must be a non-empty list of grid maps");
    for (std::size_t i = 0; i < list.size(); ++i)
      grids.emplace_back(list[i], path, fmt::format("grids[{}]", i));
  }

  std::set<std::string> ids;
  for (const MapReader& grid : grids) {
    // A grid key that contradicts the base: `chips` and `topology` must not both be given.
    for (const auto& [key, other] :
         {std::pair<std::string, std::string>{"chips", "topology"}, {"topology", "chips"}}) {
      bool in_set = false;
      for (const auto& [k, v] : spec.set) in_set = in_set || k == other;
      if (grid.has(key) && !grid.has(other) && !in_set && spec.base_values.count(other))
        throw InputError(grid.where(grid.require(key)), grid.key_path(key),
                         fmt::format("the base scenario {} gives {}: {}, which every point would "
                                     "contradict; vary {} instead or remove it from the base",
                                     spec.base_scenario, other, spec.base_values[other], other));
    }
    for (SweepPoint& p : read_grid(grid, spec.points.size()))
      if (ids.insert(p.id()).second) spec.points.push_back(std::move(p));
  }
  return spec;
}

void check_sweep_base(const SweepSpec& spec, const std::vector<std::size_t>& points) {
  std::vector<std::string> set;
  for (const auto& [key, value] : spec.set) set.push_back(key + "=" + value);
  try {
    (void)load_scenario(spec.base_scenario, set);
    return;
  } catch (const InputError&) {
    // A load takes about a millisecond: up to kMaxBaseChecks points are tried, all of them in a
    // grid that small, else the first and a fixed pseudo-random sample (a stride could alias
    // with the grid's fastest axis and never try some of its values).
    constexpr std::size_t kMaxBaseChecks = 1000;
    std::vector<std::size_t> tried = points;
    if (tried.size() > kMaxBaseChecks) {
      std::mt19937_64 random(14);  // fixed seed: the same sample, the same answer, every run
      std::shuffle(tried.begin() + 1, tried.end(), random);
      tried.resize(kMaxBaseChecks);
    }
    for (std::size_t i : tried) {
      try {
        (void)load_scenario(spec.base_scenario, spec.overrides(i - 1));
        return;  // the grid repairs the base at this point
      } catch (const InputError&) {
      }
    }
    throw;
  }
}

}  // namespace podsim::config
