#pragma once
// The step generator: one forward pass of a scenario -> StepTrace, the per-chip SPMD program of
// its layers (pure C++). trace_generator.hpp assembles a run's steps; memory_plan.hpp sizes the
// working set of a step.
//
// Each step has three layers: `embedding` (table lookup, and for weight-gathered layouts the
// reshard to the layout's batch sharding), `transformer` (one layer, repeated model.layers times)
// and `final` (final norm and the logits of the last token of every sequence). The transformer
// layer follows the data flow of the scenario's layout (sim/partition/layout.hpp): per block an
// input all-gather, the input einsum, a reduce-scatter, attention and/or the activation, an
// all-gather, the output einsum and a reduce-scatter; the parallel block (PaLM) fuses the
// attention's Q (and multihead K, V) projection into the FFN input einsum and its output
// projection into the FFN output einsum, so they share collectives (paper §3.2;
// platforms/README.md §3).
//
// Counting conventions (each op's numbers are per chip):
//  - einsum flops = 2 M K N (x matmul_batch); the multiquery K/V projection, which head-sharded
//    layouts compute on every chip of a head group, carries that duplicate share in
//    redundant_flops.
//  - Attention executes QK^T and AV over all attended positions: in prefill the full L x L
//    (causal masking does not skip work in the paper's implementation), in decode context + 1.
//  - Logits are computed for the last token of each sequence only (what generation needs), so a
//    prefill step's unembedding costs 2 V E per sequence, not per token.
//  - The embedding table (V x E, shared with the unembedding) is stored VE_xyz; the lookup is
//    local and the logits einsum ends with a reduce-scatter over the vocab. Where d_model does
//    not divide over every chip, the table is V_R E_{xyz-R} (R the residual batch axes,
//    partition/layout.hpp): the lookup is summed over R by a reduce-scatter, and the logits
//    all-gather the batch over R and reduce-scatter over xyz - R.
//  - Collective bytes are the paper's per-chip size of the larger side (all-gather output,
//    reduce-scatter input, all-reduce and all-to-all buffer).

#include "sim/workload/scenario.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// One forward pass of `new_tokens` tokens per sequence after `context` cached positions.
// `step_phase` is Phase::prefill or Phase::decode. Requires validate_scenario to have passed.
StepTrace generate_step(const Scenario& scenario, Phase step_phase, long long new_tokens,
                        long long context);

// Per-chip totals of one layer (or a whole step) from its ops, for reports and tests.
struct OpTotals {
  Flops flops = 0, attention_flops = 0, redundant_flops = 0;
  Bytes weight_bytes = 0, kv_bytes = 0, activation_bytes = 0;
  Bytes collective_bytes = 0;  // sum of CollectiveSpec::bytes
};
OpTotals totals(const LayerTrace& layer);  // one instance of the layer (ignores repeat)
OpTotals totals(const StepTrace& step);    // the whole step, repeats included

}  // namespace podsim
