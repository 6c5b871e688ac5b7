#pragma once
// What one einsum or element-wise op of a trace costs one chip under the platform's chip model:
// the single place where MXU tile efficiency, achievable MXU fraction, vector-unit work and int8
// dequantisation are applied. The replay lowers these numbers to SimGrid activities; the report
// uses the same numbers to split a step's time into compute, weight/KV loading and the rest.

#include "sim/workload/trace.hpp"

namespace podsim {

// int8 weights are converted to bf16 on the vector unit before the matmul (paper §4.4): one
// conversion and one scaling per weight element.
inline constexpr double kDequantOpsPerWeight = 2.0;

struct EinsumWork {
  Flops mxu_flops = 0;     // MXU work, tile efficiency and achievable fraction applied
  Bytes hbm_bytes = 0;     // weights + KV cache + activations, per chip
  Flops vector_flops = 0;  // vector-unit work (element-wise ops, int8 dequantisation)
};

EinsumWork work_of(const Op& op, const Scenario& scenario);

// Seconds of core work (MXU at peak, vector work at the vector rate; 0 without a vector rate).
Seconds core_seconds(const EinsumWork& work, const ChipSpec& chip);
// Core work of a Looped CollectiveEinsum's chunks together: core_flops at loop_chunk_efficiency
// of the einsum's rate (imperfect overlap, platforms/README.md §5).
Flops loop_core_flops(const EinsumWork& work, const ChipSpec& chip);
Seconds loop_core_seconds(const EinsumWork& work, const ChipSpec& chip);  // the same, in seconds
// Core work expressed as MXU FLOPs (the replay runs vector work on the same core).
Flops core_flops(const EinsumWork& work, const ChipSpec& chip);

}  // namespace podsim
