// Token-split weight-gathered layouts (issue 16 item 2): where the batch does not divide over a
// weight-gathered layout's batch axes, the prefill splits the tokens (B_xyz L E -> B L_xyz E,
// partition/layout.hpp) and all-gathers the K/V of every position over the token axes before
// attention. Per-chip FLOPs and bytes, the K/V all-gather's volume, the KV cache and its move to
// the decode's layout are checked against hand arithmetic written here from the model files'
// numbers (toy: workloads/toy.yaml; PaLM 540B: E 18432, F 73728, 64 padded heads of 256, one K/V
// head, 118 layers, platforms/README.md §2), not against values the generator printed.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/core/input_error.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"
#include "sim/workload/trace_json.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;

namespace {

AxisSet axes(const char* text) { return *text ? parse_axes(text, "test") : AxisSet{}; }

const Op& op_named(const StepTrace& step, const std::string& name) {
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops)
      if (op.name == name) return op;
  FAIL("no op " << name);
  return step.layers.front().ops.front();
}

bool has_op(const StepTrace& step, const std::string& name) {
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops)
      if (op.name == name) return true;
  return false;
}

// The toy model (workloads/toy.yaml: 2 layers, E 256, F 1024, 8 heads of 32, one K/V head,
// vocab 1024, parallel SwiGLU) prefilling on `topology`.
Scenario toy_prefill(const std::string& topology, long long batch, long long tokens,
                     const std::string& layout = "wg-xyz", const std::string& attention = "heads") {
  return scenario("t2-low-latency-prefill.yaml",
                  {"model=toy", "topology=" + topology, fmt::format("batch={}", batch),
                   fmt::format("input_tokens={}", tokens), "weights=bf16", "ffn_layout=" + layout,
                   "attention=" + attention});
}

}  // namespace

TEST_CASE("the tokens take the fewest batch axes that let the batch split over the rest") {
  const TorusShape cube = parse_shape("4x4x4", "test");
  CHECK(choose_token_axes(FfnLayout::wg_xyz, cube, 64) == axes(""));   // the batch divides
  CHECK(choose_token_axes(FfnLayout::wg_xyz, cube, 128) == axes(""));
  CHECK(choose_token_axes(FfnLayout::wg_xyz, cube, 16) == axes("z"));  // B over xy, L over z
  CHECK(choose_token_axes(FfnLayout::wg_xyz, cube, 4) == axes("yz"));  // B over x
  CHECK(choose_token_axes(FfnLayout::wg_xyz, cube, 2) == axes("xyz"));  // no axis of 2
  CHECK(choose_token_axes(FfnLayout::wg_xyz, cube, 1) == axes("xyz"));
  CHECK(choose_token_axes(FfnLayout::wg_xy, cube, 4) == axes("y"));  // y before x
  CHECK(choose_token_axes(FfnLayout::wg_x, cube, 1) == axes("x"));
  // Weight-stationary layouts split no batch: nothing to give to the tokens.
  CHECK(choose_token_axes(FfnLayout::ws_2d, cube, 1) == axes(""));
  CHECK(choose_token_axes(FfnLayout::ws_1d, cube, 3) == axes(""));
  // Axes of size 1 are never taken.
  CHECK(choose_token_axes(FfnLayout::wg_xyz, parse_shape("4x4x1", "test"), 1) == axes("xy"));
}

TEST_CASE("batch-sharded attention moves Q to tokens over the columns as well") {
  const Sharding heads = sharding_for(FfnLayout::wg_xy, AttnSharding::heads, {}, axes("xy"));
  CHECK(heads.attn_tokens == axes("xy"));
  const Sharding batch = sharding_for(FfnLayout::wg_xy, AttnSharding::batch, {}, axes("xy"));
  CHECK(batch.attn_tokens == axes("xyz"));  // xy and the columns z
  CHECK(batch.all_to_all == axes("z"));
  CHECK_FALSE(sharding_for(FfnLayout::wg_xy, AttnSharding::batch).token_split());
}

TEST_CASE("a token-split toy prefill on 8 chips has the per-chip work of hand arithmetic") {
  // Batch 1, 16 tokens, wg-xyz on 2x2x2: the tokens over xyz, 16 / 8 = 2 rows per chip.
  const Scenario s = toy_prefill("2x2x2", 1, 16);
  validate_scenario(s);
  REQUIRE(scenario_sharding(s).tokens == axes("xyz"));
  const StepTrace step = generate_step(s, Phase::prefill, 16, 0);
  const long long M = 2, E = 256, F = 1024, H = 8, Q = 32, L = 16, n = 8;
  const long long in_cols = 2 * F + H * Q;  // SwiGLU gate + up, and Q (multiquery K/V apart)
  const long long out_rows = F + H * Q;
  const Op& in = op_named(step, "q_ffn_in");
  CHECK(in.flops == Approx(2.0 * M * E * in_cols));
  CHECK(in.weight_bytes == Bytes(E * in_cols * 2));  // the fully gathered weights, bf16
  CHECK(in.shapes.find("BL_xyzE") == 0);
  const Op& out = op_named(step, "o_ffn_out");
  CHECK(out.flops == Approx(2.0 * M * out_rows * E));
  // The same flops per chip as a batch split of the same tokens: B L E F_in / n x 2.
  CHECK(in.flops == Approx(2.0 * 1 * L * E * in_cols / n));
  const Op& kv = op_named(step, "kv_proj");
  CHECK(kv.flops == Approx(2.0 * M * E * 2 * Q));
  // Attention: each chip's L / n = 2 queries of every head against all 16 positions (the full
  // L x L, as for the unsplit prefill), so the step's attention work is the unsplit one over n.
  const Op& scores = op_named(step, "attn_scores");
  CHECK(scores.flops == Approx(2.0 * (L / n) * H * Q * L));
  CHECK(scores.attention_flops == scores.flops);
  CHECK(op_named(step, "attn_values").flops == Approx(2.0 * (L / n) * H * L * Q));
  CHECK(scores.kv_bytes == Bytes(L * Q * 2));  // K of all 16 positions, one head, bf16
  // The K/V all-gather: K and V of every position of the one sequence, d_head each, bf16.
  const Op& gather = op_named(step, "allgather_xyz_kv_positions");
  CHECK(gather.collective.kind == CollectiveKind::all_gather);
  CHECK(gather.collective.axes == axes("xyz"));
  CHECK(gather.collective.bytes == Bytes(2 * L * Q * 2));
  CHECK(gather.shapes.find("BL_xyzQ -> BTQ") == 0);
  // The last position's hidden state: a reduce-scatter of B E over the token axes; the final
  // norm then holds E / n of it.
  const Op& last = op_named(step, "reducescatter_xyz_last");
  CHECK(last.collective.bytes == Bytes(E * 2));
  CHECK(op_named(step, "final_layernorm").shapes == "BE_xyz");
  // No all-to-all: the batch axes carry tokens, nothing else moves.
  CHECK_FALSE(has_op(step, "alltoall_xyz_final"));
  // The cache each chip keeps: its 2 positions of K and V, both layers.
  CHECK(plan_memory(s).kv_bytes == Bytes(L / n * 2 * Q * 2 * 2));
}

TEST_CASE("a partly token-split prefill splits the batch over the axes it can") {
  // Batch 4 on 4x4x4, wg-xyz: B over x (4), the 32 tokens over yz (16 chips, 2 each).
  const Scenario s = toy_prefill("4x4x4", 4, 32);
  validate_scenario(s);
  const StepTrace step = generate_step(s, Phase::prefill, 32, 0);
  CHECK(op_named(step, "q_ffn_in").flops == Approx(2.0 * (4 * 32 / 64) * 256 * (2 * 1024 + 256)));
  CHECK(op_named(step, "q_ffn_in").shapes.find("B_xL_yzE") == 0);
  // One sequence per chip, 2 queries, 32 positions; K/V of that sequence gathered over yz.
  CHECK(op_named(step, "attn_scores").flops == Approx(2.0 * 2 * 8 * 32 * 32));
  CHECK(op_named(step, "allgather_yz_kv_positions").collective.bytes == Bytes(2 * 32 * 32 * 2));
  // The final layer: reduce-scatter over yz, then the all-to-all over x to BE_xyz.
  CHECK(op_named(step, "reducescatter_yz_last").collective.bytes == Bytes(256 * 2));
  CHECK(op_named(step, "alltoall_x_final").collective.bytes == Bytes(4 * 256 / 64 * 2));
  CHECK(plan_memory(s).kv_bytes == Bytes(4 * 32 / 64 * 2 * 32 * 2 * 2));
}

TEST_CASE("batch-sharded attention of a token-split prefill gathers K/V over the columns too") {
  // wg-xy on 4x4x4, batch 1: tokens over xy in the projections, Q moved to tokens over z by
  // the all-to-all, so 128 tokens / 64 = 2 queries per chip, all 8 heads.
  const Scenario s = toy_prefill("4x4x4", 1, 128, "wg-xy", "batch");
  validate_scenario(s);
  const StepTrace step = generate_step(s, Phase::prefill, 128, 0);
  CHECK(op_named(step, "alltoall_z_q").collective.bytes == Bytes(128 / 16 * 8 * 32 / 4 * 2));
  CHECK(op_named(step, "attn_scores").flops == Approx(2.0 * 2 * 8 * 32 * 128));
  CHECK(op_named(step, "allgather_xyz_kv_positions").collective.bytes == Bytes(2 * 128 * 32 * 2));
  // The K/V projection: each chip projects its 128 / 64 attention tokens after the
  // reduce-scatter (its einsum covers 128 / 16 / 4 rows of E / 1).
  CHECK(op_named(step, "kv_proj").flops == Approx(2.0 * (128 / 16 / 4) * 256 * 64));
}

TEST_CASE("PaLM 540B batch-1 prefill on 64 chips with wg-xyz splits the tokens") {
  // Table 2's low-latency prefill (batch 1, 2048 tokens, int8) with XYZ weight-gathering.
  const Scenario s = scenario("t2-low-latency-prefill.yaml", {"ffn_layout=wg-xyz"});
  validate_scenario(s);
  REQUIRE(s.pad_heads);
  const Trace trace = generate_trace(s);
  const StepTrace& step = trace.steps[0];
  const long long E = 18432, F = 73728, H = 64, Q = 256, L = 2048, n = 64, layers = 118;
  const long long M = L / n;  // 32 rows per chip
  CHECK(op_named(step, "q_ffn_in").flops == Approx(2.0 * M * E * (2 * F + H * Q)));
  CHECK(op_named(step, "o_ffn_out").flops == Approx(2.0 * M * (F + H * Q) * E));
  CHECK(op_named(step, "weight_allgather_xyz_in").collective.bytes == Bytes(E * (2 * F + H * Q)));
  CHECK(op_named(step, "attn_scores").flops == Approx(2.0 * M * H * Q * L));
  // The K/V volume per chip and layer, closed form: 2 (K, V) x B x L x d_head x 2 B = 2 MiB
  // gathered, of which a chip receives 63/64 and sends its 1/64 to each of the 63 others.
  const Op& gather = op_named(step, "allgather_xyz_kv_positions");
  const Bytes kv_layer = 2 * 1 * L * Q * 2;
  CHECK(kv_layer == 2 * kMiB);
  CHECK(gather.collective.bytes == kv_layer);
  CHECK(test::sent_fraction(CollectiveKind::all_gather, n) * double(gather.collective.bytes) ==
        Approx(double(kv_layer) * 63 / 64));
  // Over the prefill: every layer once.
  Bytes gathered = 0;
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops)
      if (op.name == "allgather_xyz_kv_positions") gathered += op.collective.bytes * layer.repeat;
  CHECK(gathered == kv_layer * layers);
  // The cache it leaves: 1/64 of every layer's 2 MiB.
  CHECK(trace.memory.kv_bytes == kv_layer * layers / n);
  // The same prefill batch-split (batch 64) has the same FFN flops per chip per token.
  const Scenario wide = scenario("t2-low-latency-prefill.yaml",
                                 {"ffn_layout=wg-xyz", "batch=64", "input_tokens=32"});
  CHECK_FALSE(scenario_sharding(wide).token_split());
  CHECK(op_named(generate_step(wide, Phase::prefill, 32, 0), "q_ffn_in").flops ==
        Approx(op_named(step, "q_ffn_in").flops));
}

TEST_CASE("the KV cache of a token-split prefill is all-gathered for a replicated decode") {
  // Batch 1 generate, wg-xyz prefill and ws-2d decode, head-sharded multiquery attention (the
  // decode replicates the one K/V head on every chip): each chip holds 1/64 of the positions
  // after the prefill and needs all of them.
  const Scenario s = scenario("t2-low-latency-prefill.yaml",
                              {"phase=generate", "generate_tokens=4",
                               "ffn_layout.prefill=wg-xyz", "ffn_layout.decode=ws-2d"});
  validate_scenario(s);
  const KvTransition t = kv_transition(s);
  CHECK(t.kind == KvTransition::Kind::all_gather);
  CHECK(t.axes == axes("xyz"));
  CHECK(t.from == "BT_xyzQ");
  CHECK(t.to == "BTQ");
  const Bytes per_layer = 2 * 2048 * 256 * 2;  // K and V, 2048 positions, d_head 256, bf16
  CHECK(t.bytes_per_layer == per_layer);
  CHECK(t.cache_bytes_prefill == per_layer * 118 / 64);
  CHECK(t.cache_bytes_decode == per_layer * 118);
  const Trace trace = generate_trace(s);
  REQUIRE(trace.steps.size() == 2 + 4);
  REQUIRE(trace.steps[1].transition);
  const Op& move = trace.steps[1].layers[0].ops[0];
  CHECK(move.collective.kind == CollectiveKind::all_gather);
  CHECK(move.collective.bytes == per_layer);
  CHECK(trace.steps[1].layers[0].repeat == 118);
  // The decode steps: ws-2d, no token split (one new token per sequence).
  CHECK_FALSE(has_op(trace.steps[2], "allgather_xyz_kv_positions"));
  // Memory: the decode's replicated cache of the whole context is the larger.
  CHECK(trace.memory.kv_bytes == Bytes(2 * (2048 + 4) * 256 * 2) * 118);
}

TEST_CASE("token splits that cannot run are refused with the key to change") {
  // The loader validates (validate_scenario) what it loads.
  const auto problem = [](const std::string& file, const std::vector<std::string>& sets) {
    try {
      scenario(file, sets);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  // Decode steps have one token per sequence: nothing to split.
  const std::string decode =
      problem("t2-low-latency-decode.yaml", {"ffn_layout=wg-xyz", "batch=1"});
  CHECK(decode.find("batch: wg-xyz splits the batch over the 64 chips of axes xyz on 4x4x4: "
                    "batch 1 is not divisible by 64; a prefill splits the tokens") !=
        std::string::npos);
  CHECK(decode.find("per-phase layouts (ffn_layout: {prefill: wg-xyz, decode: ws-2d})") !=
        std::string::npos);
  // The tokens must divide into 2 x 64 zig-zag chunks.
  const std::string odd =
      problem("t2-low-latency-prefill.yaml", {"ffn_layout=wg-xyz", "input_tokens=2000"});
  CHECK(odd.find("input_tokens: wg-xyz at batch 1 splits the tokens of each sequence over the 64 "
                 "chips of axes xyz on 4x4x4 in 2 x 64 zig-zag chunks") != std::string::npos);
  CHECK(odd.find("use a multiple of 128 (e.g. 2048)") != std::string::npos);
  // Per phase, the decode's weight-gathered layout at batch 1 is refused for the decode only.
  const std::string per_phase =
      problem("t2-low-latency-prefill.yaml", {"phase=generate", "generate_tokens=2",
                                              "ffn_layout.prefill=wg-xyz",
                                              "ffn_layout.decode=wg-xyz"});
  CHECK(per_phase.find("decode phase: wg-xyz splits the batch") != std::string::npos);
}

TEST_CASE("a token-split trace reads back as it was written") {
  // Per phase, batch 1: the token-split prefill, the cache's all-gather and the decode steps.
  const Scenario s = toy_prefill("4x4x4", 1, 128);
  const Scenario g = scenario("t2-low-latency-prefill.yaml",
                              {"model=toy", "weights=bf16", "phase=generate", "input_tokens=128",
                               "generate_tokens=2", "ffn_layout.prefill=wg-xyz",
                               "ffn_layout.decode=ws-2d"});
  for (const Scenario& one : {s, g}) {
    const Trace trace = generate_trace(one);
    const std::string text = trace_to_json(trace);
    const Trace back = trace_from_json(text, "token-split.trace.json");
    REQUIRE(back.steps.size() == trace.steps.size());
    CHECK(has_op(back.steps[0], "allgather_xyz_kv_positions"));
    CHECK(scenario_sharding(phase_scenario(back.scenario, Phase::prefill)).tokens == axes("xyz"));
    CHECK(trace_to_json(back) == text);
  }
}
