#pragma once
// Trace: the SPMD program of one scenario, as the replay consumes it. Every op runs on every chip
// of the slice with the same per-chip numbers (the layouts shard evenly). A trace is a complete,
// inspectable intermediate: trace_json.hpp writes and reads it, and a hand-edited trace replays.
//
// A step is one forward pass (prefill: B x L tokens; decode: one token per sequence). Its layers
// are the embedding, the transformer layer (`repeat` = number of layers, all identical) and the
// final norm + logits.

#include <array>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <iterator>
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
  Phase phase = Phase::prefill;  // prefill | decode | mixed (a step is never Phase::generate)
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
  // Mixed steps (step_generator.hpp generate_mixed_step): beside the batch's new_tokens, a chunk
  // of chunk_tokens of one new prompt whose first chunk_context positions are cached; its
  // attention reads chunk_context + chunk_tokens. 0 in other steps.
  long long chunk_tokens = 0;
  long long chunk_context = 0;
  // "prefill", "decode", "mixed" or "transition", as the JSON outputs name a step.
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

// The steps of a trace, in order: the stored ones (a prefill step, or every step of a trace file),
// then, for a generated trace, its decode steps, made on demand from their index by a function
// (generate_trace: decode step i is generate_step(scenario, decode, 1, input_tokens + i)). A
// decode step's ops, names, equations and shapes took ~10 kB each when stored, so that a run's
// memory grew by that much per generated token (issue 14: `generate_tokens` 10000 on the toy
// scenario peaked at 140 MB); made on demand, it does not grow with the steps (only the step
// times, a few doubles per step, are kept).
//
// Steps are returned by value: `const StepTrace& s = steps[i]` and `for (const StepTrace& s :
// steps)` keep the step alive, but a reference into a member of it (`steps[i].layers[0]`) does
// not outlive the statement. Changing a step means building new steps (to_vector, then assign).
class TraceSteps {
 public:
  using Maker = std::function<StepTrace(long long index)>;

  TraceSteps() = default;
  TraceSteps(std::initializer_list<StepTrace> steps) : stored_(steps) {}
  TraceSteps(std::vector<StepTrace> steps) : stored_(std::move(steps)) {}  // NOLINT: implicit

  // Appends a stored step; requires that no made steps were appended yet.
  void push_back(StepTrace step);
  // Appends `count` steps of `phase`, the k-th of them make(k), after the stored ones.
  void append_made(long long count, Phase phase, Maker make);

  std::size_t size() const { return stored_.size() + static_cast<std::size_t>(made_count_); }
  bool empty() const { return size() == 0; }
  StepTrace operator[](std::size_t i) const;
  StepTrace front() const { return (*this)[0]; }
  StepTrace back() const { return (*this)[size() - 1]; }
  // The phase of step i, without making it.
  Phase phase(std::size_t i) const;
  // Its label as the outputs name it ("prefill", "decode", "transition"), without making it.
  std::string_view phase_label(std::size_t i) const;
  // Keeps the first n steps.
  void resize(std::size_t n);
  // Every step, made (memory grows with the steps: for small traces and tests).
  std::vector<StepTrace> to_vector() const;

  class const_iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = StepTrace;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = StepTrace;
    const_iterator(const TraceSteps* steps, std::size_t i) : steps_(steps), i_(i) {}
    StepTrace operator*() const { return (*steps_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const TraceSteps* steps_;
    std::size_t i_;
  };
  const_iterator begin() const { return {this, 0}; }
  const_iterator end() const { return {this, size()}; }

 private:
  std::vector<StepTrace> stored_;
  long long made_count_ = 0;
  Phase made_phase_ = Phase::decode;
  Maker make_;
};

struct Trace {
  Scenario scenario;
  MemoryPlan memory;
  TraceSteps steps;
};

}  // namespace podsim
