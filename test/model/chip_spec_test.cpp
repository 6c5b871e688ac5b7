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

}  // namespace podsim
