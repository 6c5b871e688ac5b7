#pragma once
// Lowering of a Trace to the chips' task graphs (pure C++: no SimGrid here). Each op of a layer
// runs after the previous one on every chip:
//   einsum / elementwise: the MXU work (flops at peak) and the HBM traffic (weights, KV cache,
//     activations) start together and the op ends when both end: the roofline max(flops/peak,
//     bytes/bandwidth), resolved by SimGrid;
//   collective: the point-to-point algorithm of algorithms.hpp;
//   with `collective_einsum: looped`, an all-gather feeding an einsum or a reduce-scatter
//   draining one becomes a Looped CollectiveEinsum (looped_einsum.hpp).
// Chip-model terms (ChipSpec): MXU work is divided by the shape efficiency on the systolic tiles
// and the achievable MXU fraction; element-wise and dequantisation work runs on the core at the
// vector rate; every op and collective pays its fixed overhead as a delay before it.
//
// Periodicity (sim/README.md §7): the `repeat` identical layers of a step are simulated
// `kSampledRepeats` times and the rest extrapolated from the last simulated period, unless
// `exact`. A test proves the extrapolation matches the full simulation on small models.

#include <map>
#include <string>
#include <vector>

#include "sim/program/program.hpp"
#include "sim/workload/trace.hpp"

namespace podsim {

// Layers simulated per repeated layer on the fast path: the first absorbs the start-up, the
// second and third give the steady-state period.
inline constexpr int kSampledRepeats = 3;

// Where each simulated layer instance ends, as mark indices into the replay's mark times.
struct LayerMarks {
  int repeat = 1;         // the trace's repeat count
  int simulated = 1;      // instances simulated
  std::vector<int> ends;  // mark index of the end of each simulated instance
};
struct StepMarks {
  int start = -1;  // mark index of the step's start (-1: the step starts at time 0)
  std::vector<LayerMarks> layers;
};

struct LoweredTrace {
  Program program;
  std::vector<StepMarks> steps;
};

// Memoisation of ops, for the folded replay only. Every op runs after the previous one on every
// chip, and in the folded replay every chip is the representative translated (program/fold.hpp),
// so when an op starts, nothing of any earlier op is still running anywhere: no flow, no MXU or
// HBM work, no pending delay. Its duration then depends on nothing but its own tasks, and a
// collective or Looped CollectiveEinsum with the same parameters as an earlier one (same kind,
// axes, bytes, algorithm, ring order, einsum work and overheads: the same tasks) takes exactly
// as long. Its later instances are lowered as one delay each, whose length the replay measures
// on the first (Task::memo). The per-chip replay, where chips may drift apart, never memoises.
// Tests compare memoised folded runs with the per-chip replay.
struct OpMemo {
  std::map<std::string, std::int32_t> span_of;  // op signature -> ChipProgram::memo_spans index
};

// Throws InputError for a collective the slice cannot run (validate_collective).
LoweredTrace lower_trace(const Trace& trace, const Torus& torus, bool exact);
// The same into `empty` (no tasks yet), e.g. a Program::subset that lowers only some chips;
// `memoise` lowers repeated ops as delays (OpMemo: folded replay only).
LoweredTrace lower_trace(const Trace& trace, const Torus& torus, bool exact, Program empty,
                         bool memoise = false);

// The Looped CollectiveEinsums the lowering runs in `layer` (einsum index -> collective index):
// with `collective_einsum: looped`, the pairs of the trace whose loop beats the plain collective
// and einsum by looped_estimate, as a compiler's cost model would keep them; else none.
std::map<std::size_t, std::size_t> kept_loops(const TorusShape& shape, const Scenario& scenario,
                                              const LayerTrace& layer);

// Appends one instance of `layer` on every chip after `frontier` (labels: one per op), applying
// the chip model of the scenario's platform (MXU shape efficiency, vector work, per-op and
// per-collective overheads) and Looped CollectiveEinsum where the scenario asks for it.
// With `memo`, repeated collectives and looped einsums become delays (OpMemo).
void lower_layer(Program& program, const Torus& torus, const Scenario& scenario,
                 const LayerTrace& layer, const std::vector<std::int32_t>& labels,
                 Frontier& frontier, OpMemo* memo = nullptr);

// Step durations from the replay's mark times, extrapolating unsimulated repeats.
struct StepTiming {
  Seconds duration_s = 0;
  std::vector<Seconds> layer_s;  // per layer of the step, repeats included
};
std::vector<StepTiming> step_timings(const LoweredTrace& lowered, const std::vector<Seconds>& mark_s);

}  // namespace podsim
