#include "sim/workload/trace_json.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <variant>

#include "sim/core/output_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

using Json = nlohmann::ordered_json;

namespace {

constexpr std::string_view kFormat = "podsim-trace";
constexpr int kVersion = 1;

Json dims_json(const std::array<int, 3>& d) { return Json::array({d[0], d[1], d[2]}); }

// Every field of chip_fields(), in table order (ordered_json keeps it).
Json chip_json(const ChipSpec& c) {
  Json j = Json::object();
  for (const ChipField& field : chip_fields())
    std::visit([&](auto member) { j[std::string(field.key)] = c.*member; }, field.member);
  return j;
}

}  // namespace

Json scenario_to_json(const Scenario& s) {
  Json slices = Json::object();
  for (const auto& [count, dims] : s.platform.slice_dims)
    slices[std::to_string(count)] = dims_json(dims);
  const ChipSpec& c = s.platform.chip;
  const ModelSpec& m = s.model;
  // Per phase, as the scenario file writes it: {"prefill": ..., "decode": ...}.
  const Scenario pre = phase_scenario(s, Phase::prefill), dec = phase_scenario(s, Phase::decode);
  const Json layout = s.per_phase() ? Json{{"prefill", ffn_layout_name(pre.ffn_layout)},
                                           {"decode", ffn_layout_name(dec.ffn_layout)}}
                                    : Json(ffn_layout_name(s.ffn_layout));
  const Json attention = s.per_phase() ? Json{{"prefill", attn_sharding_name(pre.attention)},
                                              {"decode", attn_sharding_name(dec.attention)}}
                                       : Json(attn_sharding_name(s.attention));
  Json out{{"name", s.name},
              {"source_file", s.source_file},
              {"platform",
               {{"name", s.platform.name},
                {"source_file", s.platform.source_file},
                {"chip", chip_json(c)},
                {"slices", slices}}},
              {"topology",
               {{"dims", dims_json(s.shape.dims)},
                {"wraps", Json::array({s.shape.wraps[0], s.shape.wraps[1], s.shape.wraps[2]})}}},
              {"model",
               {{"name", m.name},
                {"source_file", m.source_file},
                {"layers", m.layers},
                {"d_model", m.d_model},
                {"d_ff", m.d_ff},
                {"heads", m.heads},
                {"padded_heads", m.padded_heads},
                {"pad_heads_from_chips", m.pad_heads_from_chips},
                {"d_head", m.d_head},
                {"kv_heads", m.kv_heads},
                {"vocab", m.vocab},
                {"block", block_kind_name(m.block)},
                {"activation", activation_name(m.activation)}}},
              {"pad_heads", s.pad_heads},
              {"phase", phase_name(s.phase)},
              {"batch", s.batch},
              {"input_tokens", s.input_tokens},
              {"generate_tokens", s.generate_tokens},
              {"weights", weight_dtype_name(s.weights)},
              {"ffn_layout", layout},
              {"attention", attention},
              {"collective_einsum", collective_einsum_name(s.collective_einsum)},
              {"ring_order", ring_order_name(s.ring_order)},
              {"allow_oversubscribe", s.allow_oversubscribe},
              {"exact", s.exact}};
  // Mixed only, after generate_tokens (so that other traces are unchanged).
  if (s.phase == Phase::mixed) {
    Json ordered;
    for (const auto& [key, value] : out.items()) {
      ordered[key] = value;
      if (key == "generate_tokens") {
        ordered["prompt_tokens"] = s.prompt_tokens;
        ordered["chunk_tokens"] = s.chunk_tokens;
      }
    }
    out = std::move(ordered);
  }
  if (s.shape.twisted) out["topology"]["twisted"] = true;
  if (!s.platform.calibrated) out["platform"]["calibrated"] = false;
  if (s.platform.wrap_rule == Platform::WrapRule::axes_of_16)
    out["platform"]["wraparound"] = "axes-of-16";
  // Only where not the default, so that traces written before the key read unchanged.
  if (s.platform.multi_axis != MultiAxis::concurrent)
    out["platform"]["multi_axis"] = multi_axis_name(s.platform.multi_axis);
  return out;
}

namespace {

Json op_json(const Op& op) {
  Json j{{"kind", op_kind_name(op.kind)},
         {"name", op.name},
         {"equation", op.equation},
         {"shapes", op.shapes},
         {"flops", op.flops},
         {"attention_flops", op.attention_flops},
         {"redundant_flops", op.redundant_flops},
         {"weight_bytes", op.weight_bytes},
         {"kv_bytes", op.kv_bytes},
         {"activation_bytes", op.activation_bytes},
         {"matmul_mkn", Json::array({op.matmul_mkn[0], op.matmul_mkn[1], op.matmul_mkn[2]})},
         {"matmul_batch", op.matmul_batch}};
  if (op.kind == OpKind::collective) {
    j["collective"] = Json{{"kind", collective_kind_name(op.collective.kind)},
                           {"axes", op.collective.axes.name()},
                           {"bytes", op.collective.bytes},
                           {"algorithm", ring_algorithm_name(op.collective.algorithm)},
                           {"multi_axis", multi_axis_name(op.collective.multi_axis)}};
    j["looped_with"] = op.looped_with;
  }
  return j;
}

// Reads one JSON object, naming every field by its JSON pointer in errors.
class Reader {
 public:
  Reader(const Json& j, const std::string& file, std::string pointer)
      : j_(j), file_(file), pointer_(std::move(pointer)) {
    if (!j_.is_object()) fail("", "must be an object");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& problem) const {
    throw InputError(SourceLocation{file_, 0, 0}, path(key), problem);
  }
  std::string path(const std::string& key) const {
    return key.empty() ? (pointer_.empty() ? "/" : pointer_) : pointer_ + "/" + key;
  }

  void allow_only(std::initializer_list<std::string_view> keys) const {
    allow_only(std::vector<std::string_view>(keys));
  }
  void allow_only(const std::vector<std::string_view>& keys) const {
    std::vector<std::string> names(keys.begin(), keys.end());
    for (const auto& [key, value] : j_.items()) {
      bool known = false;
      for (const auto& k : names) known = known || k == key;
      if (known) continue;
      const auto close = closest_match(key, names);
      fail(key, close ? fmt::format("unknown field; did you mean '{}'?", *close)
                      : std::string("unknown field"));
    }
  }

  const Json& require(const std::string& key) const {
    const auto it = j_.find(key);
    if (it == j_.end()) fail(key, "is missing");
    return *it;
  }
  bool has(const std::string& key) const { return j_.contains(key); }
  const Json& raw(const std::string& key) const { return require(key); }

  Reader object(const std::string& key) const {
    const Json& v = require(key);
    if (!v.is_object()) fail(key, "must be an object");
    return Reader(v, file_, path(key));
  }
  const Json& array(const std::string& key) const {
    const Json& v = require(key);
    if (!v.is_array()) fail(key, "must be an array");
    return v;
  }
  std::string string(const std::string& key, bool allow_empty = true) const {
    const Json& v = require(key);
    if (!v.is_string()) fail(key, "must be a string");
    std::string s = v.get<std::string>();
    if (!allow_empty && s.empty()) fail(key, "must not be empty");
    return s;
  }
  bool boolean(const std::string& key) const {
    const Json& v = require(key);
    if (!v.is_boolean()) fail(key, "must be true or false");
    return v.get<bool>();
  }
  double number(const std::string& key, double min) const {
    const Json& v = require(key);
    if (!v.is_number()) fail(key, "must be a number");
    const double x = v.get<double>();
    if (!(x >= min)) fail(key, fmt::format("must be at least {}, not {}", min, x));
    return x;
  }
  long long integer(const std::string& key, long long min, long long max = 1LL << 62) const {
    return integer_of(require(key), key, min, max);
  }
  long long integer_of(const Json& v, const std::string& key, long long min,
                       long long max = 1LL << 62) const {
    if (!v.is_number_integer()) fail(key, "must be a whole number");
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(max))
      fail(key, fmt::format("{} is too large (at most {})", v.get<std::uint64_t>(), max));
    const long long x = v.get<long long>();
    if (x < min) fail(key, fmt::format("must be at least {}, not {}", min, x));
    if (x > max) fail(key, fmt::format("{} is too large (at most {})", x, max));
    return x;
  }
  Bytes bytes(const std::string& key, Bytes min = 0) const {
    return Bytes(integer(key, static_cast<long long>(min)));
  }
  std::array<int, 3> dims(const std::string& key) const {
    const Json& v = array(key);
    if (v.size() != 3) fail(key, "must have three entries [X, Y, Z]");
    std::array<int, 3> d{};
    for (int i = 0; i < 3; ++i)
      d[i] = static_cast<int>(integer_of(v[i], fmt::format("{}/{}", key, i), 1));
    if (static_cast<long long>(d[0]) * d[1] * d[2] > kMaxChips)
      fail(key, fmt::format("has more than {} chips", kMaxChips));
    return d;
  }
  SourceLocation where() const { return SourceLocation{file_, 0, 0}; }

 private:
  const Json& j_;
  std::string file_;
  std::string pointer_;
};

// Reads `field` (every field is present in a trace) and checks its range (chip_spec.hpp). The
// trace was written by podsim, so rates are at least 1 and counts need no reason.
void read_chip_field(const Reader& c, const ChipField& field, ChipSpec& chip) {
  const std::string key(field.key);
  switch (field.range) {
    case ChipRange::name:
      chip.*std::get<std::string ChipSpec::*>(field.member) = c.string(key, false);
      return;
    case ChipRange::positive:
      // Only a number >= 0 here: the field's ChipBound (checked after reading) gives the
      // plausible range, with its reason.
      chip.*std::get<double ChipSpec::*>(field.member) = c.number(key, 0);
      return;
    case ChipRange::non_negative:
      chip.*std::get<double ChipSpec::*>(field.member) = c.number(key, 0);
      return;
    case ChipRange::size:
      chip.*std::get<Bytes ChipSpec::*>(field.member) = c.bytes(key, 1);
      return;
    case ChipRange::fraction: {
      const double value = c.number(key, 0);
      if (value <= 0 || value > 1) c.fail(key, "must be a fraction in (0, 1]");
      chip.*std::get<double ChipSpec::*>(field.member) = value;
      return;
    }
    case ChipRange::count: {
      const auto value = static_cast<int>(c.integer(key, 1, field.max_count));
      if (field.only_value != 0 && value != field.only_value)
        c.fail(key, std::string(field.only_reason));
      chip.*std::get<int ChipSpec::*>(field.member) = value;
      return;
    }
  }
}

Platform read_platform(const Reader& r) {
  r.allow_only({"name", "source_file", "chip", "slices", "calibrated", "wraparound", "multi_axis"});
  Platform p;
  // Written only when not the default (calibrated, cubes-of-4), so older traces read unchanged.
  if (r.has("calibrated")) p.calibrated = r.boolean("calibrated");
  if (r.has("wraparound")) {
    const std::string rule = r.string("wraparound");
    if (rule == "axes-of-16")
      p.wrap_rule = Platform::WrapRule::axes_of_16;
    else if (rule != "cubes-of-4")
      r.fail("wraparound", fmt::format("'{}' is not cubes-of-4 or axes-of-16", rule));
  }
  if (r.has("multi_axis"))
    p.multi_axis = parse_multi_axis(r.string("multi_axis"), r.path("multi_axis"), r.where());
  p.name = r.string("name", false);
  p.source_file = r.string("source_file");
  const Reader c = r.object("chip");
  c.allow_only(chip_field_keys());
  for (const ChipField& field : chip_fields()) {
    // Traces written before the term existed (issue 13) lack it: they were simulated with
    // perfect overlap, the default, so they read unchanged.
    if (field.key == "loop_chunk_efficiency" && !c.has(std::string(field.key))) continue;
    read_chip_field(c, field, p.chip);
  }
  for (const ChipField& field : chip_fields())
    if (const auto problem = implausible(field, chip_field_value(p.chip, field)))
      c.fail(std::string(field.key), *problem);
  const Reader slices = r.object("slices");
  for (const auto& [key, value] : r.require("slices").items()) {
    const auto count = parse_integer(key);
    if (!count || *count <= 0) slices.fail(key, "slice keys must be positive chip counts");
    const std::array<int, 3> d = slices.dims(key);
    if (static_cast<long long>(d[0]) * d[1] * d[2] != *count)
      slices.fail(key, fmt::format("{}x{}x{} does not have {} chips", d[0], d[1], d[2], *count));
    p.slice_dims[static_cast<int>(*count)] = d;
    (void)value;
  }
  return p;
}

ModelSpec read_model(const Reader& r) {
  r.allow_only({"name", "source_file", "layers", "d_model", "d_ff", "heads", "padded_heads",
                "pad_heads_from_chips", "d_head", "kv_heads", "vocab", "block", "activation"});
  ModelSpec m;
  m.name = r.string("name", false);
  m.source_file = r.string("source_file");
  // The bounds of the model loader (config/model_loader.cpp) on each dimension; validate_model
  // and validate_scenario bound their products.
  constexpr long long kMaxDim = 1LL << 24;
  m.layers = r.integer("layers", 1, 1 << 16);
  m.d_model = r.integer("d_model", 1, kMaxDim);
  m.d_ff = r.integer("d_ff", 1, kMaxDim);
  m.heads = r.integer("heads", 1, 1 << 16);
  m.padded_heads = r.integer("padded_heads", 0, 1 << 16);
  m.pad_heads_from_chips = r.integer("pad_heads_from_chips", 0, kMaxChips);
  m.d_head = r.integer("d_head", 1, 1 << 16);
  m.kv_heads = r.integer("kv_heads", 1, 1 << 16);
  m.vocab = r.integer("vocab", 1, kMaxDim);
  m.block = parse_block_kind(r.string("block"), r.path("block"), r.where());
  m.activation = parse_activation(r.string("activation"), r.path("activation"), r.where());
  validate_model(m, r.path(""), r.where());
  return m;
}

Scenario read_scenario(const Reader& r) {
  r.allow_only(scenario_key_names(true));
  Scenario s;
  s.name = r.string("name");
  s.source_file = r.string("source_file");
  s.platform = read_platform(r.object("platform"));
  const Reader topo = r.object("topology");
  topo.allow_only({"dims", "wraps", "twisted"});
  s.shape.dims = topo.dims("dims");
  const Json& wraps = topo.array("wraps");
  if (wraps.size() != 3) topo.fail("wraps", "must have three entries [x, y, z]");
  for (int i = 0; i < 3; ++i) {
    if (!wraps[i].is_boolean()) topo.fail(fmt::format("wraps/{}", i), "must be true or false");
    s.shape.wraps[i] = wraps[i].get<bool>();
  }
  // `twisted` is written only for a twisted slice (so untwisted traces are unchanged).
  if (topo.has("twisted")) {
    s.shape.twisted = topo.boolean("twisted");
    if (const auto why = twist_violation(s.shape))
      topo.fail("twisted", fmt::format("{}x{}x{} cannot be twisted: {}", s.shape.dims[0],
                                       s.shape.dims[1], s.shape.dims[2], *why));
  }
  s.model = read_model(r.object("model"));
  s.pad_heads = r.boolean("pad_heads");
  s.phase = parse_phase(r.string("phase"), r.path("phase"), r.where());
  // The bounds of the scenario loader.
  s.batch = r.integer("batch", 1, 1LL << 30);
  s.input_tokens = r.integer("input_tokens", 1, 1LL << 30);
  s.generate_tokens = r.integer("generate_tokens", 0, 1LL << 30);
  if (s.phase == Phase::mixed) {
    s.prompt_tokens = r.integer("prompt_tokens", 1, 1LL << 30);
    s.chunk_tokens = r.integer("chunk_tokens", 1, 1LL << 30);
  } else {
    for (const char* key : {"prompt_tokens", "chunk_tokens"})
      if (r.has(key)) r.fail(key, "only a mixed scenario has a prompt beside its decode steps");
  }
  s.weights = parse_weight_dtype(r.string("weights"), r.path("weights"), r.where());
  // A text value, or per phase {"prefill": ..., "decode": ...} (a generate run only).
  const bool per_phase = r.has("ffn_layout") && r.has("attention") &&
                         (r.raw("ffn_layout").is_object() || r.raw("attention").is_object());
  if (per_phase) {
    if (s.phase != Phase::generate)
      r.fail("ffn_layout", "layouts per phase need phase generate");
    const auto phases = [&](const std::string& key) {
      if (!r.raw(key).is_object()) {
        const std::string v = r.string(key);
        return std::pair{v, v};
      }
      const Reader p = r.object(key);
      p.allow_only({"prefill", "decode"});
      return std::pair{p.string("prefill"), p.string("decode")};
    };
    const auto [layout_pre, layout_dec] = phases("ffn_layout");
    const auto [attn_pre, attn_dec] = phases("attention");
    s.ffn_layout = parse_ffn_layout(layout_pre, r.path("ffn_layout"), r.where());
    s.attention = parse_attn_sharding(attn_pre, r.path("attention"), r.where());
    Scenario::PhaseLayout decode;
    decode.ffn_layout = parse_ffn_layout(layout_dec, r.path("ffn_layout"), r.where());
    decode.attention = parse_attn_sharding(attn_dec, r.path("attention"), r.where());
    s.decode_layout = decode;
  } else {
    s.ffn_layout = parse_ffn_layout(r.string("ffn_layout"), r.path("ffn_layout"), r.where());
    s.attention = parse_attn_sharding(r.string("attention"), r.path("attention"), r.where());
  }
  s.collective_einsum = parse_collective_einsum(r.string("collective_einsum"),
                                                r.path("collective_einsum"), r.where());
  // Absent in traces written before the key existed, whose rings were snakes.
  s.ring_order = r.has("ring_order") ? parse_ring_order(r.string("ring_order"),
                                                        r.path("ring_order"), r.where())
                                     : RingOrder::snake;
  s.allow_oversubscribe = r.boolean("allow_oversubscribe");
  s.exact = r.boolean("exact");
  try {
    validate_scenario(s);
  } catch (const InputError& e) {
    r.fail(e.key(), e.problem());
  }
  return s;
}

Op read_op(const Reader& r, const TorusShape& shape) {
  Op op;
  op.kind = parse_op_kind(r.string("kind"), r.path("kind"), r.where());
  if (op.kind == OpKind::collective)
    r.allow_only({"kind", "name", "equation", "shapes", "flops", "attention_flops",
                  "redundant_flops", "weight_bytes", "kv_bytes", "activation_bytes", "matmul_mkn",
                  "matmul_batch", "collective", "looped_with"});
  else
    r.allow_only({"kind", "name", "equation", "shapes", "flops", "attention_flops",
                  "redundant_flops", "weight_bytes", "kv_bytes", "activation_bytes", "matmul_mkn",
                  "matmul_batch"});
  op.name = r.string("name", false);
  op.equation = r.string("equation");
  op.shapes = r.string("shapes");
  op.flops = r.number("flops", 0);
  op.attention_flops = r.number("attention_flops", 0);
  op.redundant_flops = r.number("redundant_flops", 0);
  if (op.attention_flops > op.flops) r.fail("attention_flops", "must not exceed flops");
  if (op.redundant_flops > op.flops) r.fail("redundant_flops", "must not exceed flops");
  op.weight_bytes = r.bytes("weight_bytes");
  op.kv_bytes = r.bytes("kv_bytes");
  op.activation_bytes = r.bytes("activation_bytes");
  const Json& mkn = r.array("matmul_mkn");
  if (mkn.size() != 3) r.fail("matmul_mkn", "must have three entries [M, K, N]");
  for (int i = 0; i < 3; ++i)
    op.matmul_mkn[i] = r.integer_of(mkn[i], fmt::format("matmul_mkn/{}", i), 0);
  op.matmul_batch = r.integer("matmul_batch", 1);
  if (op.kind == OpKind::collective) {
    const Reader c = r.object("collective");
    c.allow_only({"kind", "axes", "bytes", "algorithm", "multi_axis"});
    op.collective.kind = parse_collective_kind(c.string("kind"), c.path("kind"), c.where());
    op.collective.axes = parse_axes(c.string("axes", false), c.path("axes"), c.where());
    op.collective.bytes = c.bytes("bytes", 1);
    op.collective.algorithm =
        parse_ring_algorithm(c.string("algorithm"), c.path("algorithm"), c.where());
    op.collective.multi_axis =
        parse_multi_axis(c.string("multi_axis"), c.path("multi_axis"), c.where());
    validate_collective(op.collective, shape, r.path("collective"), r.where());
    op.looped_with = r.string("looped_with");
  }
  return op;
}

StepTrace read_step(const Reader& r, const TorusShape& shape) {
  const std::string phase = r.string("phase");
  if (phase == "mixed")
    r.allow_only({"phase", "batch", "new_tokens", "context", "chunk_tokens", "chunk_context",
                  "layers"});
  else
    r.allow_only({"phase", "batch", "new_tokens", "context", "layers"});
  StepTrace step;
  if (phase != "prefill" && phase != "decode" && phase != "transition" && phase != "mixed")
    r.fail("phase",
           fmt::format("'{}' is not a step phase; use prefill, decode, mixed or transition", phase));
  step.phase = phase == "decode" ? Phase::decode : phase == "mixed" ? Phase::mixed : Phase::prefill;
  if (step.phase == Phase::mixed) {
    step.chunk_tokens = r.integer("chunk_tokens", 1, 1LL << 30);
    step.chunk_context = r.integer("chunk_context", 0, 1LL << 30);
  }
  // The KV cache's move between the phases holds no new tokens (StepTrace::transition).
  step.transition = phase == "transition";
  step.batch = r.integer("batch", 1, 1LL << 30);
  step.new_tokens = r.integer("new_tokens", step.transition ? 0 : 1, 1LL << 31);
  step.context = r.integer("context", 0, 1LL << 31);
  const Json& layers = r.array("layers");
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Reader l(layers[i], r.where().file, r.path(fmt::format("layers/{}", i)));
    l.allow_only({"name", "repeat", "ops"});
    LayerTrace layer;
    layer.name = l.string("name", false);
    layer.repeat = static_cast<int>(l.integer("repeat", 1, 1 << 20));  // fits an int
    const Json& ops = l.array("ops");
    for (std::size_t k = 0; k < ops.size(); ++k) {
      const Reader o(ops[k], r.where().file, l.path(fmt::format("ops/{}", k)));
      layer.ops.push_back(read_op(o, shape));
    }
    // Looped collectives must name an einsum of their layer.
    for (std::size_t k = 0; k < layer.ops.size(); ++k) {
      const Op& op = layer.ops[k];
      if (op.looped_with.empty()) continue;
      bool found = false;
      for (const Op& other : layer.ops)
        found = found || (other.kind == OpKind::einsum && other.name == op.looped_with);
      if (!found)
        l.fail(fmt::format("ops/{}/looped_with", k),
               fmt::format("no einsum named '{}' in this layer", op.looped_with));
    }
    step.layers.push_back(std::move(layer));
  }
  return step;
}

}  // namespace

std::string trace_to_json(const Trace& trace) {
  // The JSON tree of a step is far larger than the step: /usr/bin/time -v of `podsim trace` on
  // the toy generate scenario peaked at 196 MB with 2000 decode steps and 1.58 GB with 20000,
  // 77 kB per step; rounded up so that the estimate errs high.
  constexpr double kJsonBytesPerStep = 96 * 1024;
  enforce_steps_fit(trace.scenario, kJsonBytesPerStep);
  Json steps = Json::array();
  for (const StepTrace& step : trace.steps) {
    Json layers = Json::array();
    for (const LayerTrace& layer : step.layers) {
      Json ops = Json::array();
      for (const Op& op : layer.ops) ops.push_back(op_json(op));
      layers.push_back(Json{{"name", layer.name}, {"repeat", layer.repeat}, {"ops", ops}});
    }
    Json j{{"phase", step.phase_label()},
           {"batch", step.batch},
           {"new_tokens", step.new_tokens},
           {"context", step.context}};
    if (step.phase == Phase::mixed) {
      j["chunk_tokens"] = step.chunk_tokens;
      j["chunk_context"] = step.chunk_context;
    }
    j["layers"] = std::move(layers);
    steps.push_back(std::move(j));
  }
  const MemoryPlan& m = trace.memory;
  const Json root{{"format", kFormat},
                  {"version", kVersion},
                  {"scenario", scenario_to_json(trace.scenario)},
                  {"memory",
                   {{"weights_bytes", m.weights_bytes},
                    {"kv_bytes", m.kv_bytes},
                    {"activation_bytes", m.activation_bytes},
                    {"hbm_bytes", m.hbm_bytes},
                    {"fits", m.fits}}},
                  {"steps", steps}};
  return root.dump(1) + "\n";
}

void write_trace_json(const Trace& trace, const std::string& path) {
  write_output_file(path, trace_to_json(trace), "-o");
}

namespace {

// nlohmann::json keeps the last of two equal keys without a word; the YAML loader refuses them.
// This parser callback tracks where it is (a JSON pointer) and throws at the second key.
class DuplicateKeyCheck {
 public:
  explicit DuplicateKeyCheck(const std::string& file) : file_(file) {}
  bool operator()(int /*depth*/, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        frames_.push_back(Frame{event == Json::parse_event_t::array_start, 0, "", {}});
        break;
      case Json::parse_event_t::key:
        if (!frames_.back().keys.insert(parsed.get<std::string>()).second)
          throw InputError(SourceLocation{file_, 0, 0}, pointer() + "/" + parsed.get<std::string>(),
                           "appears twice in its object; keep one");
        frames_.back().key = parsed.get<std::string>();
        break;
      case Json::parse_event_t::object_end:
      case Json::parse_event_t::array_end:
        frames_.pop_back();
        element_done();
        break;
      case Json::parse_event_t::value:
        element_done();
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool array;
    std::size_t index;          // of the element being read, in an array
    std::string key;            // of the member being read, in an object
    std::set<std::string> keys;  // seen in this object
  };
  void element_done() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
  }
  // The pointer of the innermost object being read.
  std::string pointer() const {
    std::string out;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i)
      out += "/" + (frames_[i].array ? std::to_string(frames_[i].index) : frames_[i].key);
    return out;
  }
  std::string file_;
  std::vector<Frame> frames_;
};

}  // namespace

Trace trace_from_json(const std::string& text, const std::string& name) {
  Json root;
  try {
    root = Json::parse(text, DuplicateKeyCheck(name));
  } catch (const Json::parse_error& e) {
    // Position as file:line:col, and nlohmann's message without its "[json.exception...] parse
    // error at line L, column C: " prefix.
    SourceLocation where{name, 1, 1};
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      where.column = text[i] == '\n' ? 1 : where.column + 1;
      where.line += text[i] == '\n' ? 1 : 0;
    }
    std::string message = e.what();
    if (const auto colon = message.find(": "); colon != std::string::npos)
      message = message.substr(colon + 2);
    throw InputError(where, "json", "not valid JSON: " + message);
  } catch (const Json::exception& e) {
    // out_of_range.406: a number too large for a double, such as 1e999.
    std::string message = e.what();
    if (const auto bracket = message.find("] "); bracket != std::string::npos)
      message = message.substr(bracket + 2);
    throw InputError(SourceLocation{name, 0, 0}, "json", "not valid: " + message);
  }
  const Reader r(root, name, "");
  r.allow_only({"format", "version", "scenario", "memory", "steps"});
  if (r.string("format") != kFormat)
    r.fail("format", fmt::format("must be \"{}\"; this is not a podsim trace", kFormat));
  if (r.integer("version", 0) != kVersion)
    r.fail("version", fmt::format("this podsim reads trace version {}", kVersion));
  Trace trace;
  trace.scenario = read_scenario(r.object("scenario"));
  const Reader m = r.object("memory");
  m.allow_only({"weights_bytes", "kv_bytes", "activation_bytes", "hbm_bytes", "fits"});
  trace.memory.weights_bytes = m.bytes("weights_bytes");
  trace.memory.kv_bytes = m.bytes("kv_bytes");
  trace.memory.activation_bytes = m.bytes("activation_bytes");
  trace.memory.hbm_bytes = m.bytes("hbm_bytes", 1);
  trace.memory.fits = m.boolean("fits");
  const Json& steps = r.array("steps");
  if (steps.empty()) r.fail("steps", "must hold at least one step");
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const Reader s(steps[i], name, fmt::format("/steps/{}", i));
    trace.steps.push_back(read_step(s, trace.scenario.shape));
  }
  return trace;
}

Scenario scenario_from_json(const nlohmann::ordered_json& scenario, const std::string& name) {
  return read_scenario(Reader(scenario, name, "/scenario"));
}

Trace read_trace_json(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw InputError(SourceLocation{path, 0, 0}, "file", "does not exist or is not a file");
  // A trace holds one entry per distinct layer, not per repeat: real ones are well below this.
  constexpr std::uintmax_t kMaxTraceBytes = std::uintmax_t(1) << 30;
  if (std::filesystem::file_size(path, ec) > kMaxTraceBytes)
    throw InputError(SourceLocation{path, 0, 0}, "file",
                     "is larger than 1 GiB; a trace holds each distinct layer once");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourceLocation{path, 0, 0}, "file", "cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return trace_from_json(text.str(), path);
}

}  // namespace podsim
