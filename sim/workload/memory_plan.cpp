#include "sim/workload/memory_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>

#include "sim/core/check.hpp"
#include "sim/core/checked_math.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/workload/step_generator.hpp"

namespace podsim {

namespace {

// A product of sizes, never wrapped: validate_scenario (check_size_products) bounds the scenario
// so that these stay below 2^60 elements, and a wrap here would be a broken invariant, not a
// plan that "fits" with 0.00 GiB (issue 14).
Bytes product(std::initializer_list<std::uint64_t> factors) {
  const auto p = product_within(factors, std::numeric_limits<std::uint64_t>::max());
  PODSIM_CHECK(p.has_value(), "a memory-plan size overflows 64 bits past validate_scenario");
  return *p;
}
Bytes u(long long v) {
  PODSIM_CHECK(v >= 0, "negative size {}", v);
  return static_cast<Bytes>(v);
}

Bytes weights_per_chip(const Scenario& s) {
  const ModelSpec& m = s.model;
  const Sharding sh = scenario_sharding(s);
  const long long n = s.chips();
  const long long E = m.d_model, Q = m.d_head, hq = s.heads_used() * Q;
  // W_in and W_out of every block: all stored layouts split E x F over all n chips.
  const KvHeads kvh = scenario_kv_heads(s);
  const long long kv_fused = kvh.fused ? 2 * s.kv_heads_used() * Q : 0;
  const long long in_cols = m.ffn_in_width() + hq + kv_fused;
  const long long out_rows = m.d_ff + hq;
  Bytes layer = product({u(E), u(in_cols)}) / u(n) + product({u(out_rows), u(E)}) / u(n);
  // A K/V projection of its own (the multiquery head, grouped heads that do not divide): E split
  // over the stored E axes only, the K/V heads over kvh.split (kvh.projected per chip).
  if (!kvh.fused)
    layer += product(
        {u(E / axes_size(sh.weight_e_stored, s.shape)), 2, u(kvh.projected), u(Q)});
  const Bytes table = product({u(s.vocab_used()), u(E)}) / u(n);
  return product({product({layer, u(m.layers)}) + table, s.weight_bytes_per_element()});
}

Bytes kv_cache_per_chip(const Scenario& s) {
  const Sharding sh = scenario_sharding(s);
  // A token-split prefill keeps its own positions (partition/layout.hpp): B / |attn_batch - S'|
  // sequences of input_tokens / |S'| positions, S' = attn_tokens (empty otherwise).
  const long long sequences =
      s.batch / axes_size(axes_minus(sh.attn_batch, sh.attn_tokens), s.shape);
  const long long positions = s.max_context() / axes_size(sh.attn_tokens, s.shape);
  const long long kv_heads = scenario_kv_heads(s).attended;
  return product({u(sequences), u(positions), 2, u(kv_heads), u(s.model.d_head), kBf16Bytes,
                  u(s.model.layers)});
}

Bytes working_set(const Scenario& s, const StepTrace& step) {
  const Sharding sh = scenario_sharding(s);
  Bytes peak = 0;
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops) {
      Bytes need = op.activation_bytes;
      if (op.kind == OpKind::collective && op.weight_bytes > 0) {
        const Bytes k = Bytes(axes_size(op.collective.axes, s.shape));
        need = s.collective_einsum == CollectiveEinsum::looped ? 2 * op.collective.bytes / k
                                                               : op.collective.bytes;
      }
      peak = std::max(peak, need);
    }
  // A mixed step's chunk rows join the batch's in the residual stream (a token split, which
  // mixed steps never use, divides the batch's tokens instead).
  const long long tok = axes_size(sh.tokens, s.shape);  // 1 unless a token split
  const Bytes residual =
      product({product({u(step.batch / axes_size(axes_minus(sh.residual_b, sh.tokens), s.shape)) *
                                u(step.new_tokens / tok) +
                            u(step.chunk_tokens),
                        u(s.model.d_model)}) /
                   u(axes_size(sh.residual_e, s.shape)),
               kBf16Bytes});
  return peak + residual;
}

std::string gib(Bytes bytes) { return format_bytes_in(double(bytes), ByteUnit::GiB, decimals(2)); }

bool valid(const Scenario& s) {
  return s.batch >= 1 && s.input_tokens >= 1 && !sharding_problem(s).has_value();
}

}  // namespace

MemoryPlan plan_memory(const Scenario& s) {
  if (s.per_phase()) {
    // Each phase with its layout: the prefill's cache holds input_tokens positions in the
    // prefill's sharding, the decode's the whole context in the decode's. The weights are the
    // same copy (validate_scenario). The transition re-lays out the cache one layer at a time
    // (transition_step), so the two copies overlap by one layer's cache only, not counted here.
    Scenario pre = phase_scenario(s, Phase::prefill), dec = phase_scenario(s, Phase::decode);
    pre.phase = Phase::prefill;
    pre.generate_tokens = 0;
    dec.phase = Phase::decode;
    const MemoryPlan a = plan_memory(pre), b = plan_memory(dec);
    MemoryPlan plan = a;
    plan.weights_bytes = std::max(a.weights_bytes, b.weights_bytes);
    plan.kv_bytes = std::max(a.kv_bytes, b.kv_bytes);
    plan.activation_bytes = std::max(a.activation_bytes, b.activation_bytes);
    plan.fits = plan.total_bytes() <= plan.hbm_bytes;
    return plan;
  }
  MemoryPlan plan;
  plan.weights_bytes = weights_per_chip(s);
  plan.kv_bytes = kv_cache_per_chip(s);
  if (s.phase == Phase::mixed) {
    // Beside the batch's caches, the new prompt's: one sequence of prompt_tokens positions,
    // head-sharded (chunk_scenario: a multiquery head is then on every chip).
    const Scenario c = chunk_scenario(s);
    plan.kv_bytes += product({u(s.prompt_tokens), 2, u(scenario_kv_heads(c).attended),
                              u(s.model.d_head), kBf16Bytes, u(s.model.layers)});
    // The largest working set: the first chunk has the most rows beside the batch (the last may
    // be shorter), the last attends over the whole prompt.
    const long long last = s.mixed_steps() - 1;
    const long long tail = s.prompt_tokens - last * s.chunk_tokens;
    plan.activation_bytes = std::max(
        working_set(s, generate_mixed_step(s, s.input_tokens, s.chunk_tokens, 0)),
        working_set(s, generate_mixed_step(s, s.input_tokens + last, tail,
                                           last * s.chunk_tokens)));
  }
  if (s.phase == Phase::prefill || s.phase == Phase::generate) {
    plan.activation_bytes = working_set(s, generate_step(s, Phase::prefill, s.input_tokens, 0));
    // A large prefill batch runs in pieces: a serving system prefills as many sequences at a time
    // as its activations allow, each piece a forward pass of its own (assumed; the paper's
    // Figure 7 runs 2D weight-stationary prefill of PaLM 540B on 64 chips at batch 512, which
    // would need 14-29 GiB of live activations per chip in one pass). The live activations are
    // then one piece's: the smallest number of pieces (halving the batch, while it still splits
    // over the layout's batch axes) that fits beside the weights and the KV cache. The simulated
    // time stays that of the whole batch in one pass: per piece, the matmuls are the same work,
    // and re-reading the weights once per piece (17 GiB per chip at 1.2e12 B/s: 14 ms) is small
    // next to a prefill that needs pieces (tens of seconds).
    const Bytes others = plan.weights_bytes + plan.kv_bytes;
    Scenario piece = s;
    while (others + plan.activation_bytes > s.platform.chip.hbm_bytes && piece.batch % 2 == 0) {
      piece.batch /= 2;
      // A piece splits the batch as the whole does (not the tokens, unless the whole does).
      if (!valid(piece) ||
          (scenario_sharding(piece).token_split() && !scenario_sharding(s).token_split()))
        break;
      plan.activation_bytes =
          working_set(piece, generate_step(piece, Phase::prefill, piece.input_tokens, 0));
    }
  }
  if (s.phase != Phase::prefill)
    plan.activation_bytes =
        std::max(plan.activation_bytes,
                 working_set(s, generate_step(s, Phase::decode, 1, s.max_context() - 1)));
  plan.hbm_bytes = s.platform.chip.hbm_bytes;
  plan.fits = plan.total_bytes() <= plan.hbm_bytes;
  return plan;
}

std::vector<MemoryFix> memory_fixes(const Scenario& s) {
  std::vector<MemoryFix> fixes;
  const auto consider = [&](const Scenario& changed, std::string change) {
    if (!valid(changed)) return false;
    MemoryPlan plan = plan_memory(changed);
    if (!plan.fits) return false;
    fixes.push_back({std::move(change), plan});
    return true;
  };
  if (s.weights == WeightDtype::bf16) {
    Scenario t = s;
    t.weights = WeightDtype::int8;
    consider(t, "weights: int8");
  }
  if (s.attention == AttnSharding::heads) {
    Scenario t = s;
    t.attention = AttnSharding::batch;
    consider(t, "attention: batch");
  }
  // Memory grows with the batch and the context, so a binary search finds the largest value that
  // fits; batches step by the chip count the layout splits them over.
  {
    const Sharding sh = scenario_sharding(s);
    const long long step =
        std::max({axes_size(sh.batch, s.shape), axes_size(sh.attn_batch, s.shape),
                  axes_size(sh.residual_b, s.shape)});
    long long lo = 1, hi = (s.batch - 1) / step, best = 0;  // multiples of `step`
    while (lo <= hi) {
      const long long mid = lo + (hi - lo) / 2;
      Scenario t = s;
      t.batch = mid * step;
      if (valid(t) && plan_memory(t).fits) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best > 0) {
      Scenario t = s;
      t.batch = best * step;
      consider(t, fmt::format("batch: {}", t.batch));
    }
  }
  {
    long long lo = 1, hi = s.input_tokens - 1, best = 0;
    while (lo <= hi) {
      const long long mid = lo + (hi - lo) / 2;
      Scenario t = s;
      t.input_tokens = mid;
      if (plan_memory(t).fits) {
        best = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (best > 0) {
      Scenario t = s;
      t.input_tokens = best;
      consider(t, fmt::format("input_tokens: {}", best));
    }
  }
  for (const auto& [count, dims] : s.platform.slice_dims) {
    if (count <= s.chips()) continue;
    Scenario t = s;
    t.shape.dims = dims;
    t.shape.wraps = s.platform.wraparound(dims);
    t.shape.twisted = false;
    t.pad_heads = s.pad_heads || auto_pad_heads(t);
    if (consider(t, fmt::format("chips: {} ({})", count, t.shape.name()))) break;
  }
  return fixes;
}

std::string memory_refusal_message(const Scenario& s, const MemoryPlan& plan) {
  std::string message = fmt::format(
      "{} on {} chips ({}) needs {} per chip (weights {} + KV cache {} + activations {}) but {} "
      "has {} of HBM",
      s.model.name, s.chips(), s.shape.name(), gib(plan.total_bytes()), gib(plan.weights_bytes),
      gib(plan.kv_bytes), gib(plan.activation_bytes), s.platform.chip.name, gib(plan.hbm_bytes));
  const std::vector<MemoryFix> fixes = memory_fixes(s);
  if (fixes.empty()) {
    message += "; no single change of weights, attention, batch, input_tokens or chips fits";
  } else {
    message += "; any of these fits:";
    for (std::size_t i = 0; i < fixes.size(); ++i)
      message += fmt::format("{} `{}` ({})", i ? "," : "", fixes[i].change,
                             gib(fixes[i].plan.total_bytes()));
  }
  message += "; or pass --allow-oversubscribe to simulate it anyway";
  return message;
}

void enforce_memory_fits(const Scenario& s, const MemoryPlan& plan) {
  if (plan.fits || s.allow_oversubscribe) return;
  throw InputError(s.location_of("model"), "memory", memory_refusal_message(s, plan));
}

}  // namespace podsim
