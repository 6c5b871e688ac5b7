#include "sim/workload/scenario.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include "sim/core/checked_math.hpp"

namespace podsim {

std::string_view phase_name(Phase phase) {
  switch (phase) {
    case Phase::prefill:
      return "prefill";
    case Phase::decode:
      return "decode";
    case Phase::generate:
      return "generate";
    case Phase::mixed:
      return "mixed";
  }
  return "?";
}

std::string_view weight_dtype_name(WeightDtype dtype) {
  return dtype == WeightDtype::bf16 ? "bf16" : "int8";
}

std::string_view collective_einsum_name(CollectiveEinsum mode) {
  return mode == CollectiveEinsum::looped ? "looped" : "off";
}

Phase parse_phase(std::string_view text, const std::string& key, const SourceLocation& where) {
  if (text == "prefill") return Phase::prefill;
  if (text == "decode") return Phase::decode;
  if (text == "generate") return Phase::generate;
  if (text == "mixed") return Phase::mixed;
  throw InputError(where, key,
                   fmt::format("unknown phase '{}'; use prefill, decode or generate (= prefill, "
                               "then decode steps), or mixed (decode steps that also prefill a "
                               "new prompt in chunks)",
                               text));
}

WeightDtype parse_weight_dtype(std::string_view text, const std::string& key,
                               const SourceLocation& where) {
  if (text == "bf16") return WeightDtype::bf16;
  if (text == "int8") return WeightDtype::int8;
  throw InputError(where, key, fmt::format("unknown weight type '{}'; use bf16 or int8", text));
}

CollectiveEinsum parse_collective_einsum(std::string_view text, const std::string& key,
                                         const SourceLocation& where) {
  if (text == "looped") return CollectiveEinsum::looped;
  if (text == "off") return CollectiveEinsum::off;
  throw InputError(where, key, fmt::format("'{}' is not a choice; use looped or off", text));
}

Bytes weight_element_bytes(WeightDtype dtype) { return dtype == WeightDtype::bf16 ? 2 : 1; }

long long Scenario::max_context() const {
  return phase == Phase::prefill ? input_tokens : input_tokens + generate_tokens;
}

long long Scenario::mixed_steps() const {
  if (phase != Phase::mixed || chunk_tokens <= 0) return 0;
  return (prompt_tokens + chunk_tokens - 1) / chunk_tokens;
}

long long Scenario::vocab_used() const {
  const long long n = chips();
  return (model.vocab + n - 1) / n * n;
}

std::vector<std::string_view> scenario_key_names(bool trace) {
  std::vector<std::string_view> names;
  for (const ScenarioKey& key : kScenarioKeys)
    if (trace ? key.trace : key.file) names.push_back(key.name);
  return names;
}

std::string_view Scenario::ffn_layout_label() const {
  return ffn_layout_auto ? std::string_view("auto") : ffn_layout_name(ffn_layout);
}

Scenario phase_scenario(const Scenario& s, Phase phase) {
  Scenario p = s;
  if (!s.decode_layout) return p;
  if (phase == Phase::decode) {
    p.ffn_layout = s.decode_layout->ffn_layout;
    p.ffn_layout_auto = s.decode_layout->ffn_layout_auto;
    p.attention = s.decode_layout->attention;
  }
  p.decode_layout.reset();
  return p;
}

std::string layouts_text(const Scenario& s) {
  const auto one = [](const Scenario& p) {
    return fmt::format("{}, {}-sharded attention", p.ffn_layout_label(),
                       attn_sharding_name(p.attention));
  };
  if (s.phase == Phase::mixed && s.attention != AttnSharding::heads)
    return one(s) + " (the prompt's chunk head-sharded)";
  if (!s.per_phase()) return one(s);
  return fmt::format("prefill {}; decode {}", one(phase_scenario(s, Phase::prefill)),
                     one(phase_scenario(s, Phase::decode)));
}

std::optional<std::string> weight_layout_problem(const Scenario& s) {
  if (!s.per_phase() || s.layout_undecided()) return std::nullopt;
  const Scenario pre = phase_scenario(s, Phase::prefill), dec = phase_scenario(s, Phase::decode);
  const Sharding a = scenario_sharding(pre), b = scenario_sharding(dec);
  const auto stored = [&](const Sharding& sh) {
    return tensor_notation("EF", {{'E', nontrivial_axes(sh.weight_e_stored, s.shape)},
                                  {'F', nontrivial_axes(sh.weight_f_stored, s.shape)}});
  };
  const auto table = [&](const Sharding& sh) {
    return tensor_notation("VE", {{'V', nontrivial_axes(sh.embed_v, s.shape)},
                                  {'E', nontrivial_axes(sh.embed_e, s.shape)}});
  };
  const std::string what = stored(a) != stored(b)  ? "the weights"
                           : table(a) != table(b) ? "the embedding table"
                                                   : "";
  if (what.empty()) return std::nullopt;
  return fmt::format(
      "prefill {} stores {} as {} (table {}) and decode {} as {} (table {}); podsim does not "
      "re-lay out the weights between the phases: give both phases layouts that store them "
      "alike (ws-2d and the weight-gathered layouts all store E_xF_yz, paper §3.2.3)",
      ffn_layout_name(pre.ffn_layout), what, stored(a), table(a), ffn_layout_name(dec.ffn_layout),
      stored(b), table(b));
}

SourceLocation Scenario::location_of(const std::string& key) const {
  const auto it = where.find(key);
  if (it != where.end()) return it->second;
  return SourceLocation{source_file, 0, 0};
}

namespace {

// Smallest multiple of `divisor` that is >= value.
long long round_up(long long value, long long divisor) {
  return (value + divisor - 1) / divisor * divisor;
}

std::string axes_text(const AxisSet& axes, const TorusShape& shape) {
  return fmt::format("{} chip{} of axes {} on {}", axes_size(axes, shape),
                     axes_size(axes, shape) == 1 ? "" : "s", axes.empty() ? "-" : axes.name(),
                     shape.name());
}

}  // namespace

Sharding scenario_sharding(const Scenario& s) {
  // A token split (the batch does not divide over the layout's batch axes) takes no residual
  // batch axes: sharding_problem refuses it where d_model would need them.
  const AxisSet tokens = choose_token_axes(s.ffn_layout, s.shape, s.batch);
  if (!tokens.empty()) return sharding_for(s.ffn_layout, s.attention, AxisSet{}, tokens);
  const std::optional<AxisSet> r =
      choose_residual_batch(s.ffn_layout, s.shape, s.model.d_model, s.batch);
  return sharding_for(s.ffn_layout, s.attention, r.value_or(AxisSet{}));
}

std::string token_split_note(const Scenario& s) {
  const Sharding sh = scenario_sharding(s);
  if (!sh.token_split()) return "";
  const AxisSet t = nontrivial_axes(sh.tokens, s.shape);
  const AxisSet at = nontrivial_axes(sh.attn_tokens, s.shape);
  const AxisSet b = nontrivial_axes(axes_minus(sh.batch, sh.tokens), s.shape);
  const long long k = axes_size(at, s.shape);
  return fmt::format(
      "{} (batch {} does not divide over the {} chips of {}): the tokens of each sequence split "
      "over {}; attention all-gathers K/V over {} ({} chips, zig-zag: 2 x {} chunks of {} "
      "positions); the KV cache lands {}",
      tensor_notation("BLE", {{'B', b}, {'L', t}, {'E', nontrivial_axes(sh.residual_e, s.shape)}}),
      s.batch, axes_size(sh.batch, s.shape), nontrivial_axes(sh.batch, s.shape).name(), t.name(),
      at.name(), k, k, s.input_tokens / (2 * k),
      tensor_notation("BTQ", {{'B', axes_minus(nontrivial_axes(sh.attn_batch, s.shape), at)},
                              {'T', at}}));
}

KvHeads scenario_kv_heads(const Scenario& s) {
  return kv_heads_for(scenario_sharding(s), s.shape, s.heads_used(), s.kv_heads_used(),
                      s.model.d_head);
}

std::string residual_batch_note(const Scenario& s) {
  const Sharding sh = scenario_sharding(s);
  const AxisSet r = nontrivial_axes(sh.residual_batch, s.shape);
  if (r.empty()) return "";
  const auto notation = [&](std::string_view dims, const std::vector<DimSplit>& split) {
    std::vector<DimSplit> kept;
    for (const auto& d : split) kept.push_back({d.dim, nontrivial_axes(d.axes, s.shape)});
    return tensor_notation(dims, kept);
  };
  return fmt::format(
      "{}, table {} (d_model {} does not divide over the {} chips; the batch is split over {} "
      "instead, as in the authors' code)",
      notation("BLE", {{'B', sh.residual_b}, {'E', sh.residual_e}}),
      notation("VE", {{'V', sh.embed_v}, {'E', sh.embed_e}}), s.model.d_model, s.chips(),
      r.name());
}

bool heads_need_padding(const Scenario& s) {
  const Sharding sh = sharding_for(s.ffn_layout, s.attention);
  const long long cols = axes_size(sh.columns, s.shape);
  return s.model.heads % cols != 0 && s.model.padded_heads > 0 && s.model.padded_heads % cols == 0;
}

bool auto_pad_heads(const Scenario& s) {
  if (s.model.padded_heads == 0) return false;
  // Per phase: one copy of the weights serves both phases, so pad where either needs it.
  if (s.per_phase())
    return auto_pad_heads(phase_scenario(s, Phase::prefill)) ||
           auto_pad_heads(phase_scenario(s, Phase::decode));
  return (s.model.pad_heads_from_chips > 0 && s.chips() >= s.model.pad_heads_from_chips) ||
         heads_need_padding(s);
}

void resolve_pad_heads(Scenario& s) {
  s.pad_heads = s.pad_heads_request == PadHeadsRequest::yes ||
                (s.pad_heads_request == PadHeadsRequest::automatic && auto_pad_heads(s));
}

namespace {
// The layouts (with the scenario's attention) whose head split the used heads divide.
std::vector<std::string> layouts_splitting_heads(const Scenario& s) {
  std::vector<std::string> names;
  for (FfnLayout layout : kFfnLayouts) {
    const Sharding sh = sharding_for(layout, s.attention);
    if (s.heads_used() % axes_size(sh.columns, s.shape) == 0)
      names.emplace_back(ffn_layout_name(layout));
  }
  return names;
}
}  // namespace

std::optional<ShardingProblem> sharding_problem(const Scenario& s) {
  return sharding_problem(s, s.phase != Phase::prefill);
}

std::optional<ShardingProblem> sharding_problem(const Scenario& s, bool decode_steps) {
  const Sharding sh = scenario_sharding(s);
  const TorusShape& shape = s.shape;
  const std::string layout(ffn_layout_name(s.ffn_layout));
  const long long n = s.chips();
  const ModelSpec& m = s.model;

  const long long batch_split = axes_size(sh.batch, shape);
  const std::string batch_head =
      fmt::format("{} splits the batch over the {}: batch {} is not divisible by {}", layout,
                  axes_text(sh.batch, shape), s.batch, batch_split);
  if (sh.token_split()) {
    // The prefill splits the tokens instead (layout.hpp, "Token split").
    if (decode_steps)
      return ShardingProblem{
          "batch",
          fmt::format("{}; a prefill splits the tokens of each sequence instead, but decode "
                      "steps have one new token per sequence; use a multiple of {} (e.g. {}), a "
                      "weight-stationary layout, or per-phase layouts (ffn_layout: {{prefill: "
                      "{}, decode: ws-2d}})",
                      batch_head, batch_split, round_up(s.batch, batch_split), layout)};
    const std::optional<AxisSet> rb =
        choose_residual_batch(s.ffn_layout, shape, m.d_model, s.batch);
    if (!rb || !rb->empty())
      return ShardingProblem{
          "batch",
          fmt::format("{}, and splitting the tokens instead needs d_model {} to divide over the "
                      "residual stream's E axes ({}) and over all {} chips (the embedding table), "
                      "which it does not; use a multiple of {} (e.g. {}) or a weight-stationary "
                      "layout",
                      batch_head, m.d_model,
                      sh.residual_e.empty() ? std::string("none") : sh.residual_e.name(), n,
                      batch_split, round_up(s.batch, batch_split))};
    const long long k = axes_size(sh.attn_tokens, shape);
    if (s.input_tokens % (2 * k) != 0)
      return ShardingProblem{
          "input_tokens",
          fmt::format("{} at batch {} splits the tokens of each sequence over the {} in 2 x {} "
                      "zig-zag chunks (causal attention balanced): input_tokens {} is not "
                      "divisible by {}; use a multiple of {} (e.g. {})",
                      layout, s.batch, axes_text(sh.attn_tokens, shape), k, s.input_tokens, 2 * k,
                      2 * k, round_up(s.input_tokens, 2 * k))};
  } else if (s.batch % batch_split != 0) {
    return ShardingProblem{
        "batch", fmt::format("{}; use a multiple of {} (e.g. {}) or a weight-stationary layout",
                             batch_head, batch_split, round_up(s.batch, batch_split))};
  }
  if (s.batch % axes_size(axes_minus(sh.attn_batch, sh.attn_tokens), shape) != 0)
    return ShardingProblem{
        "batch",
        fmt::format("attention: batch splits the sequences over all {}: batch {} is not divisible "
                    "by {}; use a multiple of {} (e.g. {}) or attention: heads",
                    axes_text(sh.attn_batch, shape), s.batch, n, n, round_up(s.batch, n))};

  const long long cols = axes_size(sh.columns, shape);
  // Head-sharded attention keeps whole heads on a chip: the heads must divide. Batch-sharded
  // attention only splits the projections' head columns (H x d_head; the all-to-all then
  // gathers whole heads per sequence), so those columns must divide (and the multihead K/V's;
  // multiquery and grouped K/V that do not divide get a projection of their own, kv_heads_for).
  const bool whole_heads = s.attention == AttnSharding::heads;
  const bool columns_divide =
      (s.heads_used() * m.d_head) % cols == 0 &&
      (s.kv_heads_used() != s.heads_used() || (s.kv_heads_used() * m.d_head) % cols == 0);
  if (whole_heads ? s.heads_used() % cols != 0 : !columns_divide) {
    std::string fix;
    if (!s.pad_heads && m.padded_heads > 0 && m.padded_heads % cols == 0)
      fix = fmt::format("pad them to {} (pad_heads: yes)", m.padded_heads);
    else
      fix = fmt::format("use a model whose heads divide by {}", cols);
    const std::vector<std::string> others = layouts_splitting_heads(s);
    const std::string other_text =
        others.empty() ? "a smaller slice"
                       : fmt::format("a layout that splits heads over fewer chips ({})",
                                     fmt::join(others, ", "));
    return ShardingProblem{
        "model", fmt::format("{} splits the heads over the {}: {} heads of {} do not divide by "
                             "{}; {}, or {}",
                             layout, axes_text(sh.columns, shape), s.heads_used(), m.name, cols,
                             fix, other_text)};
  }
  const auto dim_problem = [&](std::string_view what, long long value,
                               const AxisSet& axes) -> std::optional<ShardingProblem> {
    const long long k = axes_size(axes, shape);
    if (value % k == 0) return std::nullopt;
    return ShardingProblem{
        "model", fmt::format("{} splits {} of {} over the {}: {} is not divisible by {}", layout,
                             what, m.name, axes_text(axes, shape), value, k)};
  };
  // d_model over the residual stream and the embedding table: where it does not divide, the
  // residual batch axes carry the batch instead (choose_residual_batch), if the batch divides.
  const std::optional<AxisSet> rb = choose_residual_batch(s.ffn_layout, shape, m.d_model, s.batch);
  const Sharding plain = sharding_for(s.ffn_layout, s.attention);
  const bool residual_fails = m.d_model % axes_size(plain.residual_e, shape) != 0;
  // What failed to divide: the residual stream's E axes, or else every chip (the table).
  const std::string what =
      residual_fails ? "d_model (residual stream)" : "d_model (embedding table)";
  const AxisSet failed_axes = residual_fails ? plain.residual_e : all_axes();
  const auto d_model_problem = [&]() -> std::optional<ShardingProblem> {
    const std::string head =
        fmt::format("{} splits {} of {} over the {}: {} is not divisible by {}", layout, what,
                    m.name, axes_text(failed_axes, shape), m.d_model, axes_size(failed_axes, shape));
    if (!rb)
      return ShardingProblem{
          "model", fmt::format("{}, and no subset of the axes {} that may carry the batch instead "
                               "makes it divide",
                               head, layout_rule(s.ffn_layout).residual_batch)};
    const long long k = axes_size(sh.residual_b, shape);
    if (!rb->empty() && s.batch % k != 0)
      return ShardingProblem{
          "batch",
          fmt::format("{}; the batch could be split over the {} instead (d_model then over the "
                      "{}), but batch {} is not divisible by {}; use a multiple of {} (e.g. {})",
                      head, axes_text(sh.residual_b, shape),
                      axes_text(residual_fails ? sh.residual_e : sh.embed_e, shape), s.batch, k,
                      k, round_up(s.batch, k))};
    return std::nullopt;
  };
  // In the order of the checks before residual batch axes existed: the residual stream, the
  // stored weights, the embedding table, d_ff.
  if (residual_fails)
    if (auto p = d_model_problem()) return p;
  if (auto p = dim_problem("d_model (stored weights)", m.d_model, sh.weight_e_stored)) return p;
  if (auto p = d_model_problem()) return p;
  for (const auto& p : {dim_problem("d_ff (stored weights)", m.d_ff, sh.weight_f_stored),
                        dim_problem("d_ff (between the einsums)", m.d_ff, sh.columns)})
    if (p) return p;
  return std::nullopt;
}

// The largest products of sizes the trace, the memory plan and the task budget form (before they
// divide by chip counts): weights, the KV cache, the activations of one prefill step and its
// attention scores. Each must stay within kMaxSizeProduct elements, so that none of them wraps.
void check_size_products(const Scenario& s) {
  const ModelSpec& m = s.model;
  const auto u = [](long long v) { return static_cast<std::uint64_t>(v); };
  const long long hq = s.heads_used() * m.d_head, kv = 2 * s.kv_heads_used() * m.d_head;
  const long long layer_width = m.ffn_in_width() + m.d_ff + 2 * hq + kv;
  const auto refuse = [&](const std::string& key, const std::string& what, const std::string& fix) {
    throw InputError(s.location_of(key), key,
                     fmt::format("{} is over 2^60 elements, more than podsim counts in 64 bits; {}",
                                 what, fix));
  };
  const auto weights = product_within({u(m.layers), u(m.d_model), u(layer_width)});
  const auto table = product_within({u(s.vocab_used()), u(m.d_model)});
  if (!weights || !table || *weights + *table > kMaxSizeProduct)
    refuse("model",
           fmt::format("{} layers x d_model {} x {} weight columns + vocabulary {} x d_model",
                       m.layers, m.d_model, layer_width, s.vocab_used()),
           "give a smaller model");
  // The token count that makes a product large: the batch or the context.
  const long long context = s.max_context();
  const std::string tokens_key = s.phase != Phase::prefill && s.generate_tokens > s.input_tokens
                                     ? "generate_tokens"
                                     : "input_tokens";
  const std::string key = s.batch >= context ? "batch" : tokens_key;
  const std::string fix = "lower batch, input_tokens or generate_tokens";
  if (!product_within({u(s.batch), u(context), 2, u(s.kv_heads_used()), u(m.d_head), u(m.layers)}))
    refuse(key,
           fmt::format("the KV cache, batch {} x context {} x 2 x {} K/V heads x d_head {} x {} "
                       "layers,",
                       s.batch, context, s.kv_heads_used(), m.d_head, m.layers),
           fix);
  // The prefill step holds input_tokens per sequence and attends over them; decode steps hold
  // one token and attend over the whole context.
  const bool prefill = s.phase == Phase::prefill || s.phase == Phase::generate;
  const long long step_tokens = prefill ? s.input_tokens : 1;
  const std::string step_key = prefill && s.batch < s.input_tokens ? "input_tokens" : "batch";
  const long long width = std::max({m.d_model, m.ffn_in_width(), s.vocab_used(), hq + kv});
  if (!product_within({u(s.batch), u(step_tokens), u(width)}))
    refuse(step_key,
           fmt::format("an activation, batch {} x {} tokens x width {},", s.batch, step_tokens,
                       width),
           fix);
  if (prefill && !product_within({u(s.batch), u(s.input_tokens), u(s.heads_used()),
                                  u(s.input_tokens)}))
    refuse(step_key,
           fmt::format("the prefill attention scores, batch {} x input_tokens {} x {} heads x "
                       "input_tokens {},",
                       s.batch, s.input_tokens, s.heads_used(), s.input_tokens),
           fix);
  if (s.phase != Phase::prefill &&
      !product_within({u(s.batch), u(s.heads_used()), u(context)}))
    refuse(key,
           fmt::format("the decode attention scores, batch {} x {} heads x context {},", s.batch,
                       s.heads_used(), context),
           fix);
  // A mixed step also holds a chunk of the prompt (chunk_tokens rows beside the batch's) and its
  // scores over the prompt so far; the prompt's cache is one sequence's.
  if (s.phase == Phase::mixed) {
    const std::string mixed_fix = "lower prompt_tokens or chunk_tokens";
    if (!product_within({u(s.batch) + u(s.chunk_tokens), u(width)}))
      refuse("chunk_tokens",
             fmt::format("an activation, (batch {} + chunk_tokens {}) rows x width {},", s.batch,
                         s.chunk_tokens, width),
             mixed_fix);
    if (!product_within({u(s.chunk_tokens), u(s.heads_used()), u(s.prompt_tokens)}) ||
        !product_within({u(s.prompt_tokens), 2, u(s.kv_heads_used()), u(m.d_head), u(m.layers)}))
      refuse("prompt_tokens",
             fmt::format("the prompt's attention scores or KV cache, chunk_tokens {} x {} heads x "
                         "prompt_tokens {},",
                         s.chunk_tokens, s.heads_used(), s.prompt_tokens),
             mixed_fix);
  }
}

Scenario chunk_scenario(const Scenario& s) {
  Scenario c = s;
  c.attention = AttnSharding::heads;
  c.batch = 1;
  return c;
}

std::optional<ShardingProblem> mixed_problem(const Scenario& s) {
  if (s.phase != Phase::mixed) return std::nullopt;
  const Sharding sh = scenario_sharding(s);
  const std::string layout(ffn_layout_name(s.ffn_layout));
  if (axes_size(sh.batch, s.shape) > 1)
    return ShardingProblem{
        "ffn_layout",
        fmt::format("{} splits the batch of its projections over the {}; a mixed step fuses the "
                    "decode batch with a chunk of one prompt, which is one sequence and does not "
                    "split over batch axes: use ws-2d or ws-1d (or auto)",
                    layout, axes_text(sh.batch, s.shape))};
  if (!nontrivial_axes(sh.residual_batch, s.shape).empty())
    return ShardingProblem{
        "model",
        fmt::format("{}: d_model {} of {} does not divide over the {} chips, so the residual "
                    "stream would split the batch, and a mixed step's prompt chunk is one "
                    "sequence; use a slice whose chip count divides d_model",
                    layout, s.model.d_model, s.model.name, s.chips())};
  const Scenario c = chunk_scenario(s);
  if (auto problem = sharding_problem(c))
    return ShardingProblem{problem->key,
                           fmt::format("the prompt's chunk (one sequence, head-sharded "
                                       "attention): {}",
                                       problem->message)};
  if (scenario_kv_heads(c).fused != scenario_kv_heads(s).fused)
    return ShardingProblem{
        "attention",
        fmt::format("with {}-sharded attention the {} K/V heads of {} project {} the input "
                    "einsum, but the prompt's chunk (head-sharded) projects them {}; one fused "
                    "pass needs one projection: use attention: heads",
                    attn_sharding_name(s.attention), s.kv_heads_used(), s.model.name,
                    scenario_kv_heads(s).fused ? "inside" : "beside",
                    scenario_kv_heads(c).fused ? "inside it" : "beside it")};
  return std::nullopt;
}

void validate_scenario(const Scenario& s) {
  const auto at_least = [&](const std::string& key, long long value, long long min) {
    if (value < min)
      throw InputError(s.location_of(key), key,
                       fmt::format("must be at least {}, not {}", min, value));
  };
  at_least("batch", s.batch, 1);
  at_least("input_tokens", s.input_tokens, 1);
  at_least("generate_tokens", s.generate_tokens, s.phase == Phase::prefill ? 0 : 1);
  if (s.phase == Phase::mixed) {
    at_least("prompt_tokens", s.prompt_tokens, 1);
    at_least("chunk_tokens", s.chunk_tokens, 1);
    if (s.chunk_tokens > s.prompt_tokens)
      throw InputError(s.location_of("chunk_tokens"), "chunk_tokens",
                       fmt::format("{} is more than the prompt's {} tokens; give at most {} (the "
                                   "whole prompt in one step)",
                                   s.chunk_tokens, s.prompt_tokens, s.prompt_tokens));
    if (s.generate_tokens < s.mixed_steps())
      throw InputError(
          s.location_of("generate_tokens"), "generate_tokens",
          fmt::format("{} decode steps cannot carry the {}-token prompt in chunks of {} ({} "
                      "steps); give at least {}, or a larger chunk_tokens",
                      s.generate_tokens, s.prompt_tokens, s.chunk_tokens, s.mixed_steps(),
                      s.mixed_steps()));
  }
  check_size_products(s);
  if (s.per_phase()) {
    for (const Phase phase : {Phase::prefill, Phase::decode}) {
      const Scenario p = phase_scenario(s, phase);
      if (p.ffn_layout_auto) continue;  // choose_layout checks each candidate
      if (auto problem = sharding_problem(p, phase == Phase::decode))
        throw InputError(s.location_of(problem->key), problem->key,
                         fmt::format("{} phase: {}", phase_name(phase), problem->message));
    }
    if (auto problem = weight_layout_problem(s)) {
      // Blame a phase's layout where --set gave it (its position is the flag), else the key.
      std::string key = "ffn_layout";
      for (const char* k : {"ffn_layout.decode", "ffn_layout.prefill"})
        if (s.where.contains(k) && s.where.at(k).file.rfind("--set", 0) == 0) key = k;
      throw InputError(s.location_of(key), key, *problem);
    }
    return;
  }
  if (auto problem = sharding_problem(s))
    throw InputError(s.location_of(problem->key), problem->key, problem->message);
  if (auto problem = mixed_problem(s))
    throw InputError(s.location_of(problem->key), problem->key, problem->message);
}

}  // namespace podsim
