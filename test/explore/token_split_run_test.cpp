// Token-split weight-gathered prefill (issue 16 item 2) through the replay: the folded replay of
// its traces (the K/V all-gather over the token axes and the last position's reduce-scatter are
// plain collectives over axes, so the fold applies) must give the step times of the per-chip
// replay, the reference, on small toy cases; and `ffn_layout: auto` at batch 1 on 64 chips must
// rank the token-split wg-xyz against ws-2d by the times separate runs of each give.

#include <catch2/catch.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "sim/config/scenario_loader.hpp"
#include "sim/explore/layout_search.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/program/fold.hpp"
#include "sim/workload/trace_generator.hpp"
#include "test/support/both_replays.hpp"

namespace podsim {
namespace {

const std::string kRoot = PODSIM_SOURCE_DIR;

Scenario load(const std::string& file, const std::vector<std::string>& sets) {
  return config::load_scenario(kRoot + "/scenarios/" + file, sets, kRoot);
}

bool has_op(const StepTrace& step, const std::string& name) {
  for (const LayerTrace& layer : step.layers)
    for (const Op& op : layer.ops)
      if (op.name == name) return true;
  return false;
}

void check_folded_equals_per_chip(const Scenario& s) {
  const Trace trace = generate_trace(s);
  const auto [per_chip, folded] = test::simulate_both_replays(trace);
  test::check_steps_equal(per_chip, folded);
}

}  // namespace

TEST_CASE("the folded replay of token-split toy prefills matches the per-chip one") {
  // 4x4x4 (every axis wraps, so the fold applies), toy model: batch 1 over all 64 chips, batch 4
  // with the batch over x and the tokens over yz, and wg-xy with batch-sharded attention (Q moved
  // to tokens over z as well).
  struct Case {
    std::string batch, tokens, layout, attention, gather;
  };
  for (const Case& c : {Case{"1", "128", "wg-xyz", "heads", "allgather_xyz_kv_positions"},
                        Case{"4", "32", "wg-xyz", "heads", "allgather_yz_kv_positions"},
                        Case{"1", "128", "wg-xy", "batch", "allgather_xyz_kv_positions"},
                        Case{"2", "64", "wg-x", "heads", "allgather_x_kv_positions"}}) {
    INFO(c.layout << " batch " << c.batch << " attention " << c.attention);
    const Scenario s = load("t2-low-latency-prefill.yaml",
                            {"model=toy", "weights=bf16", "batch=" + c.batch,
                             "input_tokens=" + c.tokens, "ffn_layout=" + c.layout,
                             "attention=" + c.attention, "collective_einsum=off"});
    REQUIRE(scenario_sharding(s).token_split());
    REQUIRE(has_op(generate_step(s, Phase::prefill, s.input_tokens, 0), c.gather));
    check_folded_equals_per_chip(s);
  }
}

TEST_CASE("the folded replay of a token-split generate run with its KV all-gather matches") {
  // Batch 1: wg-xyz prefill (the cache BT_xyzQ), then ws-2d decode with the replicated
  // multiquery cache: the transition all-gathers every layer's cache over xyz.
  const Scenario s = load("t2-low-latency-prefill.yaml",
                          {"model=toy", "weights=bf16", "phase=generate", "input_tokens=128",
                           "generate_tokens=3", "ffn_layout.prefill=wg-xyz",
                           "ffn_layout.decode=ws-2d"});
  const Trace trace = generate_trace(s);
  REQUIRE(trace.steps.size() == 5);
  REQUIRE(trace.steps[1].transition);
  check_folded_equals_per_chip(s);
}

TEST_CASE("the K/V all-gather takes at least its bytes over the links") {
  // Toy batch 1 on 4x4x4, wg-xyz: each chip receives 63/64 of 2 x 128 x 32 x 2 B per layer
  // over its 6 links; the step takes at least that for the 2 layers.
  const Scenario s = load("t2-low-latency-prefill.yaml",
                          {"model=toy", "weights=bf16", "input_tokens=128", "ffn_layout=wg-xyz"});
  const Trace trace = generate_trace(s);
  const TraceTiming t = simulate_trace(trace, false);
  const double per_layer = 2.0 * 128 * 32 * 2;
  CHECK(t.step_s[0] > 2 * per_layer * 63 / 64 / (6 * s.platform.chip.ici_link_bytes_per_s));
}

TEST_CASE("auto ranks the token-split wg-xyz against ws-2d for batch-1 prefill on 64 chips") {
  // PaLM 540B, batch 1 (Table 2's low-latency prefill), at `tokens` input tokens: the ranking
  // holds wg-xyz with its tokens over xyz, and every simulated entry's time is that of a
  // separate run with the layout given (the reference); the winner is the fastest of them.
  for (const long long tokens : {2048LL, 16384LL}) {
    INFO("input_tokens " << tokens);
    const std::string len = fmt::format("input_tokens={}", tokens);
    const LayoutChoice choice = choose_layout(load("t2-low-latency-prefill.yaml",
                                                   {"ffn_layout=auto", len}));
    REQUIRE(choice.ranking);
    bool wg_xyz = false, ws_2d = false;
    Seconds best = 1e300;
    for (const LayoutRankEntry& e : choice.ranking->entries) {
      const std::string name(ffn_layout_name(e.layout));
      INFO(name << " " << rank_status_name(e.status) << " " << e.reason);
      if (e.layout == FfnLayout::wg_xyz) {
        wg_xyz = true;
        CHECK(e.token_axes == "xyz");
      }
      if (e.layout == FfnLayout::ws_2d) {
        ws_2d = true;
        CHECK(e.token_axes.empty());
        CHECK(e.status == RankStatus::simulated);
      }
      if (e.status != RankStatus::simulated) continue;
      const TraceTiming one = simulate_trace(
          generate_trace(load("t2-low-latency-prefill.yaml", {"ffn_layout=" + name, len})), false);
      CHECK(e.total_s == Approx(one.step_s[0]).epsilon(1e-9));
      best = std::min(best, one.step_s[0]);
    }
    CHECK(wg_xyz);
    CHECK(ws_2d);
    CHECK(choice.ranking->entries.front().total_s == Approx(best).epsilon(1e-9));
  }
}

}  // namespace podsim
