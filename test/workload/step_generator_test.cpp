// The KV cache's move between per-phase layouts (kv_transition, transition_step), against hand
// arithmetic of the cache size per chip: 2 (K and V) x kv_heads x d_head x layers x 2 B x tokens
// x batch / chips (platforms/README.md §3, the KV cache per token before sharding).

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/scenario_loader.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

namespace {
const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";

Scenario load(const std::string& file, const std::vector<std::string>& sets = {}) {
  return config::load_scenario(kGood + "/" + file, sets, PODSIM_SOURCE_DIR);
}
}  // namespace

TEST_CASE("heads-sharded prefill then batch-sharded decode moves a multihead cache all-to-all") {
  const Scenario s = load("toy-phases.yaml");
  // toy-multihead: 64 K/V heads of 16, 2 layers; batch 64, 16 input tokens, 64 chips.
  const Bytes expected = 2ULL * 64 * 16 * 2 * 2 * 16 * 64 / 64;
  const KvTransition t = kv_transition(s);
  CHECK(t.kind == KvTransition::Kind::all_to_all);
  CHECK(t.axes.name() == "xyz");
  CHECK(t.from == "BTH_xyzQ");
  CHECK(t.to == "B_xyzTHQ");
  CHECK(t.bytes_per_layer * 2 == expected);
  CHECK(t.cache_bytes_prefill == expected);
  CHECK(t.cache_bytes_decode == expected);

  const Trace trace = generate_trace(s);
  // prefill, the transition, 4 decode steps.
  REQUIRE(trace.steps.size() == 6);
  CHECK_FALSE(trace.steps[0].transition);
  const StepTrace& move = trace.steps[1];
  CHECK(move.transition);
  CHECK(move.new_tokens == 0);
  REQUIRE(move.layers.size() == 1);
  Bytes moved = 0;
  for (const LayerTrace& layer : move.layers)
    for (const Op& op : layer.ops) {
      REQUIRE(op.kind == OpKind::collective);
      CHECK(op.collective.kind == CollectiveKind::all_to_all);
      moved += op.collective.bytes * Bytes(layer.repeat);
    }
  CHECK(moved == expected);
  // Each phase's steps follow its own attention: the prefill has no Q all-to-all, the decode
  // has one.
  const auto has_op = [](const StepTrace& step, const std::string& prefix) {
    for (const LayerTrace& layer : step.layers)
      for (const Op& op : layer.ops)
        if (op.name.rfind(prefix, 0) == 0) return true;
    return false;
  };
  CHECK_FALSE(has_op(trace.steps[0], "alltoall_xyz_q"));
  CHECK(has_op(trace.steps[2], "alltoall_xyz_q"));
}

TEST_CASE("a multiquery cache moves only where the decode needs more of it") {
  // toy: one K/V head of 32, 2 layers; batch 8 and 16 input tokens on 2x2x2.
  // Head-sharded: every chip holds every sequence (replicated); batch-sharded keeps a part.
  Scenario s = load("toy-generate.yaml", {"attention.prefill=heads", "attention.decode=batch"});
  CHECK(kv_transition(s).kind == KvTransition::Kind::local);
  CHECK(generate_trace(s).steps.size() == 5);  // no transition step
  // The reverse gathers the sequences of every chip: all-gather, the decode's cache per chip.
  s = load("toy-generate.yaml", {"attention.prefill=batch", "attention.decode=heads",
                                  "ffn_layout=ws-2d"});
  const KvTransition g = kv_transition(s);
  CHECK(g.kind == KvTransition::Kind::all_gather);
  CHECK(g.bytes_per_layer == 2ULL * 1 * 32 * 2 * 16 * 8);
  CHECK(g.cache_bytes_decode == 2 * g.bytes_per_layer);
  // Weight-gathered prefill and 2D weight-stationary decode, both batch-sharded: B_xyz both.
  s = load("toy-generate.yaml", {"ffn_layout.prefill=wg-xyz", "ffn_layout.decode=ws-2d"});
  REQUIRE(s.per_phase());
  const KvTransition none = kv_transition(s);
  CHECK(none.kind == KvTransition::Kind::none);
  CHECK(none.from == "B_xyzTQ");
  CHECK(none.from == none.to);
}

TEST_CASE("grouped K/V heads move from head-sharded prefill to batch-sharded decode all-to-all") {
  // LLaMA 2 70B (8 K/V heads of 128, 80 layers) on 2x2x2, ws-2d: the 8 K/V heads divide over the
  // 8 chips (BTH_xyzQ); batch 8, 2048 input tokens.
  const std::vector<std::string> sets = {"model=llama-2-70b", "phase=generate", "chips=8",
                                         "batch=8", "input_tokens=2048",
                                         "attention.prefill=heads", "attention.decode=batch"};
  const std::string file = std::string(PODSIM_SOURCE_DIR) + "/scenarios/t2-low-latency-decode.yaml";
  const Scenario s = config::load_scenario(file, sets, PODSIM_SOURCE_DIR);
  const KvTransition t = kv_transition(s);
  // 2 (K, V) x kv_heads x d_head x layers x 2 B x tokens x batch / chips.
  const Bytes expected = 2ULL * 8 * 128 * 80 * 2 * 2048 * 8 / 8;
  CHECK(t.kind == KvTransition::Kind::all_to_all);
  CHECK(t.from == "BTH_xyzQ");
  CHECK(t.to == "B_xyzTHQ");
  CHECK(t.axes.name() == "xyz");
  CHECK(t.bytes_per_layer * 80 == expected);
  CHECK(t.cache_bytes_prefill == expected);
  CHECK(t.cache_bytes_decode == expected);
  // On 4x4x4 the 8 K/V heads are cached in groups (one per chip, kv_heads_for): no one
  // collective regroups them, and podsim says so instead of guessing.
  std::vector<std::string> pod = sets;
  pod[2] = "chips=64";
  pod[3] = "batch=64";
  const Scenario big = config::load_scenario(file, pod, PODSIM_SOURCE_DIR);
  CHECK_THROWS_WITH(kv_transition(big),
                    Catch::Contains("from BTHQ (1 of 8 K/V heads per chip) (prefill) to B_xyzTHQ"));
}

}  // namespace podsim
