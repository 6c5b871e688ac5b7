// The uncalibrated platform files of other TPU generations (issue 16 item 4) against the numbers
// of platforms/README.md §8 (jax-ml scaling book, TPU chapter tables), and a 2D v5e slice as an X x Y x 1
// shape: no links on z, a mesh below 16 (book, sharding chapter).

#include <catch2/catch.hpp>
#include <string>

#include "sim/config/platform_loader.hpp"
#include "sim/config/scenario_loader.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {
namespace {

Platform platform(const std::string& name) {
  return config::load_platform(std::string(PODSIM_SOURCE_DIR) + "/platforms/" + name + ".yaml");
}

}  // namespace

TEST_CASE("the v5e v5p and v6e platform files hold platforms/README.md section 8 numbers") {
  struct Row {
    const char* name;
    double flops, hbm_bps, ici;
    double hbm_gib;
    int pod_chips;
    std::array<int, 3> pod;
  };
  for (const Row& r : {Row{"tpu-v5e", 1.97e14, 8.1e11, 4.5e10, 16, 256, {16, 16, 1}},
                       Row{"tpu-v5p", 4.59e14, 2.8e12, 9e10, 96, 8960, {16, 20, 28}},
                       Row{"tpu-v6e", 9.2e14, 1.6e12, 9e10, 32, 256, {16, 16, 1}}}) {
    INFO(r.name);
    const Platform p = platform(r.name);
    CHECK(p.name == r.name);
    CHECK(p.chip.peak_flops_per_s == r.flops);
    CHECK(p.chip.hbm_bytes_per_s == r.hbm_bps);
    CHECK(p.chip.ici_link_bytes_per_s == r.ici);
    CHECK(double(p.chip.hbm_bytes) == r.hbm_gib * 1024 * 1024 * 1024);
    CHECK(p.slice_dims.at(r.pod_chips) == r.pod);
  }
}

TEST_CASE("LLaMA 3 70B decode on a 16-chip v5e slice is a 4x4x1 mesh") {
  const Scenario s = config::load_scenario(
      std::string(PODSIM_SOURCE_DIR) + "/scenarios/t2-high-throughput-decode.yaml",
      {"platform=tpu-v5e", "topology=4x4x1", "model=llama-3-70b", "batch=16", "input_tokens=128",
       "generate_tokens=1"},
      PODSIM_SOURCE_DIR);
  CHECK(s.shape.dims == std::array<int, 3>{4, 4, 1});
  CHECK(s.shape.wraps == std::array<bool, 3>{false, false, false});
  const Trace trace = generate_trace(s);
  // bf16 weights of 69.5e9 parameters over 16 chips: about 8.7 GB of the 16 GiB per chip.
  CHECK(trace.memory.fits);
  CHECK(double(trace.memory.weights_bytes) == Approx(2 * s.model.parameters() / 16).epsilon(0.02));
  // No collective of the step runs over z (size 1: no links there).
  for (const LayerTrace& layer : trace.steps.front().layers)
    for (const Op& op : layer.ops)
      if (op.kind == OpKind::collective) CHECK_FALSE(op.collective.axes.contains(Axis::z));
}

}  // namespace podsim
