// The platforms' `calibrated:` and `wraparound:` keys (issue 16 item 4). Wraparound rules from
// platforms/README.md: TPU v4 wraps every axis of a slice of whole 4x4x4 cubes (Google Cloud TPU
// v4 docs, §1); v5e and v6e wrap an axis only when it is the full 16 of the pod (book, sharding
// chapter: "v5e has no wraparound below 16", §8). The expected wraps below are written from those
// sentences, not from podsim's output.

#include <catch2/catch.hpp>
#include <string>

#include "sim/config/platform_loader.hpp"
#include "sim/config/scenario_loader.hpp"

namespace podsim {
namespace {

Platform platform(const std::string& name) {
  return config::load_platform(std::string(PODSIM_SOURCE_DIR) + "/platforms/" + name + ".yaml");
}

Scenario on(const std::string& platform_name, const std::string& topology) {
  return config::load_scenario(
      std::string(PODSIM_SOURCE_DIR) + "/scenarios/t2-high-throughput-decode.yaml",
      {"platform=" + platform_name, "topology=" + topology, "model=llama-3-70b", "batch=256",
       "attention=batch", "input_tokens=128", "generate_tokens=1"},
      PODSIM_SOURCE_DIR);
}

using Wraps = std::array<bool, 3>;

}  // namespace

TEST_CASE("only tpu-v4 is calibrated") {
  CHECK(platform("tpu-v4").calibrated);
  for (const char* name : {"tpu-v5e", "tpu-v5p", "tpu-v6e"}) {
    INFO(name);
    CHECK_FALSE(platform(name).calibrated);
  }
}

TEST_CASE("v5e and v6e slices wrap only on axes of the full 16") {
  for (const char* name : {"tpu-v5e", "tpu-v6e"}) {
    INFO(name);
    CHECK(on(name, "16x16x1").shape.wraps == Wraps{true, true, false});
    CHECK(on(name, "8x16x1").shape.wraps == Wraps{false, true, false});
    CHECK(on(name, "4x4x1").shape.wraps == Wraps{false, false, false});
    CHECK(on(name, "8x8x1").shape.wraps == Wraps{false, false, false});
    // A slice given by its chip count gets the same rule.
    const Scenario pod = config::load_scenario(
        std::string(PODSIM_SOURCE_DIR) + "/scenarios/t2-high-throughput-decode.yaml",
        {std::string("platform=") + name, "chips=256", "model=llama-3-70b", "batch=256",
         "attention=batch", "input_tokens=128", "generate_tokens=1"},
        PODSIM_SOURCE_DIR);
    CHECK(pod.shape.wraps == Wraps{true, true, false});
  }
}

TEST_CASE("tpu-v4 and tpu-v5p keep the whole-cube rule") {
  for (const char* name : {"tpu-v4", "tpu-v5p"}) {
    INFO(name);
    CHECK(on(name, "4x4x4").shape.wraps == Wraps{true, true, true});
    CHECK(on(name, "4x4x8").shape.wraps == Wraps{true, true, true});
    CHECK(on(name, "2x2x4").shape.wraps == Wraps{false, false, false});
    CHECK(on(name, "16x16x1").shape.wraps == Wraps{false, false, false});
  }
}

TEST_CASE("a scenario's wrap key still overrides the platform's rule") {
  const Scenario s = config::load_scenario(
      std::string(PODSIM_SOURCE_DIR) + "/scenarios/t2-high-throughput-decode.yaml",
      {"platform=tpu-v5e", "topology=16x16x1", "wrap=x", "model=llama-3-70b", "batch=256",
       "attention=batch", "input_tokens=128", "generate_tokens=1"},
      PODSIM_SOURCE_DIR);
  CHECK(s.shape.wraps == Wraps{true, false, false});
}

}  // namespace podsim
