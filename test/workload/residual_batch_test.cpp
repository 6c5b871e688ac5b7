// Residual batch axes (issue 12 item 4): PaLM 540B on 4096 chips, where d_model 18432 = 2^11 x 9
// does not divide over the residual stream's E axes. The per-chip bytes of every collective and
// the element counts of the norms are checked against hand arithmetic written here from
// platforms/README.md §2 numbers (E 18432, F 73728, 64 padded heads of 256, vocab 256128), not against
// values the generator printed.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <map>

#include "sim/analytic/layout_cost.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;

namespace {

AxisSet axes(const char* text) { return *text ? parse_axes(text, "test") : AxisSet{}; }

const LayerTrace& layer_named(const StepTrace& step, const std::string& name) {
  for (const auto& layer : step.layers)
    if (layer.name == name) return layer;
  FAIL("no layer " << name);
  return step.layers.front();
}

const Op* op_named(const LayerTrace& layer, const std::string& name) {
  for (const Op& op : layer.ops)
    if (op.name == name) return &op;
  return nullptr;
}

std::map<std::string, Bytes> collective_bytes(const LayerTrace& layer) {
  std::map<std::string, Bytes> out;
  for (const Op& op : layer.ops)
    if (op.kind == OpKind::collective) out[op.name] = op.collective.bytes;
  return out;
}

Scenario palm_decode(const std::string& topology, const std::string& layout,
                     long long batch = 4096) {
  return scenario("t2-high-throughput-decode.yaml",
                  {"topology=" + topology, fmt::format("batch={}", batch), "generate_tokens=1",
                   "ffn_layout=" + layout});
}

}  // namespace

TEST_CASE("residual batch axes are chosen only where d_model does not divide") {
  const long long E = 18432;  // PaLM 540B, 2^11 x 9 (platforms/README.md §2)
  const TorusShape pod = parse_shape("16x16x16", "test");
  // 4096 does not divide 18432; 256 does (18432 / 256 = 72). ws-2d takes z first, as the
  // authors' benchmarks.py (residual_batch_sharding = z); the weight-gathered layouts first take
  // a batch axis they already have (x), which leaves their residual stream as it is.
  CHECK(*choose_residual_batch(FfnLayout::ws_2d, pod, E, 4096) == axes("z"));
  CHECK(*choose_residual_batch(FfnLayout::ws_1d, pod, E, 4096) == axes("z"));
  for (FfnLayout wg : {FfnLayout::wg_x, FfnLayout::wg_xy, FfnLayout::wg_xyz})
    CHECK(*choose_residual_batch(wg, pod, E, 4096) == axes("x"));
  // Where E divides, nothing changes.
  for (const char* shape : {"4x4x4", "8x8x8", "8x8x16", "16x16x8"})
    for (FfnLayout layout : kFfnLayouts)
      CHECK(choose_residual_batch(layout, parse_shape(shape, "test"), E, 512)->empty());
  // A batch the first choice does not divide takes the next one that it does: 2x2x2, d_model
  // 260 = 4 x 65 splits over 4 chips at most; ws-2d's column is z, y: batch 2 divides z.
  const TorusShape small = parse_shape("2x2x2", "test");
  CHECK(*choose_residual_batch(FfnLayout::ws_2d, small, 260, 2) == axes("z"));
  // d_model 130 = 2 x 65 needs yz (E over x only), batch 4 divides it; batch 2 does not, and the
  // chooser still names yz (validation then reports the batch).
  CHECK(*choose_residual_batch(FfnLayout::ws_2d, small, 130, 4) == axes("yz"));
  CHECK(*choose_residual_batch(FfnLayout::ws_2d, small, 130, 2) == axes("yz"));
  // Nothing divides an odd d_model over ws-2d's E_x.
  CHECK_FALSE(choose_residual_batch(FfnLayout::ws_2d, small, 259, 8).has_value());
  // Axes of size 1 are never taken: on 16x16x1 ws-2d can only use y (d_model 32 over x).
  CHECK(*choose_residual_batch(FfnLayout::ws_2d, parse_shape("16x16x1", "test"), 32, 16) ==
        axes("y"));
}

TEST_CASE("residual batch axes keep the residual elements per chip and the collectives' axes") {
  const TorusShape pod = parse_shape("16x16x16", "test");
  for (FfnLayout layout : kFfnLayouts) {
    const Sharding plain = sharding_for(layout, AttnSharding::batch);
    // Every non-empty subset of the layout's column that the sharding accepts.
    for (const char* r : {"x", "y", "z", "xy", "xz", "yz", "xyz"}) {
      const AxisSet rb = axes(r);
      if (!axes_minus(rb, axes_union(plain.gather_in, plain.batch)).empty()) continue;
      bool in_column = true;
      for (Axis a : rb.axes())
        in_column = in_column && std::string(layout_rule(layout).residual_batch).find(
                                     axis_name(a)) != std::string::npos;
      if (!in_column) continue;
      INFO(ffn_layout_name(layout) << " R=" << r);
      const Sharding s = sharding_for(layout, AttnSharding::batch, rb);
      // B over batch + R and E over residual_e - R: the same chips in all, so the same elements.
      CHECK(axes_size(s.residual_b, pod) * axes_size(s.residual_e, pod) ==
            axes_size(plain.residual_b, pod) * axes_size(plain.residual_e, pod));
      CHECK(axes_intersection(s.residual_b, s.residual_e).empty());
      // The einsums' sharding and the collectives' axes do not move.
      CHECK(s.batch == plain.batch);
      CHECK(s.gather_in == plain.gather_in);
      CHECK(s.middle == plain.middle);
      CHECK(s.columns == plain.columns);
      // The table keeps V E / n per chip.
      CHECK(axes_size(s.embed_v, pod) * axes_size(s.embed_e, pod) == 4096);
    }
  }
}

TEST_CASE("PaLM 540B ws-2d decode on 16x16x16 moves the bytes hand arithmetic gives") {
  // Batch 4096, one new token, pad_heads auto (64 heads on >= 64 chips), bf16.
  const Scenario s = palm_decode("16x16x16", "ws-2d");
  const Sharding sh = scenario_sharding(s);
  REQUIRE(sh.residual_batch == axes("z"));
  const long long B = 4096, E = 18432, F = 73728, HQ = 64 * 256, bf16 = 2;
  // Vocabulary padded to a multiple of 4096: ceil(256128 / 4096) = 63 -> 258048.
  const long long V = 258048;
  REQUIRE(s.vocab_used() == V);
  const StepTrace step = generate_step(s, Phase::decode, 1, 2048);

  // Transformer layer: the all-gather over yz produces B L E_x and the reduce-scatter back
  // consumes it: B E / 16 elements, whether the residual is BLE_xyz (impossible here) or
  // B_zLE_xy. Its input is B/16 x E/256 = 256 x 72: 1/256 of the output (yz spans 256 chips).
  const LayerTrace& layer = layer_named(step, "transformer");
  const auto bytes = collective_bytes(layer);
  CHECK(bytes.at("allgather_yz") == Bytes(B * (E / 16) * bf16));
  CHECK(bytes.at("reducescatter_yz") == Bytes(B * (E / 16) * bf16));
  CHECK((B / 16) * (E / 256) * 256 == B * (E / 16));
  // The middle pair over x moves the fused columns: (2F + HQ) / 256 and (F + HQ) / 256 per chip.
  CHECK(bytes.at("reducescatter_x") == Bytes(B * ((2 * F + HQ) / 256) * bf16));
  CHECK(bytes.at("allgather_x") == Bytes(B * ((F + HQ) / 256) * bf16));
  // The layer's projection volume is the paper's ws-2d formula 2 B L E / X + B L (F_in + F_out)
  // / (Y Z) (analytic/layout_cost, written without residual batch axes).
  LayoutCostInputs in;
  in.batch = B;
  in.tokens = 1;
  in.d_model = E;
  in.ffn_in = 2 * F + HQ;
  in.ffn_out = F + HQ;
  const LayoutCommVolume v = layout_comm_volume(FfnLayout::ws_2d, s.shape, in);
  CHECK(double(bytes.at("allgather_yz") + bytes.at("reducescatter_yz") + bytes.at("allgather_x") +
               bytes.at("reducescatter_x")) == Approx(v.activation_bytes).epsilon(1e-12));
  // Norm and residual add: B E / n = 18432 elements per chip (the residual B_z L E_xy).
  const Op* norm = op_named(layer, "layernorm");
  REQUIRE(norm != nullptr);
  CHECK(norm->activation_bytes == Bytes(2 * (B * E / 4096) * bf16));
  CHECK(norm->shapes == "B_zLE_xy");
  CHECK(op_named(layer, "residual_add")->activation_bytes == Bytes(3 * (B * E / 4096) * bf16));

  // Embedding: table V_zE_xy; the lookup reads B E / n elements of rows and writes B E / 256
  // (partial over z); a reduce-scatter over z leaves B_zLE_xy. No all-to-all (ws-2d's einsums
  // do not split the batch).
  const LayerTrace& embed = layer_named(step, "embedding");
  const Op* lookup = op_named(embed, "embed_lookup");
  REQUIRE(lookup != nullptr);
  CHECK(lookup->weight_bytes == Bytes(B * E / 4096 * bf16));
  CHECK(lookup->activation_bytes == Bytes(B * (E / 256) * bf16));
  CHECK(lookup->shapes == "BL, V_zE_xy -> BLE_xy {partialsum-z}");
  CHECK(collective_bytes(embed) ==
        std::map<std::string, Bytes>{{"reducescatter_z_embed", Bytes(B * (E / 256) * bf16)}});

  // Final: all-gather the batch over z (B E / 256 per chip), logits einsum B x E/256 x V/16
  // (2 B E V / n flops, as with VE_xyz), reduce-scatter over xy of B V / 16.
  const LayerTrace& fin = layer_named(step, "final");
  CHECK(collective_bytes(fin) ==
        std::map<std::string, Bytes>{{"allgather_z_final", Bytes(B * (E / 256) * bf16)},
                                     {"reducescatter_xy_logits", Bytes(B * (V / 16) * bf16)}});
  const Op* logits = op_named(fin, "logits");
  REQUIRE(logits != nullptr);
  CHECK(logits->matmul_mkn == std::array<long long, 3>{B, E / 256, V / 16});
  CHECK(logits->flops == Approx(2.0 * B * E * V / 4096).epsilon(1e-15));
  CHECK(logits->weight_bytes == Bytes(V * E / 4096 * bf16));
  CHECK(logits->shapes == "BE_xy, V_zE_xy -> BV_z {partialsum-xy}");
  CHECK(op_named(fin, "final_layernorm")->activation_bytes == Bytes(2 * (B * E / 4096) * bf16));
}

TEST_CASE("without residual batch axes the embedding and logits are as before") {
  // 8x8x8: E divides over 512 chips; the table is VE_xyz, the logits reduce-scatter all of BV.
  const Scenario s = palm_decode("8x8x8", "ws-2d", 512);
  REQUIRE(scenario_sharding(s).residual_batch.empty());
  CHECK(residual_batch_note(s).empty());
  const StepTrace step = generate_step(s, Phase::decode, 1, 2048);
  const long long B = 512, E = 18432, V = 256512, bf16 = 2;  // ceil(256128 / 512) x 512
  REQUIRE(s.vocab_used() == V);
  CHECK(collective_bytes(layer_named(step, "embedding")).empty());
  CHECK(collective_bytes(layer_named(step, "final")) ==
        std::map<std::string, Bytes>{{"reducescatter_xyz_logits", Bytes(B * V * bf16)}});
  CHECK(op_named(layer_named(step, "embedding"), "embed_lookup")->shapes ==
        "BL, VE_xyz -> BLE_xyz");
  CHECK(op_named(layer_named(step, "final"), "logits")->shapes ==
        "BE_xyz, VE_xyz -> BV {partialsum-xyz}");
  CHECK(op_named(layer_named(step, "final"), "logits")->matmul_mkn ==
        std::array<long long, 3>{B, E / 512, V});
}

TEST_CASE("weight-gathered layouts on 16x16x16 split only the table over their batch axis") {
  // wg-xy: batch over xy, residual B_xyLE_z (E / 16 divides); only the table needs R = x.
  const Scenario s = palm_decode("16x16x16", "wg-xy");
  const Sharding sh = scenario_sharding(s);
  REQUIRE(sh.residual_batch == axes("x"));
  const long long B = 4096, E = 18432, V = 258048, bf16 = 2;
  const StepTrace step = generate_step(s, Phase::decode, 1, 2048);
  CHECK(op_named(layer_named(step, "transformer"), "layernorm")->shapes == "B_xyLE_z");
  // Embedding: lookup BLE_yz partial over x, reduce-scatter over x (B E / 256 per chip), then the
  // all-to-all over y to B_xyLE_z (B E / n, as the all-to-all over xy from BLE_xyz before).
  CHECK(collective_bytes(layer_named(step, "embedding")) ==
        std::map<std::string, Bytes>{{"reducescatter_x_embed", Bytes(B * (E / 256) * bf16)},
                                     {"alltoall_y_embed", Bytes(B * E / 4096 * bf16)}});
  // Final: all-to-all over y to B_xLE_yz, all-gather over x, reduce-scatter over yz of B V / 16.
  CHECK(collective_bytes(layer_named(step, "final")) ==
        std::map<std::string, Bytes>{{"alltoall_y_final", Bytes(B * E / 4096 * bf16)},
                                     {"allgather_x_final", Bytes(B * (E / 256) * bf16)},
                                     {"reducescatter_yz_logits", Bytes(B * (V / 16) * bf16)}});
}

TEST_CASE("PaLM 540B decode with batch 4096 is accepted on every slice and layout that applies") {
  // `podsim run scenarios/t2-high-throughput-decode.yaml --set topology=T --set batch=4096
  // --set generate_tokens=1`: validation, the memory plan and the trace (no simulation here).
  for (const char* topology : {"8x8x8", "8x8x16", "16x16x8", "16x16x16"})
    for (const char* layout : {"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz"}) {
      INFO(topology << " " << layout);
      const Scenario s = palm_decode(topology, layout);
      CHECK_NOTHROW(validate_scenario(s));
      const Trace trace = generate_trace(s);
      CHECK(trace.steps.size() == 1);
      // Weights per chip: every layer and the table split over all chips (plan_memory), the
      // residual batch axes change none of it: V E / n of the table.
      CHECK(trace.memory.weights_bytes > 0);
      CHECK(residual_batch_note(s).empty() == (std::string(topology) != "16x16x16"));
    }
}

TEST_CASE("the memory plan's residual stream is the same per chip with residual batch axes") {
  // plan_memory's activations include the residual B_{batch+R} L E_{residual_e-R}; with R = z
  // on 16x16x16 it is B E / n elements, as BLE_xyz would be. The weights are unchanged by R:
  // layers x (E (2F + HQ) + (F + HQ) E) / n + E x 2 x 256 / 16 (the multiquery K/V, E over x)
  // + V E / n, at 2 B.
  const Scenario s = palm_decode("16x16x16", "ws-2d");
  const MemoryPlan plan = plan_memory(s);
  const long long E = 18432, F = 73728, HQ = 64 * 256, V = 258048, n = 4096;
  const Bytes layer = Bytes(E * (2 * F + HQ) / n + (F + HQ) * E / n + E / 16 * 2 * 256);
  CHECK(plan.weights_bytes == (Bytes(118) * layer + Bytes(V * E / n)) * 2);
}

TEST_CASE("a batch the residual batch axes cannot split is refused at the batch key") {
  // PaLM 8B on 2x2x2, ws-2d, heads-sharded attention (the batch is not split), with d_model
  // 260 = 4 x 65: it needs R = z (E over xy), so the batch must be even.
  Scenario t = scenario("palm-8b-8chips.yaml", {"batch=3", "attention=heads"});
  t.model.d_model = 260;
  const auto problem = sharding_problem(t);
  REQUIRE(problem.has_value());
  CHECK(problem->key == "batch");
  CHECK(problem->message.find("260 is not divisible by 8; the batch could be split over the 2 "
                              "chips of axes z on 2x2x2 instead") != std::string::npos);
  t.batch = 4;
  CHECK_FALSE(sharding_problem(t).has_value());
  t.model.d_model = 259;
  const auto none = sharding_problem(t);
  REQUIRE(none.has_value());
  CHECK(none->key == "model");
  CHECK(none->message.find("no subset of the axes zy") != std::string::npos);
}
