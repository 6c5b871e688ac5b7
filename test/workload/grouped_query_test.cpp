// Grouped-query attention (issue 16 item 3): LLaMA 3 70B, 64 query heads sharing 8 K/V heads of
// 128 (workloads/llama-3-70b.yaml; arXiv 2407.21783 Table 3). The KV cache, the K/V weights and
// the attention core's reads per chip are checked against hand arithmetic written here.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/workload/memory_plan.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;

namespace {

// LLaMA 3 70B decode on `topology`: batch 64, 128 cached tokens + 16 generated (context 144).
Scenario llama(const std::string& topology, const std::string& attention,
               const std::string& layout = "ws-2d") {
  return scenario("t2-high-throughput-decode.yaml",
                  {"model=llama-3-70b", "topology=" + topology, "batch=64", "input_tokens=128",
                   "generate_tokens=16", "attention=" + attention, "ffn_layout=" + layout});
}

const Op* op_named(const StepTrace& step, const std::string& name) {
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops)
      if (op.name == name) return &op;
  return nullptr;
}

constexpr long long kContext = 128 + 16;
constexpr long long kBatch = 64;
// Per token and sequence, all layers, before sharding: 2 (K, V) x 8 heads x 128 x 80 layers x 2 B.
constexpr Bytes kKvPerToken = 2 * 8 * 128 * 80 * 2;

}  // namespace

TEST_CASE("LLaMA 3 70B's KV cache per token is 2 x 8 x 128 x 80 x 2 B") {
  const Scenario s = llama("2x2x2", "heads");
  CHECK(s.model.grouped());
  CHECK(s.model.kv_cache_bytes_per_token() == kKvPerToken);
  CHECK(kKvPerToken == 327680);
}

TEST_CASE("grouped K/V heads split over the chips where they divide") {
  // 8 chips, head-sharded ws-2d: the 8 K/V heads divide over the 8 columns (xyz): one per chip,
  // fused into the input einsum like multihead K/V.
  const Scenario s = llama("2x2x2", "heads");
  const KvHeads kv = scenario_kv_heads(s);
  CHECK(kv.fused);
  CHECK(kv.attended == 1);
  CHECK(plan_memory(s).kv_bytes == Bytes(kBatch * kContext) * kKvPerToken / 8);
  // Batch-sharded on 64 chips: the K/V columns 8 x 128 divide over 64; each chip holds all 8
  // heads of its 64 / 64 = 1 sequence.
  const Scenario b = llama("4x4x4", "batch");
  CHECK(scenario_kv_heads(b).fused);
  CHECK(scenario_kv_heads(b).attended == 8);
  CHECK(plan_memory(b).kv_bytes == Bytes(kBatch / 64 * kContext) * kKvPerToken);
}

TEST_CASE("grouped K/V heads are replicated in groups where they do not divide") {
  // 16, 32 and 64 chips, head-sharded ws-2d: 64 query heads over 16..64 columns, 4..1 per chip,
  // all in one group of 8: each chip caches one K/V head of every sequence, so the cache per chip
  // is B x context x 327680 / 8, whatever the chip count (each head on 2, 4 or 8 chips).
  for (const char* topology : {"2x4x2", "4x2x4", "4x4x4"}) {
    INFO(topology);
    const Scenario s = llama(topology, "heads");
    const KvHeads kv = scenario_kv_heads(s);
    CHECK_FALSE(kv.fused);
    CHECK(kv.attended == 1);
    CHECK(plan_memory(s).kv_bytes == Bytes(kBatch * kContext) * kKvPerToken / 8);
    // The attention core reads that cache: K and V of one head, every sequence, T positions.
    const StepTrace step = generate_step(s, Phase::decode, 1, kContext - 1);
    const Op* scores = op_named(step, "attn_scores");
    REQUIRE(scores != nullptr);
    CHECK(scores->kv_bytes == Bytes(kBatch * kContext * 1 * 128 * 2));
    // Its flops are those of every local query head: 2 x B x H/n x d_head x T.
    const long long local_heads = 64 / s.chips();
    CHECK(scores->flops == Approx(2.0 * kBatch * local_heads * 128 * kContext).epsilon(1e-15));
  }
}

TEST_CASE("the grouped K/V projection on 16 chips splits its heads over yz") {
  // 2x4x2 ws-2d: E over x (2), F over yz (8); the 8 K/V heads split over yz (8 chips), one per
  // chip, replicated over x, where the partial sums over E are all-reduced.
  const Scenario s = llama("2x4x2", "heads");
  const KvHeads kv = scenario_kv_heads(s);
  CHECK(kv.split == parse_axes("yz", "test"));
  CHECK(kv.projected == 1);
  const StepTrace step = generate_step(s, Phase::decode, 1, kContext - 1);
  const Op* proj = op_named(step, "kv_proj");
  REQUIRE(proj != nullptr);
  // M = 64 sequences, K = E / 2 = 4096, N = 2 (K, V) x 1 head x 128.
  CHECK(proj->matmul_mkn == std::array<long long, 3>{64, 4096, 256});
  CHECK(proj->redundant_flops == 0);  // no chip of a head group repeats another's heads
  CHECK(proj->weight_bytes == Bytes(4096 * 256 * 2));
  const Op* ar = op_named(step, "allreduce_x_kv");
  REQUIRE(ar != nullptr);
  CHECK(ar->collective.bytes == Bytes(64 * 256 * 2));
  // The Q projection no longer carries K/V columns: its input einsum is attn_q_in.
  CHECK(op_named(step, "q_in") != nullptr);
  // Weights per chip (bf16): per layer the attention in/out (8192 x 8192 each) and the SwiGLU
  // FFN (8192 x 2 x 28672 in, 28672 x 8192 out) over 16 chips, plus the K/V projection E / 2 x
  // 2 x 1 x 128; and the table 128256 x 8192 / 16.
  const Bytes layer = Bytes(8192) * (8192 + 2 * 28672) / 16 + Bytes(28672 + 8192) * 8192 / 16 +
                      Bytes(4096) * 2 * 128;
  CHECK(plan_memory(s).weights_bytes == (Bytes(80) * layer + Bytes(128256) * 8192 / 16) * 2);
}

TEST_CASE("on 64 chips the K/V heads split over the largest part of yz that divides them") {
  // 4x4x4 ws-2d: yz spans 16 chips, y or z 4: the 8 heads split over y (4), 2 per chip,
  // replicated over z; 3/4 of the projection is redundant (the 4 z-chips of a group).
  const Scenario s = llama("4x4x4", "heads");
  const KvHeads kv = scenario_kv_heads(s);
  CHECK(kv.split == parse_axes("y", "test"));
  CHECK(kv.projected == 2);
  const StepTrace step = generate_step(s, Phase::decode, 1, kContext - 1);  // outlives proj
  const Op* proj = op_named(step, "kv_proj");
  REQUIRE(proj != nullptr);
  CHECK(proj->redundant_flops == Approx(proj->flops * 0.75).epsilon(1e-15));
}

TEST_CASE("LLaMA 3 70B decode is accepted on 8 to 64 chips with both attention shardings") {
  for (const char* topology : {"2x2x2", "2x4x2", "4x2x4", "4x4x4"})
    for (const char* attention : {"heads", "batch"}) {
      INFO(topology << " " << attention);
      const Scenario s = llama(topology, attention);
      CHECK_NOTHROW(validate_scenario(s));
      const Trace trace = generate_trace(s);
      CHECK(trace.memory.fits);
      // Matmul FLOPs per token, every layer: 2 x (the layer's weights), the same on any slice
      // (the redundant K/V work of replicated groups is counted apart).
      double useful = 0;  // einsums only (the vector ops' flops are not matmuls)
      for (const LayerTrace& layer : trace.steps.front().layers)
        for (const Op& op : layer.ops)
          if (op.kind == OpKind::einsum)
            useful += (op.flops - op.attention_flops - op.redundant_flops) * layer.repeat;
      CHECK(useful * double(s.chips()) / double(kBatch) ==
            Approx(2.0 * s.model.parameters(false)).epsilon(1e-9));
    }
}
