#include "sim/workload/op_cost.hpp"

namespace podsim {

EinsumWork work_of(const Op& op, const Scenario& scenario) {
  const ChipSpec& chip = scenario.platform.chip;
  EinsumWork work;
  work.hbm_bytes = op.weight_bytes + op.kv_bytes + op.activation_bytes;
  if (op.kind == OpKind::einsum) {
    const auto& [m, k, n] = op.matmul_mkn;
    work.mxu_flops = op.flops / (mxu_shape_efficiency(chip, m, k, n) * chip.mxu_efficiency);
    if (scenario.weights == WeightDtype::int8)
      work.vector_flops = kDequantOpsPerWeight * static_cast<double>(op.weight_bytes);
  } else {
    work.vector_flops = op.flops;
  }
  return work;
}

Flops core_flops(const EinsumWork& work, const ChipSpec& chip) {
  return work.mxu_flops + (chip.vector_flops_per_s > 0
                               ? work.vector_flops * chip.peak_flops_per_s / chip.vector_flops_per_s
                               : 0.0);
}

Flops loop_core_flops(const EinsumWork& work, const ChipSpec& chip) {
  return core_flops(work, chip) / chip.loop_chunk_efficiency;
}

Seconds core_seconds(const EinsumWork& work, const ChipSpec& chip) {
  return core_flops(work, chip) / chip.peak_flops_per_s;
}

Seconds loop_core_seconds(const EinsumWork& work, const ChipSpec& chip) {
  return core_seconds(work, chip) / chip.loop_chunk_efficiency;
}

}  // namespace podsim
