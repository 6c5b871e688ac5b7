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
//    A token-split prefill (partition/layout.hpp) computes L / |S| queries per sequence on each
//    chip against all L positions, after an all-gather of K and V over S
//    (allgather_S_kv_positions), and the final layer first reduce-scatters the last position of
//    each sequence over S (reducescatter_S_last).
//  - Logits are computed for the last token of each sequence only (what generation needs), so a
//    prefill step's unembedding costs 2 V E per sequence, not per token.
//  - The embedding table (V x E, shared with the unembedding) is stored VE_xyz; the lookup is
//    local and the logits einsum ends with a reduce-scatter over the vocab. Where d_model does
//    not divide over every chip, the table is V_R E_{xyz-R} (R the residual batch axes,
//    partition/layout.hpp): the lookup is summed over R by a reduce-scatter, and the logits
//    all-gather the batch over R and reduce-scatter over xyz - R.
//  - Collective bytes are the paper's per-chip size of the larger side (all-gather output,
//    reduce-scatter input, all-reduce and all-to-all buffer).

#include <optional>
#include <string>

#include "sim/workload/scenario.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// One forward pass of `new_tokens` tokens per sequence after `context` cached positions.
// `step_phase` is Phase::prefill or Phase::decode. Requires validate_scenario to have passed.
StepTrace generate_step(const Scenario& scenario, Phase step_phase, long long new_tokens,
                        long long context);

// One step of a mixed run (Phase::mixed): the decode pass of the scenario's batch (one new token
// per sequence after `context` cached positions) fused with a chunk of `chunk_tokens` tokens of
// one new prompt whose first `chunk_context` positions are cached. The einsums, the collectives
// and the element-wise ops see batch + chunk_tokens rows at once (one fused pass, as chunked
// prefill does: Agrawal et al., "SARATHI: Efficient LLM Inference by Piggybacking Decodes with
// Chunked Prefills", arXiv 2308.16369); the attention is per part (AttnPart): the decode tokens
// over their caches with the scenario's attention sharding, the chunk's tokens over the
// chunk_context + chunk_tokens positions of the prompt so far with head-sharded attention
// (chunk_scenario). The step whose chunk ends the prompt (chunk_context + chunk_tokens ==
// prompt_tokens) also computes the logits of the prompt's last position: its first token. With
// chunk_tokens 0 the ops are those of generate_step(scenario, decode, 1, context). Requires
// validate_scenario (mixed_problem) to have passed.
StepTrace generate_mixed_step(const Scenario& scenario, long long context, long long chunk_tokens,
                              long long chunk_context);

// How the KV cache moves between the phases of a per-phase generate run, when the prefill's
// attention sharding and the decode's differ: the cache B_{a}T[H_{h}]Q of every layer (sequences
// over the attention batch axes a, K/V heads over h) is re-laid out once, after the prefill wrote
// input_tokens positions of it.
//  - none: the same sharding (e.g. wg-xyz prefill and ws-2d decode, both batch-sharded: B_xyz).
//  - local: each chip already holds what the decode needs (a replicated multiquery cache, head-
//    sharded prefill, that the decode splits over the batch): it keeps its share, nothing moves.
//  - all_to_all: the same bytes per chip, split differently (multihead or grouped heads-sharded
//    BTH_{xyz}Q to batch-sharded B_{xyz}THQ): every chip sends each peer of the changed axes its
//    part, an all-to-all over those axes of the per-chip cache of a layer. Grouped K/V heads
//    that divide over the head-sharded columns move the same way.
//  - all_gather: the decode holds more per chip (a batch-sharded multiquery cache that head-
//    sharded decode replicates, or a token-split prefill's positions B T_S Q that the decode
//    needs whole, partition/layout.hpp): an all-gather over the axes the batch or the positions
//    leave. (The prefill's per-layer K/V all-gather had every position on every chip for a
//    moment, but it keeps only its own as the cache: keeping all would multiply its cache by
//    |S| in every layer. The positions arrive in zig-zag order, which attention does not mind:
//    RoPE and the mask go by position.)
struct KvTransition {
  enum class Kind { none, local, all_to_all, all_gather };
  Kind kind = Kind::none;
  AxisSet axes;                  // all_to_all, all_gather: the collective's axes
  Bytes bytes_per_layer = 0;     // per chip, the collective's buffer (larger side), one layer
  Bytes cache_bytes_prefill = 0;  // per chip, all layers, as the prefill leaves it
  Bytes cache_bytes_decode = 0;   // per chip, all layers, as the decode needs it
  std::string from, to;          // the cache's sharding in the notation, e.g. "BTH_xyzQ"
};
std::string_view kv_transition_kind_name(KvTransition::Kind kind);  // "none", "local", ...
// Requires a per-phase scenario with both layouts decided and valid; a scenario that is not per
// phase gets Kind::none. Throws InputError (at attention) for a change of sharding it cannot
// lower as one all-to-all or all-gather.
KvTransition kv_transition(const Scenario& scenario);
// The transition step (StepTrace::transition) of a kv_transition that moves bytes: one layer
// "kv_transition", repeated model.layers times, holding the collective. std::nullopt when
// nothing moves.
std::optional<StepTrace> transition_step(const Scenario& scenario);

// Per-chip totals of one layer (or a whole step) from its ops, for reports and tests.
struct OpTotals {
  Flops flops = 0, attention_flops = 0, redundant_flops = 0;
  Bytes weight_bytes = 0, kv_bytes = 0, activation_bytes = 0;
  Bytes collective_bytes = 0;  // sum of CollectiveSpec::bytes
};
OpTotals totals(const LayerTrace& layer);  // one instance of the layer (ignores repeat)
OpTotals totals(const StepTrace& step);    // the whole step, repeats included

}  // namespace podsim
