// What one op costs a chip (op_cost.hpp) against numbers worked by hand from the chip model: MXU
// tile padding (128-wide K and N, 8-row M granule), the achievable MXU fraction, int8
// dequantisation on the vector unit (2 ops per weight, paper §4.4) and the vector rate.

#include <catch2/catch.hpp>

#include "sim/workload/op_cost.hpp"
#include "sim/workload/scenario.hpp"

namespace podsim {
namespace {

Scenario scenario_with(WeightDtype weights) {
  Scenario s;
  s.platform.chip.peak_flops_per_s = 200e12;
  s.platform.chip.mxu_efficiency = 0.8;
  s.platform.chip.vector_flops_per_s = 4e12;
  s.weights = weights;
  return s;
}

Op einsum(long long m, long long k, long long n) {
  Op op;
  op.kind = OpKind::einsum;
  op.matmul_mkn = {m, k, n};
  op.flops = 2.0 * m * k * n;
  op.weight_bytes = 1000;
  op.kv_bytes = 200;
  op.activation_bytes = 30;
  return op;
}

}  // namespace

TEST_CASE("an aligned bf16 einsum costs its FLOPs over the achievable MXU fraction") {
  const Scenario s = scenario_with(WeightDtype::bf16);
  const Op op = einsum(1024, 4096, 8192);
  const EinsumWork work = work_of(op, s);
  CHECK(work.mxu_flops == Approx(2.0 * 1024 * 4096 * 8192 / 0.8));
  CHECK(work.vector_flops == 0);
  CHECK(work.hbm_bytes == 1230);  // weights + KV cache + activations
  CHECK(core_seconds(work, s.platform.chip) == Approx(2.0 * 1024 * 4096 * 8192 / 0.8 / 200e12));
}

TEST_CASE("a padded einsum pays for the whole tiles it occupies") {
  const Scenario s = scenario_with(WeightDtype::bf16);
  // M = 4 of an 8-row granule, K = 64 of 128, N = 200 of 256: the MXU does 8 x 128 x 256 worth.
  const Op op = einsum(4, 64, 200);
  const double padded = 2.0 * 8 * 128 * 256;
  CHECK(work_of(op, s).mxu_flops == Approx(padded / 0.8));
}

TEST_CASE("int8 weights add two vector ops per weight byte, run at the vector rate") {
  const Scenario s = scenario_with(WeightDtype::int8);
  const Op op = einsum(1024, 4096, 8192);
  const EinsumWork work = work_of(op, s);
  CHECK(work.vector_flops == Approx(2.0 * 1000));
  // Vector work expressed as MXU FLOPs: 2000 ops at 4e12/s take as long as 1e5 FLOPs at 200e12/s.
  CHECK(core_flops(work, s.platform.chip) == Approx(work.mxu_flops + 2000.0 * 200e12 / 4e12));
  CHECK(core_seconds(work, s.platform.chip) ==
        Approx(work.mxu_flops / 200e12 + 2000.0 / 4e12));
}

TEST_CASE("an element-wise op is vector work only, and free without a vector rate") {
  Scenario s = scenario_with(WeightDtype::bf16);
  Op op;
  op.kind = OpKind::elementwise;
  op.flops = 6e9;
  op.activation_bytes = 512;
  const EinsumWork work = work_of(op, s);
  CHECK(work.mxu_flops == 0);
  CHECK(work.vector_flops == 6e9);
  CHECK(work.hbm_bytes == 512);
  CHECK(core_seconds(work, s.platform.chip) == Approx(6e9 / 4e12));
  s.platform.chip.vector_flops_per_s = 0;
  CHECK(core_seconds(work, s.platform.chip) == 0);
}

}  // namespace podsim
