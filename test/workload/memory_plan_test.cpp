// The memory planner against per-chip footprints computed here from platforms/README.md §2-3.
#include "sim/workload/memory_plan.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sim/workload/trace_generator.hpp"
#include "test/workload/scenario_fixture.hpp"

using namespace podsim;
using podsim::test::scenario;

namespace {
// PaLM 540B (platforms/README.md §2) with heads padded to 64 on 64 chips.
constexpr double E = 18432, F = 73728, Q = 256, V = 256128, layers = 118;
constexpr Bytes kKvBytesPerToken = 120832;  // 2 * 256 * 2 * 118 (platforms/README.md §3)
}  // namespace

TEST_CASE("KV cache per chip: head-sharded keeps the whole cache / batch-sharded divides by n") {
  // Table 2 low-latency decode: 64 sequences, 2048 + 64 positions at the end of the run.
  const Bytes whole = 64 * (2048 + 64) * kKvBytesPerToken;
  const Scenario heads = scenario("t2-low-latency-decode.yaml", {"attention=heads"});
  const Scenario batch = scenario("t2-low-latency-decode.yaml", {"attention=batch"});
  CHECK(plan_memory(heads).kv_bytes == whole);
  CHECK(plan_memory(batch).kv_bytes == whole / 64);
  // A prefill holds the prompt only.
  const Scenario prefill =
      scenario("t2-low-latency-decode.yaml", {"phase=prefill", "attention=heads"});
  CHECK(plan_memory(prefill).kv_bytes == 64 * 2048 * kKvBytesPerToken);
}

TEST_CASE("weights per chip: every matrix in its stored sharding") {
  // ws-2d on 4x4x4: W_in (E x (2F + 64 x 256)) and W_out ((F + 64 x 256) x E) split over all 64
  // chips; the single K/V head (E x 2 d_head) split over x only; the embedding V x E over 64.
  const double hq = 64 * Q;
  const double per_chip_elements =
      layers * (E * (2 * F + hq) / 64 + (F + hq) * E / 64 + E / 4 * 2 * Q) + V * E / 64;
  const Scenario int8 = scenario("t2-low-latency-decode.yaml", {"weights=int8"});
  const Scenario bf16 = scenario("t2-low-latency-decode.yaml", {"weights=bf16"});
  CHECK(double(plan_memory(int8).weights_bytes) == per_chip_elements);
  CHECK(double(plan_memory(bf16).weights_bytes) == 2 * per_chip_elements);
}

TEST_CASE("the four Table 2 scenarios fit in 32 GiB as they did on TPU v4") {
  for (const char* file : {"t2-low-latency-prefill.yaml", "t2-low-latency-decode.yaml",
                           "t2-high-throughput-prefill.yaml", "t2-high-throughput-decode.yaml"}) {
    INFO(file);
    const MemoryPlan plan = plan_memory(scenario(file));
    CHECK(plan.hbm_bytes == 32 * kGiB);
    CHECK(plan.fits);
    CHECK(plan.total_bytes() <= plan.hbm_bytes);
  }
}

TEST_CASE("a model that does not fit is refused with its numbers and the changes that fit") {
  // PaLM 540B in bf16 on 8 chips: ~135 GB of weights per chip against 32 GiB of HBM. 48 heads
  // split over 8 chips unpadded.
  const Scenario s = scenario("t2-low-latency-decode.yaml", {"topology=2x2x2", "weights=bf16"});
  REQUIRE_FALSE(s.pad_heads);
  const double hq = 48 * Q;
  const double weights =
      2 * (layers * (E * (2 * F + hq) / 8 + (F + hq) * E / 8 + E / 2 * 2 * Q) + V * E / 8);
  const MemoryPlan plan = plan_memory(s);
  CHECK(double(plan.weights_bytes) == weights);
  CHECK_FALSE(plan.fits);
  try {
    generate_trace(s);
    FAIL("expected a refusal");
  } catch (const InputError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(e.key() == "memory");
    CHECK(e.where().file.ends_with("scenarios/t2-low-latency-decode.yaml"));
    CHECK(e.where().line > 0);
    CHECK(what.find(fmt::format("weights {:.2f} GiB", weights / double(kGiB))) !=
          std::string::npos);
    CHECK(what.find("has 32.00 GiB of HBM") != std::string::npos);
    CHECK(what.find("`chips: 64 (4x4x4)`") != std::string::npos);
    CHECK(what.find("--allow-oversubscribe") != std::string::npos);
  }
  // Every proposed change does fit, and more chips is among them.
  const std::vector<MemoryFix> fixes = memory_fixes(s);
  REQUIRE_FALSE(fixes.empty());
  for (const MemoryFix& fix : fixes) {
    INFO(fix.change);
    CHECK(fix.plan.fits);
  }
  // Asked to, it simulates anyway and records that it does not fit.
  Scenario anyway = s;
  anyway.allow_oversubscribe = true;
  anyway.generate_tokens = 2;
  const Trace t = generate_trace(anyway);
  CHECK_FALSE(t.memory.fits);
  CHECK(t.steps.size() == 2);
}

TEST_CASE("the largest smaller batch that fits is proposed and it is the largest") {
  // Head-sharded decode of 540B int8 on 64 chips with a long context: the cache is replicated.
  const Scenario s =
      scenario("t2-low-latency-decode.yaml", {"attention=heads", "batch=256", "input_tokens=8192"});
  REQUIRE_FALSE(plan_memory(s).fits);
  long long proposed = 0;
  for (const MemoryFix& fix : memory_fixes(s))
    if (fix.change.rfind("batch: ", 0) == 0) proposed = std::stoll(fix.change.substr(7));
  REQUIRE(proposed > 0);
  Scenario t = s;
  t.batch = proposed;
  CHECK(plan_memory(t).fits);
  t.batch = proposed + 1;
  CHECK_FALSE(plan_memory(t).fits);
}

TEST_CASE("a large 2D weight-stationary prefill runs in pieces whose activations fit") {
  // PaLM 540B, 2D weight-stationary, batch-sharded attention (head-sharded multiquery attention
  // would replicate the whole batch's KV cache on every chip: 126 GB at batch 512), bf16, context
  // 2048 on 64 chips
  // (the paper's Figure 7 points): the whole batch in one pass would hold 14-29 GiB of
  // activations per chip beside 17 GiB of weights (issue 13). The plan prefills in pieces: its
  // activations are those of a smaller power-of-two fraction of the batch, while the KV cache is
  // the whole batch's.
  const auto at = [](int batch) {
    return scenario("t2-high-throughput-prefill.yaml",
                    {"ffn_layout=ws-2d", "attention=batch", fmt::format("batch={}", batch)});
  };
  for (int batch : {64, 128, 256, 512}) {
    INFO("batch " << batch);
    const MemoryPlan plan = plan_memory(at(batch));
    CHECK(plan.fits);
    CHECK(plan.kv_bytes == Bytes(batch) * 2048 * kKvBytesPerToken / 64);
  }
  for (int batch : {256, 512}) {
    INFO("batch " << batch);
    const MemoryPlan plan = plan_memory(at(batch));
    bool piece_found = false;
    for (int pieces = 2; pieces <= batch; pieces *= 2)
      piece_found = piece_found || plan_memory(at(batch / pieces)).activation_bytes == plan.activation_bytes;
    CHECK(piece_found);
  }
}
