// The chip field table (chip_spec.hpp): every ChipSpec field is in it once, a platform file
// setting every field reads back the hand-written values, and the fittable fields are the ones
// calibration documents. The chip model's MXU tile arithmetic, worked by hand.

#include "sim/model/chip_spec.hpp"

#include <catch2/catch.hpp>
#include <algorithm>
#include <fstream>
#include <set>
#include <string>

#include "sim/config/platform_loader.hpp"
#include "sim/core/env.hpp"
#include "test/support/specs.hpp"

namespace podsim {

TEST_CASE("the chip field table lists every ChipSpec field once", "[chip]") {
  const std::vector<std::string_view> expected = {
      "name",           "peak_flops_per_s",   "hbm_bytes",      "hbm_bytes_per_s",
      "ici_link_bytes_per_s", "ici_hop_latency_s", "ici_links", "mxu_tile",
      "mxu_row_granule", "mxu_efficiency",    "loop_chunk_efficiency", "hbm_efficiency", "ici_efficiency",
      "vector_flops_per_s", "op_overhead_s",  "collective_overhead_s", "ici_message_overhead_s"};
  REQUIRE(chip_field_keys() == expected);
  for (std::string_view key : expected) REQUIRE(find_chip_field(key) != nullptr);
  REQUIRE(find_chip_field("hbm_bandwidth") == nullptr);
  REQUIRE(fittable_chip_fields() ==
          std::vector<std::string>{"mxu_efficiency", "loop_chunk_efficiency", "hbm_efficiency", "ici_efficiency",
                                   "vector_flops_per_s", "op_overhead_s", "collective_overhead_s",
                                   "ici_message_overhead_s"});
  REQUIRE(find_chip_field("mxu_efficiency")->fit == ChipFit::bounded);
  // Every fittable field has a documented range with its source, inside its plausibility bound.
  for (const std::string& key : fittable_chip_fields()) {
    const ChipField& f = *find_chip_field(key);
    INFO(key);
    REQUIRE(f.prior.documented());
    REQUIRE(std::string(f.prior.source).size() > 20);
    REQUIRE(f.prior.min < f.prior.max);
    REQUIRE(!implausible(f, f.prior.max).has_value());
    if (f.prior.min > 0) REQUIRE(!implausible(f, f.prior.min).has_value());
  }
}

TEST_CASE("the shipped TPU v4 platform keeps every model term inside its documented range", "[chip]") {
  const Platform p = config::load_platform(std::string(PODSIM_SOURCE_DIR) + "/platforms/tpu-v4.yaml");
  for (const ChipField& f : chip_fields()) {
    if (!f.prior.documented()) continue;
    INFO(f.key);
    const double v = chip_field_value(p.chip, f);
    REQUIRE(v >= f.prior.min);
    REQUIRE(v <= f.prior.max);
  }
  REQUIRE(p.fitted.size() <= 6);
  // The two fits use disjoint parameters.
  for (const std::string& name : p.fitted)
    REQUIRE(std::find(p.fitted_network.begin(), p.fitted_network.end(), name) == p.fitted_network.end());
}

TEST_CASE("a platform file setting every chip field reads back each value", "[chip]") {
  const TempDir dir("podsim_chip_test_");
  const std::string path = dir.file("every.yaml");
  std::ofstream(path) << "name: every\n"
                         "chip:\n"
                         "  name: Test chip\n"
                         "  peak_flops_per_s: 1.5e14\n"
                         "  hbm_bytes: 16GiB\n"
                         "  hbm_bytes_per_s: 9e11\n"
                         "  ici_link_bytes_per_s: 4e10\n"
                         "  ici_hop_latency_s: 2e-6\n"
                         "  ici_links: 6\n"
                         "  mxu_tile: 64\n"
                         "  mxu_row_granule: 16\n"
                         "  mxu_efficiency: 0.5\n"
                         "  loop_chunk_efficiency: 0.8\n"
                         "  hbm_efficiency: 0.25\n"
                         "  ici_efficiency: 0.75\n"
                         "  vector_flops_per_s: 3e12\n"
                         "  op_overhead_s: 1e-6\n"
                         "  collective_overhead_s: 5e-6\n"
                         "  ici_message_overhead_s: 2e-6\n"
                         "slices:\n"
                         "  8: 2x2x2\n";
  const ChipSpec c = config::load_platform(path).chip;
  REQUIRE(c.name == "Test chip");
  REQUIRE(c.peak_flops_per_s == 1.5e14);
  REQUIRE(c.hbm_bytes == 16ULL << 30);
  REQUIRE(c.hbm_bytes_per_s == 9e11);
  REQUIRE(c.ici_link_bytes_per_s == 4e10);
  REQUIRE(c.ici_hop_latency_s == 2e-6);
  REQUIRE(c.ici_links == 6);
  REQUIRE(c.mxu_tile == 64);
  REQUIRE(c.mxu_row_granule == 16);
  REQUIRE(c.mxu_efficiency == 0.5);
  REQUIRE(c.loop_chunk_efficiency == 0.8);
  REQUIRE(c.hbm_efficiency == 0.25);
  REQUIRE(c.ici_efficiency == 0.75);
  REQUIRE(c.vector_flops_per_s == 3e12);
  REQUIRE(c.op_overhead_s == 1e-6);
  REQUIRE(c.collective_overhead_s == 5e-6);
  REQUIRE(c.ici_message_overhead_s == 2e-6);
  // Bandwidth times efficiency, the chip's achieved rates.
  REQUIRE(c.effective_ici_link_bytes_per_s() == 3e10);
  REQUIRE(c.effective_hbm_bytes_per_s() == 2.25e11);
  REQUIRE(c.effective_peak_flops_per_s() == 7.5e13);
}

TEST_CASE("MXU efficiency is one for aligned shapes and lower for small ones") {
  const ChipSpec chip = test::tpu_v4_chip();
  CHECK(mxu_shape_efficiency(chip, 1024, 4096, 8192) == 1.0);
  // A decode matmul with 4 rows per chip uses 4 of the 8 rows of a tile.
  CHECK(mxu_shape_efficiency(chip, 4, 4096, 8192) == Approx(0.5));
  // K = 64 fills half of a 128-wide tile, N = 200 fills 200 of 256.
  CHECK(mxu_shape_efficiency(chip, 8, 64, 200) == Approx(0.5 * 200.0 / 256.0));
}

namespace {
const ChipField& field(const std::string& key) {
  for (const ChipField& f : chip_fields())
    if (key == f.key) return f;
  FAIL("no chip field " << key);
  return chip_fields().front();
}
}  // namespace

TEST_CASE("every TPU generation from v2 to v6e is within the plausibility bounds") {
  // bf16 FLOP/s, HBM bytes, HBM B/s, ICI B/s per link one way: v4-v6e from the scaling book's TPU
  // tables; v2 and v3 from Google Cloud's TPU documentation (45 and 123 TFLOP/s, 16 and 32 GiB,
  // 700 and 900 GB/s; their links are taken as v4's).
  struct Generation {
    const char* name;
    double flops, hbm, hbm_bw, ici;
  };
  const Generation generations[] = {
      {"v2", 45e12, 16.0 * (1 << 30), 700e9, 45e9},  {"v3", 123e12, 32.0 * (1 << 30), 900e9, 45e9},
      {"v4", 275e12, 32.0 * (1 << 30), 1.2e12, 45e9}, {"v5p", 459e12, 96e9, 2.8e12, 90e9},
      {"v5e", 197e12, 16e9, 810e9, 45e9},              {"v6e", 920e12, 32e9, 1.6e12, 90e9},
  };
  for (const Generation& g : generations) {
    INFO(g.name);
    ChipSpec chip = test::tpu_v4_chip();
    chip.peak_flops_per_s = g.flops;
    chip.hbm_bytes = static_cast<Bytes>(g.hbm);
    chip.hbm_bytes_per_s = g.hbm_bw;
    chip.ici_link_bytes_per_s = g.ici;
    for (const ChipField& f : chip_fields()) {
      INFO(f.key);
      CHECK_FALSE(implausible(f, chip_field_value(chip, f)));
    }
  }
}

TEST_CASE("a unit slip is refused with the bound, its reason and the value probably meant") {
  CHECK(implausible(field("peak_flops_per_s"), 275) ==
        "275 is below 1e12 FLOP/s (the slowest TPU, v2, peaks at 4.5e13); did you mean 275e12?");
  CHECK(implausible(field("op_overhead_s"), 4.45) ==
        "4.45 is above 0.001 s (over 200 times the 4.5e-6 s fitted for TPU v4); did you mean "
        "4.45e-6?");
  // No suggestion when the value times the slip is absurd too.
  CHECK(implausible(field("ici_link_bytes_per_s"), 1e-300) ==
        "1e-300 is below 1e9 B/s (one way on one link, TPU v4 and v5e move 4.5e10 B/s)");
  // Zero switches an overhead off; it is not a slip.
  CHECK_FALSE(implausible(field("op_overhead_s"), 0));
  CHECK_FALSE(implausible(field("vector_flops_per_s"), 0));
  CHECK(implausible(field("vector_flops_per_s"), 8.6));
}

}  // namespace podsim
