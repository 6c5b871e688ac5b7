// Mixed steps (phase mixed, step_generator.hpp generate_mixed_step): the decode pass of a batch
// fused with a chunk of one new prompt. Against hand arithmetic of the FLOPs and bytes of one
// transformer layer (2 x parameters per row of the projections, 4 H Q T per token of the
// attention, the caches each part reads), against the decode step itself where the chunk is
// empty, and the trace generator's chunking of the prompt.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"
#include "sim/workload/trace_json.hpp"

namespace podsim {

namespace {

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

Scenario load(const std::vector<std::string>& sets = {}) {
  return config::load_scenario(kGood + "/toy-mixed.yaml", sets, PODSIM_SOURCE_DIR);
}

const LayerTrace& transformer(const StepTrace& step) {
  for (const LayerTrace& layer : step.layers)
    if (layer.name == "transformer") return layer;
  FAIL("no transformer layer");
  return step.layers.front();
}

// Slice-wide sums of one layer's ops (every chip runs the same per-chip numbers).
struct LayerSums {
  double matmul_unique = 0;  // einsum FLOPs outside attention, without the redundant copies
  double attention = 0;
  double weight_bytes = 0, kv_bytes = 0;
};
LayerSums sums(const LayerTrace& layer, long long chips) {
  LayerSums s;
  for (const Op& op : layer.ops) {
    if (op.kind == OpKind::einsum)
      s.matmul_unique += double(chips) * (op.flops - op.attention_flops - op.redundant_flops);
    s.attention += double(chips) * op.attention_flops;
    s.weight_bytes += double(op.weight_bytes);  // per chip
    s.kv_bytes += double(op.kv_bytes);          // per chip
  }
  return s;
}

}  // namespace

TEST_CASE("a mixed step with an empty chunk is the decode step") {
  for (const char* attention : {"batch", "heads"}) {
    INFO(attention);
    const Scenario s = load({std::string("attention=") + attention});
    const StepTrace mixed = generate_mixed_step(s, 21, 0, 0);
    const StepTrace decode = generate_step(s, Phase::decode, 1, 21);
    REQUIRE(mixed.layers.size() == decode.layers.size());
    for (std::size_t l = 0; l < mixed.layers.size(); ++l) {
      const LayerTrace& a = mixed.layers[l];
      const LayerTrace& b = decode.layers[l];
      CHECK(a.name == b.name);
      CHECK(a.repeat == b.repeat);
      REQUIRE(a.ops.size() == b.ops.size());
      for (std::size_t k = 0; k < a.ops.size(); ++k) {
        const Op& x = a.ops[k];
        const Op& y = b.ops[k];
        INFO(a.name << " op " << k << " " << x.name);
        CHECK(x.kind == y.kind);
        CHECK(x.name == y.name);
        CHECK(x.equation == y.equation);
        CHECK(x.shapes == y.shapes);
        CHECK(x.flops == y.flops);
        CHECK(x.attention_flops == y.attention_flops);
        CHECK(x.redundant_flops == y.redundant_flops);
        CHECK(x.weight_bytes == y.weight_bytes);
        CHECK(x.kv_bytes == y.kv_bytes);
        CHECK(x.activation_bytes == y.activation_bytes);
        CHECK(x.matmul_mkn == y.matmul_mkn);
        CHECK(x.matmul_batch == y.matmul_batch);
        CHECK(x.collective.kind == y.collective.kind);
        CHECK(x.collective.axes == y.collective.axes);
        CHECK(x.collective.bytes == y.collective.bytes);
        CHECK(x.looped_with == y.looped_with);
      }
    }
  }
}

TEST_CASE("a mixed step's FLOPs and bytes per layer match hand arithmetic") {
  // toy: E 256, F 1024 (SwiGLU: 2F input columns), 8 heads padded to 64 on 64 chips (ws-2d splits
  // them over xyz), d_head 32, one K/V head (multiquery), parallel block.
  const long long E = 256, F = 1024, H = 64, Q = 32, n = 64;
  const long long B = 64, C = 16;
  const long long ctx = 19, chunk_ctx = 16;  // decode positions cached; prompt positions cached
  const double params = double(E * (2 * F + H * Q)    // W_in: SwiGLU's two F columns + Q
                               + (F + H * Q) * E      // W_out: F rows + the output projection
                               + E * 2 * Q);          // the K/V projection (one head)
  for (const char* attention : {"batch", "heads"}) {
    INFO(attention);
    const Scenario s = load({std::string("attention=") + attention});
    REQUIRE(s.heads_used() == H);
    const LayerSums mixed =
        sums(transformer(generate_mixed_step(s, ctx, C, chunk_ctx)), s.chips());
    // The projections see B + C rows: 2 x parameters per row.
    CHECK(mixed.matmul_unique == Approx(2 * params * double(B + C)).epsilon(1e-12));
    // Attention: QK^T and AV, 2 H Q T each per token; decode tokens over ctx + 1 positions, the
    // chunk's over the prompt so far (chunk_ctx + C), causal masking doing no less work.
    CHECK(mixed.attention ==
          Approx(4.0 * H * Q * (double(B) * (ctx + 1) + double(C) * (chunk_ctx + C)))
              .epsilon(1e-12));
    // KV reads per chip (K, then V; bf16): the decode batch's cache split as the attention
    // splits it (batch: B / n sequences per chip; heads: every sequence, the one multiquery
    // head replicated), and the prompt's (one sequence, head-sharded: replicated).
    const double decode_sequences = std::string(attention) == "batch" ? double(B) / n : double(B);
    CHECK(mixed.kv_bytes ==
          Approx(2.0 * 2 * Q * (decode_sequences * (ctx + 1) + double(chunk_ctx + C))));
    // Weights are read once for the fused pass: the stored E_xF_yz matrices split over all 64
    // chips, and the K/V projection E_x x 2Q (x = 4) once per projection: batch-sharded
    // attention projects the decode rows and the chunk's rows (head-sharded) separately.
    const double kv_projections = std::string(attention) == "batch" ? 2 : 1;
    const double expected_weights =
        2.0 * (double(E * (2 * F + H * Q) + (F + H * Q) * E) / n + kv_projections * E / 4 * 2 * Q);
    CHECK(mixed.weight_bytes == Approx(expected_weights));
    // The decode step alone reads the same weights once.
    const LayerSums decode = sums(transformer(generate_step(s, Phase::decode, 1, ctx)), s.chips());
    CHECK(decode.weight_bytes ==
          Approx(expected_weights - (kv_projections - 1) * 2.0 * E / 4 * 2 * Q));
  }
}

TEST_CASE("the collectives of a mixed step carry the batch's and the chunk's rows") {
  // ws-2d's input all-gather over yz: rows x E / |x| bf16 per chip (paper §3.2: 2 B L E / X).
  const Scenario s = load({"attention=heads"});
  const LayerTrace& layer = transformer(generate_mixed_step(s, 16, 16, 0));
  bool found = false;
  for (const Op& op : layer.ops)
    if (op.name == "allgather_yz") {
      found = true;
      CHECK(op.collective.bytes == Bytes((64 + 16) * 256 / 4 * 2));
    }
  CHECK(found);
}

TEST_CASE("the last chunk's step adds the prompt's first token to the logits") {
  const Scenario s = load();
  const auto logits_m = [](const StepTrace& step) {
    for (const Op& op : step.layers.back().ops)
      if (op.name == "logits") return op.matmul_mkn[0];
    return -1LL;
  };
  CHECK(logits_m(generate_mixed_step(s, 16, 16, 0)) == 64);
  CHECK(logits_m(generate_mixed_step(s, 18, 8, 32)) == 65);  // 32 + 8 = the 40-token prompt
}

TEST_CASE("a mixed run chunks the prompt over its first steps and decodes alone after") {
  const Scenario s = load();
  CHECK(s.mixed_steps() == 3);  // ceil(40 / 16)
  const Trace trace = generate_trace(s);
  REQUIRE(trace.steps.size() == 6);
  const long long chunks[] = {16, 16, 8}, done[] = {0, 16, 32};
  for (std::size_t i = 0; i < 6; ++i) {
    INFO("step " << i);
    const StepTrace step = trace.steps[i];
    CHECK(step.batch == 64);
    CHECK(step.new_tokens == 1);
    CHECK(step.context == 16 + static_cast<long long>(i));
    if (i < 3) {
      CHECK(step.phase == Phase::mixed);
      CHECK(step.phase_label() == "mixed");
      CHECK(step.chunk_tokens == chunks[i]);
      CHECK(step.chunk_context == done[i]);
    } else {
      CHECK(step.phase == Phase::decode);
      CHECK(step.chunk_tokens == 0);
    }
  }
}

TEST_CASE("a mixed run's KV cache holds the batch's and the prompt's") {
  const Scenario s = load();
  // Batch-sharded: 64 sequences over 64 chips, 16 + 6 positions; the prompt: 40 positions on
  // every chip (head-sharded multiquery); 2 (K, V) x d_head 32 x 2 B x 2 layers each.
  const MemoryPlan plan = plan_memory(s);
  CHECK(plan.kv_bytes == Bytes((1 * 22 + 40) * 2 * 32 * 2 * 2));
}

TEST_CASE("a mixed trace reads back as written") {
  const Scenario s = load();
  const Trace trace = generate_trace(s);
  const std::string text = trace_to_json(trace);
  const Trace back = trace_from_json(text, "toy-mixed.trace.json");
  CHECK(back.scenario.phase == Phase::mixed);
  CHECK(back.scenario.prompt_tokens == 40);
  CHECK(back.scenario.chunk_tokens == 16);
  REQUIRE(back.steps.size() == trace.steps.size());
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    CHECK(back.steps[i].phase == trace.steps[i].phase);
    CHECK(back.steps[i].chunk_tokens == trace.steps[i].chunk_tokens);
    CHECK(back.steps[i].chunk_context == trace.steps[i].chunk_context);
  }
  CHECK(trace_to_json(back) == text);
}

}  // namespace podsim

namespace podsim {

TEST_CASE("the shipped mixed scenario's KV cache is the batch's share and the whole prompt") {
  const Scenario s = config::load_scenario(
      std::string(PODSIM_SOURCE_DIR) + "/scenarios/paper-low-latency-mixed.yaml", {},
      PODSIM_SOURCE_DIR);
  CHECK(s.mixed_steps() == 8);  // 2048 / 256
  // PaLM 540B multiquery: 120,832 B per token before sharding (platforms/README.md §3: 2 x 256 x
  // 2 B x 118 layers). The batch's 64 sequences are split over the 64 chips (attention: batch),
  // each up to 2048 + 64 positions; the prompt's 2048 positions are on every chip (head-sharded).
  const MemoryPlan plan = plan_memory(s);
  CHECK(plan.kv_bytes == Bytes(120832) * (2048 + 64 + 2048));
  CHECK(plan.fits);
}

}  // namespace podsim
