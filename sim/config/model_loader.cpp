#include "sim/config/model_loader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "sim/config/yaml_source.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::config {

ModelSpec load_model(const std::string& path) {
  const YAML::Node root = load_yaml_file(path);
  const MapReader top(root, path, "");
  top.allow_only({"name", "layers", "d_model", "d_ff", "heads", "padded_heads",
                  "pad_heads_from_chips", "d_head", "kv_heads", "vocab", "block", "activation"});
  ModelSpec m;
  m.source_file = path;
  m.name = top.string_or("name", std::filesystem::path(path).stem().string());
  // Bounds on each dimension, far above any real model (PaLM 540B: E 18432, F 73728, 118 layers).
  // They do not bound the products on their own: validate_model bounds the parameter count and
  // validate_scenario the sizes that grow with batch and context (core/checked_math.hpp).
  constexpr long long kMaxDim = 1LL << 24;
  m.layers = top.positive_integer("layers", 1 << 16);
  m.d_model = top.positive_integer("d_model", kMaxDim);
  m.d_ff = top.positive_integer("d_ff", kMaxDim);
  m.heads = top.positive_integer("heads", 1 << 16);
  m.d_head = top.positive_integer("d_head", 1 << 16);
  m.kv_heads = top.positive_integer("kv_heads", 1 << 16);
  m.vocab = top.positive_integer("vocab", kMaxDim);
  if (top.has("padded_heads")) m.padded_heads = top.positive_integer("padded_heads", 1 << 16);
  if (top.has("pad_heads_from_chips")) {
    if (!top.has("padded_heads"))
      throw InputError(top.where(top.require("pad_heads_from_chips")), "pad_heads_from_chips",
                       "needs padded_heads (the head count to pad to)");
    m.pad_heads_from_chips = top.positive_integer("pad_heads_from_chips", kMaxChips);
  }
  m.block =
      parse_block_kind(top.string("block"), top.key_path("block"), top.where(top.require("block")));
  m.activation = parse_activation(top.string("activation"), top.key_path("activation"),
                                  top.where(top.require("activation")));
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)
    throw InputError(top.where(top.require("kv_heads")), "kv_heads",
                     fmt::format("must divide heads {} (1 = multiquery, {} = multihead, between: "
                                 "grouped-query), not {}",
                                 m.heads, m.heads, m.kv_heads));
  if (m.padded_heads != 0 && m.padded_heads < m.heads)
    throw InputError(
        top.where(top.require("padded_heads")), "padded_heads",
        fmt::format("{} is below heads {}; padding only adds heads", m.padded_heads, m.heads));
  validate_model(m, "model", top.where());
  return m;
}

std::string resolve_model_path(const std::string& name_or_path, const std::string& workloads_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".yaml")) {
    if (!fs::exists(name_or_path, ec))
      throw InputError(SourceLocation{name_or_path, 0, 0}, "model", "model file does not exist");
    return name_or_path;
  }
  const std::string candidate = (fs::path(workloads_dir) / (name_or_path + ".yaml")).string();
  if (fs::exists(candidate, ec)) return candidate;
  std::vector<std::string> known;
  for (const auto& entry : fs::directory_iterator(workloads_dir, ec))
    if (entry.path().extension() == ".yaml") known.push_back(entry.path().stem().string());
  std::sort(known.begin(), known.end());
  std::string hint;
  if (auto close = closest_match(name_or_path, known))
    hint = fmt::format("did you mean '{}'? ", *close);
  throw InputError("model", fmt::format("unknown model '{}' (no {}); {}known models: {}",
                                        name_or_path, candidate, hint, fmt::join(known, ", ")));
}

}  // namespace podsim::config
