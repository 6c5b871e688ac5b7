#pragma once
// Teaching mode (`podsim explain`): a collective walked through step by step from the simulated
// events of its Timeline — which chip sends which chunk to whom in each step, the bytes on each
// link, the time of each step — with the closed-form time beside the simulated one and the
// reason for any difference (latency-bound, contention, mesh axis).
//
// Steps come from the timeline's transfer tags (timeline.hpp): a "stream" is one channel of the
// program (one ring phase and direction; the all-to-all's and the permute's single exchange),
// and its step s is the s-th transfer between each pair of chips on it. Streams that run at the
// same time share a phase number and differ by a letter ("phase 1a", "phase 1b": the two
// directions of a bidirectional ring, and the parts of a concurrent multi-axis collective). What
// a chunk *is* (whose shard, which partial sum) follows from the algorithm
// (sim/program/algorithms.hpp) and is named per collective kind in chunk_namer().
//
// One rate model: every closed form here, the per-step ones and the total, uses the effective
// link rate (ici_link_bytes_per_s x ici_efficiency) and the hop latency per hop before a message
// moves, the only per-message cost the replay has; the output names that rate. "Contention"
// means two or more flows moving on one directed link at the same moment, counted from the
// simulated transfers and their routes.
//
// Looped CollectiveEinsum (sim/program/looped_einsum.hpp) is explained by explain_looped_einsum:
// chunk by chunk, which matmul chunk the MXU works on while which halves travel.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/analytic/collective_cost.hpp"
#include "sim/partition/collective.hpp"
#include "sim/program/looped_einsum.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/timeline.hpp"

namespace podsim {

// What the walk-through lists (the analysis always covers every transfer of the slice).
struct ExplainOptions {
  int group = 0;                // the group whose transfers are listed (groups_of order); -1 = all
  std::int32_t first_step = 1;  // steps listed in each stream, 1-based and inclusive
  std::int32_t last_step = -1;  // -1: to the last
};

struct ExplainTransfer {
  ChipId from = 0, to = 0;
  Bytes bytes = 0;
  int hops = 0;
  Seconds start_s = 0, end_s = 0;  // ready to send; data in at the receiver
  std::string chunk;               // what it carries
};

struct ExplainStep {
  int stream = 0;         // index into Explanation::streams
  int step = 0;           // 1-based
  int steps = 0;          // steps of the stream
  bool listed = true;     // within ExplainOptions' steps
  Seconds start_s = 0, end_s = 0;  // over every chip of the slice
  std::vector<ExplainTransfer> transfers;  // the listed group's (see Explanation::group)
  std::size_t slice_transfers = 0;         // over the whole slice
  double max_link_bytes = 0;               // the most bytes any link carried in this step
  std::size_t links_used = 0;              // links that carried this step's bytes
  Seconds closed_form_s = 0;               // the step's closed form (0 where there is none)
  std::vector<std::string> compute;        // looped einsum: the MXU chunks during the step
};

struct ExplainStream {
  std::string title;  // "phase 1a: all-gather over x (K = 4, ...), direction +x"
  std::string label;  // "1a": streams with the same number run at the same time
  int phase = 0;      // 1-based phase within its part
  int part = 0;       // 0-based part (concurrent multi-axis: one per axis; else 0)
  int sign = +1;      // direction along the ring
  bool ring = false;  // a ring/line phase (its steps have closed forms that add up)
  int steps = 0;
};

struct Explanation {
  std::string header;                 // what ran, the algorithm in one paragraph, the rates
  std::string rates;                  // the rate model in one line
  std::vector<ChipId> group;          // the chips whose transfers are listed
  std::vector<ExplainStream> streams;
  std::vector<ExplainStep> steps;     // by phase, part, direction, then step
  Seconds simulated_s = 0;
  CollectiveEstimate closed_form;
  bool closed_form_is_bound = false;  // all-to-all: the closed form is a lower bound
  std::size_t transfers = 0;          // over the whole slice
  std::size_t contended = 0;          // transfers that shared a link with another flow
  int max_flows_on_link = 0;          // the most flows moving on one link at once
  std::vector<std::string> reasons;   // why simulated and closed form differ (or agree)
  std::string text;                   // the whole walk-through as text
  std::vector<HtmlStep> html_steps;   // the same, one entry per listed step, for the HTML page
};

// Requires `timeline` to be the full (unfiltered) timeline of exactly this collective on `torus`,
// lowered by append_collective as `podsim collective` does. Throws InputError("--group" or
// "--steps") when `options` name a group or steps that do not exist.
Explanation explain_collective(const Timeline& timeline, const CollectiveSpec& spec,
                               const Torus& torus, const ChipSpec& chip,
                               const ExplainOptions& options = {});

// The looped einsum's pipeline closed form on an otherwise idle slice: the own chunk, then K-1
// steps per direction, each step's halves moving in l + half/b while the MXU computes the halves
// already in (all-gather then einsum), or the partial sums leaving as soon as computed and added
// (einsum then reduce-scatter). `chunk_s` is the MXU time of one half-chunk (the einsum's core
// time / 2K). Returns the finishing time of a chip.
Seconds looped_einsum_closed_form(LoopedKind kind, const CollectiveSpec& spec, const Torus& torus,
                                  const ChipSpec& chip, Seconds chunk_s);

// Requires `timeline` to be the full timeline of append_looped_einsum(kind, spec, work) alone on
// `torus` (one label). `chunk_s` as above.
Explanation explain_looped_einsum(const Timeline& timeline, LoopedKind kind,
                                  const CollectiveSpec& spec, const Torus& torus,
                                  const ChipSpec& chip, Seconds chunk_s,
                                  const ExplainOptions& options = {});

// The walk-through as data (`podsim explain --format json`, docs/outputs.md): the totals, the
// rates, the listed group, the streams and the listed steps with their transfers, and the
// reasons; times in seconds, sizes in bytes, chips and links by name ("c(1,0,0)").
nlohmann::json explanation_json(const Explanation& ex, const Torus& torus);

}  // namespace podsim
