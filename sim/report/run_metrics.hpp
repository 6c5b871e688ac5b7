#pragma once
// Metrics of a simulated run (sim/README.md §6), from the trace and the simulated step times:
// latencies, MFU, cost, the step breakdown and memory. Pure C++ (no SimGrid).

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/workload/trace.hpp"

namespace podsim {

// Where a step's time went: compute = core time of every op (chip model applied); weight, KV and
// other loading = HBM time beyond the core time, by bytes; other also holds per-op overheads;
// exposed communication = the rest of the simulated step (a chip waiting on ICI with nothing else
// to do; with looped collectives, what the loops did not hide).
// comm_s is what the step's collectives take on their own, one after another, on an idle slice
// (the closed forms of analytic/collective_cost plus each collective's overhead); the part of it
// that is not exposed was hidden behind compute (Looped CollectiveEinsum, overlapping ops).
struct Breakdown {
  Seconds compute_s = 0;
  Seconds weight_load_s = 0;
  Seconds kv_load_s = 0;
  Seconds exposed_comm_s = 0;
  Seconds other_s = 0;  // activations' HBM traffic of memory-bound ops, op overheads, comm_overhead_s
  Seconds comm_s = 0;   // the collectives on their own: closed form plus the per-collective overhead
  // Step time beyond the ops and beyond comm_s (part of other_s): what the collectives cost over
  // their closed form, from Looped CollectiveEinsum's per-chunk costs, hop latencies and link
  // contention. Without it, exposed communication could exceed the collectives' own time.
  Seconds comm_overhead_s = 0;
  Seconds hidden_comm_s() const { return comm_s > exposed_comm_s ? comm_s - exposed_comm_s : 0; }
  Breakdown& operator+=(const Breakdown& o);
};

struct RunMetrics {
  std::string path;  // how the step times were obtained (exact, or the fast path's shortcuts)
  Seconds prefill_s = 0;                 // 0 without a prefill step
  std::vector<Seconds> decode_steps_s;   // one per decode step
  Seconds decode_s = 0;                  // sum of the decode steps
  Seconds decode_step_s = 0;             // mean decode step (one token per sequence)
  Seconds transition_s = 0;              // the KV cache's move between per-phase layouts
  // Mixed runs (phase mixed; decode_steps_s above holds every step of the batch, mixed or not):
  // the steps that also prefilled a chunk of the prompt, their sum (the prompt's time to first
  // token: its last chunk's step computes its first token) and mean, and the mean of the steps
  // of the batch alone after them (0 when there are none).
  std::vector<Seconds> mixed_steps_s;
  Seconds time_to_first_token_s = 0;
  Seconds mixed_step_s = 0;
  Seconds decode_only_step_s = 0;
  Seconds total_s = 0;
  double prefill_mfu = 0, decode_mfu = 0, mfu = 0;
  double cost_chip_s_per_token = 0;      // chips x total time / tokens of the run's phase
  Breakdown breakdown;                   // the whole run
  std::vector<Seconds> step_s;             // per trace step, simulated
  std::vector<Breakdown> step_breakdowns;  // per trace step
  MemoryPlan memory;
};

// `step_s` holds the simulated duration of each trace step, in order.
// `path` says how the times were obtained (exact or which shortcuts), for the report.
RunMetrics compute_metrics(const Trace& trace, const std::vector<Seconds>& step_s,
                           const std::string& path);

// The JSON report: stable keys prefill_s, decode_step_s, decode_s, total_s, mfu, prefill_mfu,
// decode_mfu, cost_chip_s_per_token, breakdown{...}, steps[{phase, duration_s, comm_s,
// hidden_comm_s, exposed_comm_s}], memory{...}, path, scenario; for per-phase layouts also
// `layouts` {prefill, decode: {ffn_layout, attention}} and `transition` {...}; for mixed runs
// `mixed` {...} (docs/outputs.md).
nlohmann::json metrics_json(const Trace& trace, const RunMetrics& metrics);

// The short text table `podsim run` prints.
std::string metrics_text(const Trace& trace, const RunMetrics& metrics);

// What ran, from the resolved scenario (so that it follows every --set): "palm-540b, generate on
// 4x4x4 (64 chips): batch 64, 2048 input + 64 generated tokens; ws-2d, batch-sharded attention,
// int8 weights" (and "collective_einsum off" when it is). The header of the text report, the
// HTML title and the Perfetto metadata.
std::string scenario_summary(const Scenario& scenario);
// The warning a report prints for a run on a platform with `calibrated: false`.
std::string uncalibrated_note(const Platform& platform);

}  // namespace podsim
