// Model files and parameter / FLOP / KV counting against platforms/README.md §2-3.
#include "sim/model/model_spec.hpp"

#include <catch2/catch.hpp>

#include "sim/config/model_loader.hpp"

using namespace podsim;

namespace {
ModelSpec model(const std::string& name) {
  return config::load_model(std::string(PODSIM_SOURCE_DIR) + "/workloads/" + name + ".yaml");
}
}  // namespace

TEST_CASE("PaLM parameter counts match the paper's 8.6B / 62.5B and 540.3B") {
  // platforms/README.md §2: "about 8.6B / 62.5B / 540.3B" with the embedding.
  CHECK(model("palm-8b").parameters() == Approx(8.6e9).epsilon(0.01));
  CHECK(model("palm-62b").parameters() == Approx(62.5e9).epsilon(0.005));
  CHECK(model("palm-540b").parameters() == Approx(540.3e9).epsilon(0.001));
}

TEST_CASE("PaLM 540B parameters are exactly the per-layer formula") {
  // 118 x (2 E H Q + 2 E Q + 3 E F) + V E with E 18432, F 73728, H 48, Q 256, V 256128.
  const double E = 18432, F = 73728, H = 48, Q = 256, V = 256128;
  const ModelSpec m = model("palm-540b");
  CHECK(m.parameters() == 118 * (2 * E * H * Q + 2 * E * Q + 3 * E * F) + V * E);
  // Padding 48 -> 64 heads adds 2 E 16 Q per layer: "about +18B" (platforms/README.md §2).
  CHECK(m.parameters(true) - m.parameters() == 118 * 2 * E * 16 * Q);
  CHECK(m.parameters(true) - m.parameters() == Approx(18e9).epsilon(0.02));
  CHECK(m.matmul_flops_per_token() == 2 * m.parameters());
}

TEST_CASE("MT-NLG 530B is multihead / serial / GeLU and about 530B parameters") {
  const ModelSpec m = model("mt-nlg-530b");
  const double E = 20480, F = 81920, H = 128, Q = 160;
  CHECK_FALSE(m.multiquery());
  CHECK(m.block == BlockKind::serial);
  CHECK(m.ffn_matrices() == 2);
  CHECK(m.layer_parameters() == 4 * E * H * Q + 2 * E * F);
  CHECK(m.parameters() == Approx(530e9).epsilon(0.01));
}

TEST_CASE("KV cache per token: PaLM 540B multiquery holds 120 832 bytes") {
  // platforms/README.md §3: 2 (K and V) x 256 x 2 B x 118 layers.
  CHECK(model("palm-540b").kv_cache_bytes_per_token() == 120832);
  // Multihead keeps every head: 2 x 128 x 160 x 2 B x 105.
  CHECK(model("mt-nlg-530b").kv_cache_bytes_per_token() == 2ull * 128 * 160 * 2 * 105);
}

TEST_CASE("attention FLOPs per token grow with the context") {
  // QK^T and AV: 2 x 2 x H x d_head x context per layer.
  const ModelSpec m = model("palm-8b");
  CHECK(m.attention_flops_per_token(2048) == 32.0 * 4 * 16 * 256 * 2048);
  CHECK(m.attention_flops_per_token(0) == 0);
}

TEST_CASE("the toy model is tiny and PaLM-shaped") {
  const ModelSpec m = model("toy");
  CHECK(m.multiquery());
  CHECK(m.block == BlockKind::parallel);
  CHECK(m.parameters() < 3e6);
}

TEST_CASE("invalid model shapes are rejected") {
  ModelSpec m = model("palm-8b");
  m.kv_heads = 3;
  CHECK_THROWS_AS(validate_model(m), InputError);
  m = model("palm-8b");
  m.padded_heads = 8;
  CHECK_THROWS_AS(validate_model(m), InputError);
  CHECK_THROWS_AS(parse_activation("relu", "activation"), InputError);
  CHECK_THROWS_AS(parse_block_kind("sequential", "block"), InputError);
}
