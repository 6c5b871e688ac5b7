// The analytic layout costs against the paper's own simplifications (platforms/README.md §3).
#include "sim/analytic/layout_cost.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace podsim;

namespace {
TorusShape cube(int k) {
  TorusShape s;
  s.dims = {k, k, k};
  s.wraps = {true, true, true};
  return s;
}
// PaLM 540B's plain FFN (F = 4E) as in the paper's formulas.
LayoutCostInputs palm(double tokens) {
  return LayoutCostInputs{1, tokens, 18432, 73728, 73728, 2, 2};
}
}  // namespace

TEST_CASE("2D weight-stationary with F = 4E costs 8 B L E / sqrt(n) on 4x4x4") {
  // platforms/README.md §3: best split X = 0.5 sqrt(n) = 4, YZ = 2 sqrt(n) = 16 (bytes: x 2 for
  // bf16).
  const double BL = 2048, E = 18432;
  const LayoutCommVolume v = layout_comm_volume(FfnLayout::ws_2d, cube(4), palm(BL));
  CHECK(v.total_bytes() == Approx(8 * BL * E / std::sqrt(64.0) * 2));
  // 1D is 2 B L E, flat in n; 2D beats it beyond 16 chips.
  CHECK(layout_comm_volume(FfnLayout::ws_1d, cube(4), palm(BL)).total_bytes() == 2 * BL * E * 2);
}

TEST_CASE("PaLM 540B layout switch points on 4x4x4 are about 18k / 74k and 885k tokens") {
  // platforms/README.md §3: by volume alone, 2D WS -> wg-x at ~18k tokens per batch, -> wg-xy at
  // ~74k,
  // -> wg-xyz at ~885k.
  const std::vector<FfnLayout> all(kFfnLayouts.begin(), kFfnLayouts.end());
  const auto best = [&](double tokens) { return cheapest_layout(all, cube(4), palm(tokens)); };
  CHECK(best(1) == FfnLayout::ws_2d);
  CHECK(best(17000) == FfnLayout::ws_2d);
  CHECK(best(19500) == FfnLayout::wg_x);
  CHECK(best(70000) == FfnLayout::wg_x);
  CHECK(best(78000) == FfnLayout::wg_xy);
  CHECK(best(860000) == FfnLayout::wg_xy);
  CHECK(best(910000) == FfnLayout::wg_xyz);
}

TEST_CASE("weight-gathered traffic: weights 2 E F N / n / activations 2 B L E / N") {
  const double E = 18432, F = 73728, BL = 4096;
  const LayoutCommVolume x = layout_comm_volume(FfnLayout::wg_x, cube(4), palm(BL));
  CHECK(x.weight_bytes == Approx(2 * E * F * 4 / 64 * 2));
  CHECK(x.activation_bytes == Approx(2 * BL * E / 4 * 2));
  CHECK(x.weight_transfer_bytes == Approx(x.weight_bytes * 3 / 4));
  CHECK(x.activation_transfer_bytes == Approx(x.activation_bytes * 15 / 16));
  const LayoutCommVolume xyz = layout_comm_volume(FfnLayout::wg_xyz, cube(4), palm(BL));
  CHECK(xyz.activation_bytes == 0);
  CHECK(xyz.weight_bytes == Approx(2 * E * F * 2));
}
