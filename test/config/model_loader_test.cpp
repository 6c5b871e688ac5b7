// Model files: every error names file:line:col and the key.
#include "sim/config/model_loader.hpp"

#include <catch2/catch.hpp>

#include "test/config/config_test_files.hpp"

using namespace podsim;
using podsim::test::write_temp;

namespace {
const std::string kToy =
    "name: t\nlayers: 2\nd_model: 256\nd_ff: 1024\nheads: 8\nd_head: 32\nkv_heads: 1\n"
    "vocab: 1024\nblock: parallel\nactivation: swiglu\n";

std::string error_of(const std::string& name, const std::string& text) {
  const std::string path = write_temp(name, text);
  try {
    config::load_model(path);
  } catch (const InputError& e) {
    const std::string what = e.what();
    return what.substr(what.find(name));  // drop the temp directory
  }
  return "";
}
}  // namespace

TEST_CASE("a model file loads with every field") {
  const ModelSpec m = config::load_model(write_temp("ok.yaml", kToy));
  CHECK(m.name == "t");
  CHECK(m.layers == 2);
  CHECK(m.d_ff == 1024);
  CHECK(m.kv_heads == 1);
  CHECK(m.padded_heads == 0);
  CHECK(m.activation == Activation::swiglu);
}

TEST_CASE("model file errors point at the key") {
  CHECK(error_of("typo.yaml", kToy + "d_modle: 3\n") ==
        "typo.yaml:11:1: d_modle: unknown key; did you mean 'd_model'?");
  std::string no_vocab = kToy;
  no_vocab.replace(no_vocab.find("vocab: 1024\n"), 12, "");
  CHECK(error_of("novocab.yaml", no_vocab) == "novocab.yaml:1:1: vocab: is missing");
  std::string zero_heads = kToy;
  zero_heads.replace(zero_heads.find("heads: 8"), 8, "heads: 0");
  CHECK(error_of("zero.yaml", zero_heads) == "zero.yaml:5:8: heads: must be at least 1, not 0");
  // Grouped-query attention: any divisor of heads (2 of 8 loads); 3 does not divide 8.
  std::string gqa = kToy;
  gqa.replace(gqa.find("kv_heads: 1"), 11, "kv_heads: 3");
  CHECK(error_of("gqa.yaml", gqa) ==
        "gqa.yaml:7:11: kv_heads: must divide heads 8 (1 = multiquery, 8 = multihead, between: "
        "grouped-query), not 3");
  std::string block = kToy;
  block.replace(block.find("parallel"), 8, "sequential");
  CHECK(error_of("block.yaml", block) ==
        "block.yaml:9:8: block: 'sequential' is not a block kind; use parallel or serial");
  CHECK(error_of("pad.yaml", kToy + "padded_heads: 4\n") ==
        "pad.yaml:11:15: padded_heads: 4 is below heads 8; padding only adds heads");
}

TEST_CASE("model names resolve in workloads/ and unknown names suggest the closest") {
  const std::string dir = std::string(PODSIM_SOURCE_DIR) + "/workloads";
  CHECK(config::resolve_model_path("palm-8b", dir) == dir + "/palm-8b.yaml");
  try {
    config::resolve_model_path("palm-9b", dir);
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("unknown model 'palm-9b'") != std::string::npos);
    CHECK(std::string(e.what()).find("did you mean 'palm-8b'?") != std::string::npos);
  }
}

TEST_CASE("every shipped model file loads") {
  for (const char* name :
       {"palm-8b", "palm-62b", "palm-540b", "mt-nlg-530b", "toy", "llama-3-70b", "llama-2-70b"})
    CHECK_NOTHROW(
        config::load_model(std::string(PODSIM_SOURCE_DIR) + "/workloads/" + name + ".yaml"));
}

TEST_CASE("a grouped-query model loads with its K/V heads") {
  // LLaMA 3 70B: 64 query heads, 8 K/V heads (arXiv 2407.21783 Table 3).
  const ModelSpec m =
      config::load_model(std::string(PODSIM_SOURCE_DIR) + "/workloads/llama-3-70b.yaml");
  CHECK(m.heads == 64);
  CHECK(m.kv_heads == 8);
  CHECK(m.grouped());
  CHECK_FALSE(m.multiquery());
  // 80 x (2 E H d_head + 2 E kv d_head + 3 E F) + V E, one table (the file says why).
  const double E = 8192, layer = 2 * E * 64 * 128 + 2 * E * 8 * 128 + 3 * E * 28672;
  CHECK(m.parameters() == Approx(80 * layer + 128256 * E).epsilon(1e-15));
  std::string gqa = kToy;
  gqa.replace(gqa.find("kv_heads: 1"), 11, "kv_heads: 2");
  CHECK(config::load_model(write_temp("gqa2.yaml", gqa)).grouped());
}
