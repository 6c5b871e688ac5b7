#include "sim/config/scenario_loader.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <map>

#include "sim/config/model_loader.hpp"
#include "sim/config/platform_loader.hpp"
#include "sim/config/yaml_source.hpp"
#include "sim/core/utf8.hpp"

namespace podsim::config {

namespace fs = std::filesystem;

ScenarioOverride parse_override(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    throw InputError("--set", fmt::format("'{}' must be key=value, e.g. batch=64", text));
  if (const auto bad = invalid_utf8_offset(text))
    throw InputError(SourceLocation{"--set " + escaped_bytes(text), 0, 0}, escaped_bytes(text.substr(0, eq)),
                     fmt::format("byte 0x{:02x} is not UTF-8 text; give the value in UTF-8",
                                 static_cast<unsigned char>(text[*bad])));
  return ScenarioOverride{text.substr(0, eq), text.substr(eq + 1)};
}

std::string find_project_root(const std::string& scenario_path, const std::string& search_root) {
  if (!search_root.empty()) return search_root;
  std::error_code ec;
  fs::path dir = fs::absolute(scenario_path, ec).parent_path();
  while (!dir.empty()) {
    if (fs::is_directory(dir / "platforms", ec) || fs::is_directory(dir / "workloads", ec))
      return dir.string();
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  return PODSIM_SOURCE_DIR;
}

namespace {

bool looks_like_path(const std::string& value) {
  return value.find('/') != std::string::npos || value.ends_with(".yaml");
}

// A path value: as given when it exists from the working directory, else next to the scenario.
std::string path_near(const std::string& value, const std::string& scenario_path) {
  std::error_code ec;
  if (!looks_like_path(value) || fs::path(value).is_absolute() || fs::exists(value, ec))
    return value;
  const fs::path near = fs::path(scenario_path).parent_path() / value;
  return fs::exists(near, ec) ? near.string() : value;
}

bool parse_flag(const MapReader& r, const std::string& key) {
  const YAML::Node node = r.require(key);
  const std::string text = node.IsScalar() ? node.Scalar() : "";
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  throw InputError(r.where(node), key, fmt::format("'{}' must be true or false", text));
}

// A key that may be given per phase: a text value (both phases) or a map {prefill: v, decode:
// v}. A generate scenario's map needs both phases; a prefill or decode scenario's map may hold
// only its own phase. `fallback` is used when the key is absent (empty: the key is required).
struct PerPhaseValue {
  bool map = false;
  std::string prefill, decode;
  SourceLocation prefill_at, decode_at;
};

PerPhaseValue read_per_phase(const MapReader& top, const std::string& key, Phase phase,
                             const std::string& fallback, const SourceLocation& at) {
  PerPhaseValue v;
  v.prefill_at = v.decode_at = at;
  if (phase == Phase::mixed && top.has(key) && top.require(key).IsMap())
    throw InputError(top.where(top.require(key)), key,
                     "is a map per phase, but a mixed step is one fused pass of the decode batch "
                     "and the prompt's chunk with one layout; give one value");
  if (!top.has(key) && !fallback.empty()) {
    v.prefill = v.decode = fallback;
    return v;
  }
  const YAML::Node node = top.require(key);
  if (node.IsSequence())
    throw InputError(top.where(node), key,
                     fmt::format("is a list; give one value for both phases, or one per phase as "
                                 "a map {{prefill: <value>, decode: <value>}}"));
  if (!node.IsMap()) {
    v.prefill = v.decode = top.string(key);
    return v;
  }
  v.map = true;
  const MapReader phases(node, top.file(), key);
  phases.allow_only({"prefill", "decode"});
  const auto one = [&](const std::string& name) {
    if (phase != Phase::generate && name != std::string(phase_name(phase)))
      throw InputError(phases.where(phases.require(name)), phases.key_path(name),
                       fmt::format("a {} scenario has no {} phase; give {}: <value> or {{{}: "
                                   "<value>}}, or use phase: generate for a layout per phase",
                                   phase_name(phase), name, key, phase_name(phase)));
    return phases.string(name);
  };
  if (phase == Phase::generate) {
    if (!phases.has("prefill") || !phases.has("decode"))
      throw InputError(top.where(node), key,
                       fmt::format("a map per phase needs both prefill and decode, e.g. {{prefill: "
                                   "{}, decode: {}}}",
                                   phases.has("prefill") ? phases.string("prefill") : "...",
                                   phases.has("decode") ? phases.string("decode") : "..."));
    v.prefill = one("prefill");
    v.decode = one("decode");
    v.prefill_at = phases.where(phases.require("prefill"));
    v.decode_at = phases.where(phases.require("decode"));
    return v;
  }
  for (const auto& entry : node) one(entry.first.Scalar());  // refuses the other phase's key
  const std::string own(phase_name(phase));
  if (!phases.has(own))
    throw InputError(top.where(node), key,
                     fmt::format("is an empty map; give {}: <value> or {{{}: <value>}}", key, own));
  v.prefill = v.decode = phases.string(own);
  v.prefill_at = v.decode_at = phases.where(phases.require(own));
  return v;
}

Scenario read_scenario(const std::string& path, YAML::Node root,
                       const std::vector<ScenarioOverride>& overrides,
                       const std::string& search_root) {
  const MapReader top(root, path, "");
  top.allow_only(scenario_key_names(false));
  Scenario s;
  s.source_file = path;
  for (const auto& entry : root) {
    const std::string key = entry.first.Scalar();
    s.where[key] = top.where(entry.second);
  }
  for (const auto& o : overrides) s.where[o.key] = SourceLocation{"--set " + o.key + "=" + o.value};
  const auto node_where = [&](const std::string& key) { return s.location_of(key); };

  s.name = top.string_or("name", fs::path(path).stem().string());
  const std::string root_dir = find_project_root(path, search_root);

  // Platform and slice.
  const std::string platform_arg = path_near(top.string("platform"), path);
  try {
    s.platform = load_platform(
        resolve_platform_path(platform_arg, (fs::path(root_dir) / "platforms").string()));
  } catch (const InputError& e) {
    if (!e.where().file.empty() && e.where().line > 0) throw;  // an error inside the platform file
    throw InputError(
        node_where("platform"), "platform",
        e.where().file.empty() ? e.problem() : fmt::format("{} ({})", e.problem(), e.where().file));
  }
  if (!top.has("topology") && !top.has("chips"))
    throw InputError(top.where(), "topology",
                     "is missing; give topology: XxYxZ (e.g. 4x4x4) or chips: N (e.g. 64)");
  if (top.has("topology")) {
    if (top.require("topology").IsSequence())
      throw InputError(node_where("topology"), "topology",
                       "is a list; write the shape as one value XxYxZ, e.g. topology: 2x2x2");
    s.shape = parse_shape(top.string("topology"), "topology", node_where("topology"));
    s.shape.wraps = s.platform.wraparound(s.shape.dims);  // the platform's rule (`wraparound:`)
    if (top.has("chips")) {
      const long long chips = top.positive_integer("chips", kMaxChips);
      if (chips != s.shape.chip_count())
        throw InputError(node_where("chips"), "chips",
                         fmt::format("{} does not match topology {} ({} chips); give one of them",
                                     chips, s.shape.name(), s.shape.chip_count()));
    }
  } else {
    const long long chips = top.positive_integer("chips", kMaxChips);
    s.shape = slice_for_chip_count(s.platform, chips, "chips", node_where("chips"));
  }
  if (top.has("wrap"))
    if (auto wraps = parse_wrap(top.string("wrap"), "wrap", node_where("wrap")))
      s.shape.wraps = *wraps;
  if (top.has("twist") && parse_flag(top, "twist")) {
    s.shape.twisted = true;
    if (const auto why = twist_violation(s.shape))
      throw InputError(node_where("twist"), "twist",
                       fmt::format("{}x{}x{} cannot be twisted: {}", s.shape.dims[0],
                                   s.shape.dims[1], s.shape.dims[2], *why));
  }

  // Model.
  const std::string model_arg = path_near(top.string("model"), path);
  try {
    s.model =
        load_model(resolve_model_path(model_arg, (fs::path(root_dir) / "workloads").string()));
  } catch (const InputError& e) {
    if (!e.where().file.empty() && e.where().line > 0) throw;  // an error inside the model file
    throw InputError(
        node_where("model"), "model",
        e.where().file.empty() ? e.problem() : fmt::format("{} ({})", e.problem(), e.where().file));
  }

  // Phase and lengths.
  s.phase = parse_phase(top.string("phase"), "phase", node_where("phase"));
  s.batch = top.positive_integer("batch", 1LL << 30);
  s.input_tokens = top.positive_integer("input_tokens", 1LL << 30);
  if (s.phase == Phase::prefill) {
    if (top.has("generate_tokens")) {
      const YAML::Node g = top.require("generate_tokens");
      if (!(g.IsScalar() && g.Scalar() == "0")) top.positive_integer("generate_tokens", 1LL << 30);
    }
    s.generate_tokens = 0;  // a prefill run generates nothing beyond its logits
  } else {
    s.generate_tokens = top.positive_integer("generate_tokens", 1LL << 30);
  }
  // A mixed run's new prompt, prefilled chunk_tokens per step (default: all of it in the first
  // step); only a mixed run has one.
  if (s.phase == Phase::mixed) {
    s.prompt_tokens = top.positive_integer("prompt_tokens", 1LL << 30);
    s.chunk_tokens = top.has("chunk_tokens") ? top.positive_integer("chunk_tokens", 1LL << 30)
                                             : s.prompt_tokens;
  } else {
    for (const char* key : {"prompt_tokens", "chunk_tokens"})
      if (top.has(key))
        throw InputError(node_where(key), key,
                         fmt::format("only a mixed scenario prefills a new prompt beside its "
                                     "decode steps; use phase: mixed, or leave {} out",
                                     key));
  }

  // Partitioning and options.
  s.weights =
      parse_weight_dtype(top.string_or("weights", "bf16"), "weights", node_where("weights"));
  const PerPhaseValue attention =
      read_per_phase(top, "attention", s.phase, "heads", node_where("attention"));
  const auto phase_key = [&](const std::string& key, const PerPhaseValue& v, Phase p) {
    return v.map && s.phase == Phase::generate ? fmt::format("{}.{}", key, phase_name(p)) : key;
  };
  s.attention = parse_attn_sharding(attention.prefill, phase_key("attention", attention, Phase::prefill),
                                    attention.prefill_at);
  const AttnSharding decode_attention = parse_attn_sharding(
      attention.decode, phase_key("attention", attention, Phase::decode), attention.decode_at);
  s.collective_einsum =
      parse_collective_einsum(top.string_or("collective_einsum", "looped"), "collective_einsum",
                              node_where("collective_einsum"));
  s.ring_order = parse_ring_order(top.string_or("ring_order", "hamiltonian"), "ring_order",
                                  node_where("ring_order"));
  s.allow_oversubscribe = top.has("allow_oversubscribe") && parse_flag(top, "allow_oversubscribe");
  s.exact = top.has("exact") && parse_flag(top, "exact");
  std::string pad_mode = top.string_or("pad_heads", "auto");
  if (pad_mode == "true" || pad_mode == "on") pad_mode = "yes";
  if (pad_mode == "false" || pad_mode == "off") pad_mode = "no";
  if (pad_mode != "auto" && pad_mode != "yes" && pad_mode != "no")
    throw InputError(node_where("pad_heads"), "pad_heads",
                     fmt::format("'{}' must be auto, yes or no", pad_mode));
  if (pad_mode == "yes" && s.model.padded_heads == 0)
    throw InputError(node_where("pad_heads"), "pad_heads",
                     fmt::format("model {} offers no padded_heads", s.model.name));
  s.pad_heads_request = pad_mode == "yes"  ? PadHeadsRequest::yes
                        : pad_mode == "no" ? PadHeadsRequest::no
                                           : PadHeadsRequest::automatic;

  // `ffn_layout: auto` is recorded as a request: explore/layout_search decides it, and checks
  // then what each candidate layout needs of the shapes.
  // Per phase (phase: generate with a map for ffn_layout or attention): the prefill's layout in
  // ffn_layout and attention, the decode's in decode_layout.
  const PerPhaseValue layout = read_per_phase(top, "ffn_layout", s.phase, "", node_where("ffn_layout"));
  s.ffn_layout_auto = layout.prefill == "auto";
  if (!s.ffn_layout_auto)
    s.ffn_layout = parse_ffn_layout(layout.prefill, phase_key("ffn_layout", layout, Phase::prefill),
                                    layout.prefill_at);
  if (s.phase == Phase::generate && (layout.map || attention.map)) {
    Scenario::PhaseLayout decode;
    decode.ffn_layout_auto = layout.decode == "auto";
    if (!decode.ffn_layout_auto)
      decode.ffn_layout = parse_ffn_layout(
          layout.decode, phase_key("ffn_layout", layout, Phase::decode), layout.decode_at);
    decode.attention = decode_attention;
    s.decode_layout = decode;
    if (layout.map) {
      s.where.try_emplace("ffn_layout.prefill", layout.prefill_at);
      s.where.try_emplace("ffn_layout.decode", layout.decode_at);
    }
    if (attention.map) {
      s.where.try_emplace("attention.prefill", attention.prefill_at);
      s.where.try_emplace("attention.decode", attention.decode_at);
    }
  }
  resolve_pad_heads(s);
  if (!s.layout_undecided())
    validate_scenario(s);
  else
    check_size_products(s);
  return s;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides,
                       const std::string& search_root) {
  YAML::Node root = load_yaml_file(path);
  std::vector<ScenarioOverride> parsed;
  std::map<std::string, std::string> by_key;
  for (const std::string& text : overrides) {
    parsed.push_back(parse_override(text));
    by_key[parsed.back().key] = parsed.back().value;
  }
  if (!root.IsMap()) MapReader(root, path, "");  // throws the usual message
  // The slice is given once: `--set chips=N` replaces the file's topology with the platform's
  // slice for N, and `--set topology=XxYxZ` replaces the file's chip count (both given by --set
  // must agree, as in a file).
  if (by_key.contains("chips") && !by_key.contains("topology")) root.remove("topology");
  if (by_key.contains("topology") && !by_key.contains("chips")) root.remove("chips");
  for (const auto& o : parsed) {
    // `--set ffn_layout.decode=ws-2d` (or .prefill, and attention.*): one phase of a per-phase
    // key; a text value already there becomes the other phase's.
    const auto dot = o.key.find('.');
    const std::string head = o.key.substr(0, dot);
    if (dot != std::string::npos && (head == "ffn_layout" || head == "attention")) {
      const std::string phase = o.key.substr(dot + 1);
      if (phase != "prefill" && phase != "decode")
        throw InputError(SourceLocation{"--set " + o.key + "=" + o.value, 0, 0}, o.key,
                         fmt::format("'{}' is not a phase; use {}.prefill or {}.decode", phase,
                                     head, head));
      YAML::Node current = root[head];
      if (!current.IsMap()) {
        YAML::Node map(YAML::NodeType::Map);
        const std::string old = current.IsScalar() ? current.Scalar()
                                : head == "attention" ? "heads"
                                                      : "";
        const YAML::Node phase_node = root["phase"];
        const bool generate = phase_node.IsScalar() && phase_node.Scalar() == "generate";
        if (!old.empty() && generate) {
          map["prefill"] = old;
          map["decode"] = old;
        }
        root[head] = map;
      }
      root[head][phase] = YAML::Node(o.value);
      continue;
    }
    root[o.key] = YAML::Node(o.value);
  }
  try {
    return read_scenario(path, root, parsed, search_root);
  } catch (const InputError& e) {
    // Values from --set have no position in the file: name the flag instead.
    const auto it = by_key.find(e.key());
    if (it != by_key.end() && e.where().line == 0)
      throw InputError(SourceLocation{"--set " + it->first + "=" + it->second, 0, 0}, e.key(),
                       e.problem());
    throw;
  }
}

}  // namespace podsim::config
