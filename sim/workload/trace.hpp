#pragma once
// Trace: the SPMD program of one scenario, as the replay consumes it. Every op runs on every chip
// of the slice with the same per-chip numbers (the layouts shard evenly). A trace is a complete,
// inspectable intermediate: trace_json.hpp writes and reads it, and a hand-edited trace replays.
//
// A step is one forward pass (prefill: B x L tokens; decode: one token per sequence). Its layers
// are the embedding, the transformer layer (`repeat` = number of layers, all identical) and the
// final norm + logits.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sim/partition/collective.hpp"
#include "sim/core/units.hpp"
#include "sim/workload/scenario.hpp"

namespace podsim {

enum class OpKind { einsum, elementwise, collective };
std::string_view op_kind_name(OpKind kind);  // "einsum" | "elementwise" | "collective"
OpKind parse_op_kind(std::string_view text, const std::string& key,
                     const SourceLocation& where = {});

struct Op {  // one SPMD op: every chip of the slice runs it with these per-chip numbers
  OpKind kind = OpKind::einsum;
  std::string name;           // unique within its layer: "q_ffn_in", "ffn_out", "layernorm", ...
  std::string equation;       // einsum: "BLE,EF->BLF"; empty otherwise
  std::string shapes;         // per-chip sharded shapes, "BLE_x, E_xF_yz -> BLF_yz {partialsum-x}"
  Flops flops = 0;            // per chip: matmul FLOPs (einsum), vector ops (elementwise)
  Flops attention_flops = 0;  // part of `flops` that is attention (QK^T, AV)
  // Part of `flops` that other chips compute too (the multiquery K/V projection replicated over
  // the head-sharded axes): unique work of the slice = chips x (flops - redundant_flops).
  Flops redundant_flops = 0;
  Bytes weight_bytes = 0;      // HBM bytes read per chip for weights (int8 halves these)
  Bytes kv_bytes = 0;          // HBM bytes read per chip for the KV cache
  Bytes activation_bytes = 0;  // HBM bytes of activations read + written per chip
  std::array<long long, 3> matmul_mkn{0, 0, 0};  // per-chip M, K, N of one matmul (einsum)
  long long matmul_batch = 1;  // independent matmuls of that M, K, N (the attention's sequences)
  CollectiveSpec collective;   // kind == collective: op, axes, per-chip bytes (larger side)
  // Collective only: the einsum of the same layer it is fused with as a Looped CollectiveEinsum
  // (an all-gather feeding it, or a reduce-scatter draining it). Empty: runs on its own.
  std::string looped_with;
};

struct LayerTrace {
  std::string name;  // "embedding", "transformer", "final"
  int repeat = 1;    // identical consecutive layers
  std::vector<Op> ops;
};

struct StepTrace {
  Phase phase = Phase::prefill;  // prefill | decode (a step is never Phase::generate)
  // The move between the phases of a per-phase generate run (step_generator.hpp
  // transition_step): the KV cache re-laid out from the prefill's sharding to the decode's. It
  // has phase prefill (it runs once, simulated on its own like a prefill pass, never
  // interpolated like decode steps), new_tokens 0 and context input_tokens.
  bool transition = false;
  long long batch = 0;       // sequences
  long long new_tokens = 0;  // L of this pass (per sequence)
  long long context = 0;     // cached positions per sequence before this pass (prefill: 0;
                             // decode step i: input_tokens + i); attention reads context + L
  long long attended() const { return context + new_tokens; }
  // "prefill", "decode" or "transition", as the JSON outputs name a step.
  std::string_view phase_label() const { return transition ? "transition" : phase_name(phase); }
  std::vector<LayerTrace> layers;
};

// Per chip, the largest footprint over the run (the KV cache at its longest).
struct MemoryPlan {
  Bytes weights_bytes = 0;
  Bytes kv_bytes = 0;
  Bytes activation_bytes = 0;  // peak working set of one op + the residual stream
  Bytes hbm_bytes = 0;         // capacity per chip
  bool fits = false;
  Bytes total_bytes() const { return weights_bytes + kv_bytes + activation_bytes; }
};

struct Trace {
  Scenario scenario;
  MemoryPlan memory;
  std::vector<StepTrace> steps;
};

}  // namespace podsim
