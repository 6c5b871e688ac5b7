// The chip model's MXU tile arithmetic, worked by hand.

#include <catch2/catch.hpp>

#include "sim/model/chip_spec.hpp"
#include "test/support/specs.hpp"

namespace podsim {

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
      CHECK_FALSE(implausible(f, f.get(chip)));
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
