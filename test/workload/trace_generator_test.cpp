// The trace generator against closed forms computed here from platforms/README.md numbers (paper
// §3.2).
#include "sim/workload/trace_generator.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "sim/analytic/layout_cost.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;
using podsim::test::sent_fraction;

namespace {

const LayerTrace& layer_named(const StepTrace& step, const std::string& name) {
  for (const auto& layer : step.layers)
    if (layer.name == name) return layer;
  FAIL("no layer " << name);
  return step.layers.front();
}

struct Volume {
  double activation = 0, weight = 0;            // sum of D (paper's form)
  double activation_sent = 0, weight_sent = 0;  // with (K-1)/K
};

// The projection collectives of one layer: everything except the attention's own (the K/V
// projection's collectives and the all-to-alls). `prefix` filters by op name ("ffn_").
Volume projection_volume(const LayerTrace& layer, const TorusShape& shape,
                         const std::string& prefix = "") {
  Volume v;
  for (const Op& op : layer.ops) {
    if (op.kind != OpKind::collective) continue;
    if (op.name.find("_kv") != std::string::npos || op.name.find("alltoall") != std::string::npos)
      continue;
    if (op.name.rfind(prefix, 0) != 0) continue;
    double k = 1;
    for (Axis a : op.collective.axes.axes()) k *= shape.size(a);
    const double d = double(op.collective.bytes);
    const bool weight = op.name.find("weight_allgather") != std::string::npos;
    (weight ? v.weight : v.activation) += d;
    (weight ? v.weight_sent : v.activation_sent) += d * sent_fraction(op.collective.kind, k);
  }
  return v;
}

}  // namespace

TEST_CASE("PaLM 540B per-layer communication on 4x4x4 equals the paper's formulas") {
  // platforms/README.md §2-3: E 18432, F 73728, heads padded to 64 on 64 chips, d_head 256; X = Y
  // = Z = 4.
  const double E = 18432, F = 73728, HQ = 64 * 256, X = 4, YZ = 16, n = 64, bf16 = 2;
  // The parallel block fuses Q into the SwiGLU input einsum (gate + up) and the attention output
  // into the FFN output einsum, so the paper's F becomes these widths.
  const double F_in = 2 * F + HQ, F_out = F + HQ;
  struct Case {
    double B, L;
  };
  for (const Case c : {Case{64, 1}, Case{64, 128}, Case{128, 2048}, Case{512, 2048}}) {
    const double BL = c.B * c.L;
    struct Expect {
      const char* layout;
      double act, act_sent, weight, weight_sent;
    };
    const std::vector<Expect> expects = {
        {"ws-1d", 2 * BL * E * bf16, 2 * BL * E * bf16 * (n - 1) / n, 0, 0},
        {"ws-2d", (2 * BL * E / X + BL * (F_in + F_out) / YZ) * bf16,
         (2 * BL * E / X * (YZ - 1) / YZ + BL * (F_in + F_out) / YZ * (X - 1) / X) * bf16, 0, 0},
        {"wg-x", 2 * BL * E / X * bf16, 2 * BL * E / X * bf16 * (YZ - 1) / YZ,
         E * (F_in + F_out) * X / n * bf16, E * (F_in + F_out) * X / n * bf16 * (X - 1) / X},
        {"wg-xy", 2 * BL * E / (X * X) * bf16, 2 * BL * E / (X * X) * bf16 * 3 / 4,
         E * (F_in + F_out) * 16 / n * bf16, E * (F_in + F_out) * 16 / n * bf16 * 15 / 16},
        {"wg-xyz", 0, 0, E * (F_in + F_out) * bf16, E * (F_in + F_out) * bf16 * 63 / 64},
    };
    for (const Expect& x : expects) {
      DYNAMIC_SECTION(x.layout << " B=" << c.B << " L=" << c.L) {
        const Scenario s = scenario("t2-high-throughput-prefill.yaml",
                                    {fmt::format("ffn_layout={}", x.layout), "attention=heads",
                                     fmt::format("batch={}", c.B), "weights=bf16"});
        REQUIRE(s.pad_heads);
        const StepTrace step = generate_step(s, Phase::prefill, (long long)c.L, 0);
        const Volume v = projection_volume(layer_named(step, "transformer"), s.shape);
        CHECK(v.activation == Approx(x.act).epsilon(1e-12));
        CHECK(v.activation_sent == Approx(x.act_sent).epsilon(1e-12));
        CHECK(v.weight == Approx(x.weight).epsilon(1e-12));
        CHECK(v.weight_sent == Approx(x.weight_sent).epsilon(1e-12));
        // The analytic module's closed forms agree too.
        LayoutCostInputs in{c.B, c.L, E, F_in, F_out, 2, 2};
        const LayoutCommVolume a = layout_comm_volume(s.ffn_layout, s.shape, in);
        CHECK(v.activation + v.weight == Approx(a.total_bytes()).epsilon(1e-12));
        CHECK(v.activation_sent + v.weight_sent == Approx(a.transfer_bytes()).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("head-sharded multiquery all-reduces the K/V projection over x on ws-2d") {
  // K and V of one head: B L 2 d_head elements, partial sums over the E split (x).
  const Scenario s = scenario("t2-low-latency-decode.yaml", {"attention=heads"});
  const StepTrace step = generate_step(s, Phase::decode, 1, 2048);
  const LayerTrace& layer = layer_named(step, "transformer");
  int found = 0;
  for (const Op& op : layer.ops)
    if (op.name == "allreduce_x_kv") {
      ++found;
      CHECK(op.collective.kind == CollectiveKind::all_reduce);
      CHECK(op.collective.bytes == Bytes(64 * 1 * 2 * 256 * 2));
    }
  CHECK(found == 1);
}

TEST_CASE("MT-NLG feed-forward collectives equal the paper's 2BL(E/X + F/YZ) exactly") {
  // platforms/README.md §2: E 20480, F 81920, serial block with a GeLU FFN: the paper's formula
  // applies as
  // written to the FFN part of the layer; its attention part has Q, K, V (3 H d_head) in and
  // H d_head out.
  const double E = 20480, F = 81920, HQ = 128 * 160, X = 4, YZ = 16, bf16 = 2;
  for (long long B : {1, 64, 512}) {
    const Scenario s =
        scenario("t2-low-latency-prefill.yaml", {"model=mt-nlg-530b", fmt::format("batch={}", B)});
    const StepTrace step = generate_step(s, Phase::prefill, 128, 0);
    const double BL = double(B) * 128;
    const LayerTrace& layer = layer_named(step, "transformer");
    const Volume ffn = projection_volume(layer, s.shape, "ffn_");
    CHECK(ffn.activation == Approx(2 * BL * (E / X + F / YZ) * bf16).epsilon(1e-12));
    const Volume attn = projection_volume(layer, s.shape, "attn_");
    CHECK(attn.activation ==
          Approx((2 * BL * E / X + BL * (3 * HQ + HQ) / YZ) * bf16).epsilon(1e-12));
  }
}

namespace {

// Parameters from platforms/README.md §2's per-layer formula, written out here independently of
// ModelSpec.
double parameters(const ModelSpec& m, long long heads) {
  const double E = double(m.d_model), Q = double(m.d_head), F = double(m.d_ff);
  const double kv = m.kv_heads == m.heads ? double(heads) : double(m.kv_heads);
  const double mats = m.activation == Activation::swiglu ? 3 : 2;
  return double(m.layers) * (2 * E * double(heads) * Q + 2 * E * kv * Q + mats * E * F) +
         double(m.vocab) * E;
}

struct UniqueFlops {
  double matmul = 0, attention = 0;
};
// Work of the whole slice (chips x per-chip), without the replicated K/V projection's copies.
UniqueFlops unique_flops(const StepTrace& step, long long chips) {
  UniqueFlops f;
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops) {
      if (op.kind != OpKind::einsum) continue;
      f.matmul += double(layer.repeat) * double(chips) *
                  (op.flops - op.attention_flops - op.redundant_flops);
      f.attention += double(layer.repeat) * double(chips) * op.attention_flops;
    }
  return f;
}

}  // namespace

TEST_CASE("matmul FLOPs per token are 2 x parameters for every model and layout") {
  int checked = 0;
  std::vector<std::string> skipped;
  for (const char* model : {"toy", "palm-8b", "palm-62b", "palm-540b", "mt-nlg-530b"})
    for (const char* layout : {"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz"})
      for (const char* attention : {"heads", "batch"})
        for (const char* topology : {"2x2x2", "4x4x4"}) {
          {
            INFO(model << " " << layout << " " << attention << " " << topology);
            const long long B = 64, context = 100;
            // wg-xyz shards every model; the other layouts only where the heads divide.
            Scenario s =
                scenario("t2-low-latency-decode.yaml",
                         {fmt::format("model={}", model), "ffn_layout=wg-xyz",
                          fmt::format("topology={}", topology), fmt::format("batch={}", B)});
            s.ffn_layout = parse_ffn_layout(layout, "test");
            s.attention = parse_attn_sharding(attention, "test");
            s.pad_heads = auto_pad_heads(s);
            if (sharding_problem(s)) {
              skipped.push_back(fmt::format("{} {} {} {}", model, layout, attention, topology));
              continue;
            }
            ++checked;
            const ModelSpec& m = s.model;
            const double N = parameters(m, s.heads_used());
            // Decode: every token goes through every layer and the unembedding.
            const StepTrace decode = generate_step(s, Phase::decode, 1, context);
            const UniqueFlops d = unique_flops(decode, s.chips());
            CHECK(d.matmul / double(B) == Approx(2 * N).epsilon(1e-12));
            const double attended = double(context + 1);
            CHECK(d.attention / double(B) == Approx(double(m.layers) * 4 * double(s.heads_used()) *
                                                    double(m.d_head) * attended)
                                                 .epsilon(1e-12));
            // Prefill: logits only for the last token of each sequence.
            const long long L = 32;
            const StepTrace prefill = generate_step(s, Phase::prefill, L, 0);
            const UniqueFlops p = unique_flops(prefill, s.chips());
            const double VE = double(m.vocab) * double(m.d_model);
            CHECK(p.matmul ==
                  Approx(2 * (N - VE) * double(B * L) + 2 * VE * double(B)).epsilon(1e-12));
            CHECK(p.attention == Approx(double(B) * double(m.layers) * 4 * double(s.heads_used()) *
                                        double(m.d_head) * double(L) * double(L))
                                     .epsilon(1e-12));
          }
        }
  // Only head-sharded attention needs whole heads per chip: ws-1d and ws-2d split the heads over
  // all 64 chips of 4x4x4 (ws-2d after its reduce-scatter over x), which PaLM 8B's 16 and 62B's
  // 32 heads do not divide. Batch-sharded attention splits the H x d_head columns, which do.
  CHECK(skipped == std::vector<std::string>{"palm-8b ws-1d heads 4x4x4", "palm-8b ws-2d heads 4x4x4",
                                            "palm-62b ws-1d heads 4x4x4",
                                            "palm-62b ws-2d heads 4x4x4"});
  CHECK(checked == 100 - 4);
}

TEST_CASE("unpadded PaLM 540B on 8 chips does 2 x 540.4e9 FLOPs per token") {
  // 48 heads split over 8 chips need no padding; platforms/README.md §2 gives about 540.3e9
  // parameters.
  const Scenario s = scenario("t2-low-latency-decode.yaml", {"topology=2x2x2", "batch=8"});
  CHECK_FALSE(s.pad_heads);
  const UniqueFlops f = unique_flops(generate_step(s, Phase::decode, 1, 10), s.chips());
  CHECK(f.matmul / 8 / 2 == Approx(540.36e9).epsilon(1e-4));
}

TEST_CASE("decode KV-cache reads: head-sharded reads every sequence / batch-sharded B/n") {
  // Per layer and chip, K and V of every attended position: kv = 1, d_head 256, bf16.
  for (const char* attention : {"heads", "batch"}) {
    const Scenario s =
        scenario("t2-low-latency-decode.yaml", {fmt::format("attention={}", attention)});
    const StepTrace step = generate_step(s, Phase::decode, 1, 2048);
    const OpTotals t = totals(layer_named(step, "transformer"));
    const Bytes sequences = std::string(attention) == "heads" ? 64 : 1;
    CHECK(t.kv_bytes == sequences * 2049 * 2 * 256 * 2);
  }
}

TEST_CASE("int8 weights halve weight bytes and keep FLOPs") {
  const Scenario bf = scenario("t2-high-throughput-decode.yaml", {"weights=bf16"});
  const Scenario i8 = scenario("t2-high-throughput-decode.yaml", {"weights=int8"});
  const StepTrace a = generate_step(bf, Phase::decode, 1, 2048);
  const StepTrace b = generate_step(i8, Phase::decode, 1, 2048);
  const OpTotals ta = totals(a), tb = totals(b);
  CHECK(ta.weight_bytes == 2 * tb.weight_bytes);
  CHECK(ta.flops == tb.flops);
  CHECK(ta.kv_bytes == tb.kv_bytes);
}

TEST_CASE("generate is a prefill step then generate_tokens decode steps with a growing context") {
  const Scenario s = scenario("palm-8b-8chips.yaml");  // input 128, 16 tokens
  const Trace t = generate_trace(s);
  REQUIRE(t.steps.size() == 17);
  CHECK(t.steps[0].phase == Phase::prefill);
  CHECK(t.steps[0].new_tokens == 128);
  CHECK(t.steps[0].context == 0);
  for (int i = 1; i <= 16; ++i) {
    CHECK(t.steps[i].phase == Phase::decode);
    CHECK(t.steps[i].new_tokens == 1);
    CHECK(t.steps[i].context == 128 + i - 1);
  }
  for (const StepTrace& step : t.steps) {
    REQUIRE(step.layers.size() == 3);
    CHECK(step.layers[1].repeat == 32);
  }
  const Trace decode_only = generate_trace(scenario("palm-8b-8chips.yaml", {"phase=decode"}));
  CHECK(decode_only.steps.size() == 16);
  CHECK(decode_only.steps.front().context == 128);
}

TEST_CASE("looped collectives name the einsum they overlap and only when looped") {
  for (const char* mode : {"looped", "off"}) {
    const Scenario s = scenario("t2-high-throughput-prefill.yaml",
                                {fmt::format("collective_einsum={}", mode), "input_tokens=16"});
    const StepTrace step = generate_step(s, Phase::prefill, 16, 0);
    int looped = 0;
    for (const LayerTrace& layer : step.layers)
      for (const Op& op : layer.ops) {
        if (op.looped_with.empty()) continue;
        ++looped;
        bool found = false;
        for (const Op& other : layer.ops)
          found = found || (other.kind == OpKind::einsum && other.name == op.looped_with);
        CHECK(found);
      }
    CHECK((looped > 0) == (std::string(mode) == "looped"));
  }
}

TEST_CASE("op names are unique within a layer and collectives span more than one chip") {
  for (const char* model : {"palm-540b", "mt-nlg-530b", "toy"})
    for (const char* layout : {"ws-1d", "ws-2d", "wg-x", "wg-xy", "wg-xyz"}) {
      const Scenario s = scenario(
          "t2-high-throughput-prefill.yaml",
          {fmt::format("model={}", model), fmt::format("ffn_layout={}", layout), "topology=4x4x1"});
      const StepTrace step = generate_step(s, Phase::prefill, 8, 0);
      for (const LayerTrace& layer : step.layers) {
        std::set<std::string> names;
        for (const Op& op : layer.ops) {
          CHECK(names.insert(op.name).second);
          if (op.kind == OpKind::collective) {
            CHECK_FALSE(op.collective.axes.contains(Axis::z));  // size 1: no collective
            CHECK_NOTHROW(validate_collective(op.collective, s.shape));
          }
        }
      }
    }
}

TEST_CASE("prefill at batch 512 on ws-2d is compute-bound by the roofline of its einsums") {
  // 275e12 FLOP/s and 1.2e12 B/s (platforms/README.md §1): with B L = 1M tokens per pass the
  // matmuls need
  // far longer than reading the weights.
  const Scenario s = scenario("t2-high-throughput-prefill.yaml", {"ffn_layout=ws-2d"});
  const StepTrace step = generate_step(s, Phase::prefill, 2048, 0);
  const OpTotals t = totals(step);
  CHECK(t.flops / 275e12 > 10 * double(t.weight_bytes) / 1.2e12);
}
