#pragma once
// The memory planner: what one chip holds (weights, KV cache, activations) against its HBM, and
// the refusal of a scenario that does not fit, with the numbers and the smallest changes that
// would make it fit.

#include <string>
#include <vector>

#include "sim/workload/scenario.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// Per chip, at the largest point of the run:
//  - weights: every matrix in its stored sharding (layers x (W_in + W_out [+ the multiquery K/V
//    projection or grouped K/V heads that do not divide, replicated in groups where the layout
//    cannot split them]) + the embedding table VE_xyz, or
//    V_R E_{xyz-R} with residual batch axes R: V E / n either way),
//    at the scenario's weight type;
//  - KV cache: sequences per chip x max_context x 2 (K, V) x kv heads per chip x d_head x 2 B x
//    layers; head-sharded multiquery keeps every sequence's cache on every chip of a head group,
//    batch-sharded attention divides the sequences by the chip count (paper §3.3); grouped K/V
//    heads per chip are KvHeads::attended (split where they divide, a chip's groups where not);
//  - activations: the largest working set of one op (its inputs and outputs, or a gathered
//    weight buffer: whole when collective_einsum is off, two of K chunks when looped) plus the
//    residual stream B_{batch+R} L E_{residual_e-R} (the same elements per chip for any R).
// Requires validate_scenario to have passed.
MemoryPlan plan_memory(const Scenario& scenario);

// One change to a scenario that makes its memory plan fit, e.g. "weights: int8".
struct MemoryFix {
  std::string change;  // "batch: 16", "chips: 128 (8x4x4)", ...
  MemoryPlan plan;     // the plan after the change
};
// The single changes that fit, in order of how little they change the run: int8 weights,
// batch-sharded attention, the largest smaller batch, the longest shorter context, the smallest
// larger slice of the platform. Empty when none does.
std::vector<MemoryFix> memory_fixes(const Scenario& scenario);

// "palm-540b on 8 chips needs 140.20 GiB per chip (weights ... + KV cache ... + activations ...)
// but HBM holds 32.00 GiB; any of these fits: ...".
std::string memory_refusal_message(const Scenario& scenario, const MemoryPlan& plan);

// Throws InputError (at the scenario's `model` key) with memory_refusal_message when the plan
// does not fit and the scenario does not allow oversubscription.
void enforce_memory_fits(const Scenario& scenario, const MemoryPlan& plan);

}  // namespace podsim
