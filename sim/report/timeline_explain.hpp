#pragma once
// Teaching mode (`podsim explain`): a collective walked through step by step from the simulated
// events of its Timeline — which chip sends which chunk to whom in each step, the bytes on each
// link, the time of each step — with the closed-form time beside the simulated one and the
// reason for any difference (latency-bound, contention, mesh axis).
//
// Steps come from the timeline's transfer tags (timeline.hpp): a "stream" is one channel of the
// program (one ring phase and direction; the all-to-all's and the permute's single exchange),
// and its step s is the s-th transfer between each pair of chips on it. What a chunk *is* (whose
// shard, which partial sum) follows from the algorithm (sim/program/algorithms.hpp) and is
// named by a ChunkNamer chosen per collective kind in chunk_namer(): the extension point for
// collectives still to come (Looped CollectiveEinsum: add its kind there, naming the chunk of
// the einsum each permute step carries, and its phases to explain_phases()).

#include <string>
#include <vector>

#include "sim/analytic/collective_cost.hpp"
#include "sim/partition/collective.hpp"
#include "sim/report/html_report.hpp"
#include "sim/report/timeline.hpp"

namespace podsim {

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
  Seconds start_s = 0, end_s = 0;  // over every chip of the slice
  std::vector<ExplainTransfer> transfers;  // the shown group's (see Explanation::group)
  std::size_t slice_transfers = 0;         // over the whole slice
  double max_link_bytes = 0;               // the most bytes any link carried in this step
  std::size_t links_used = 0;              // links that carried this step's bytes
  Seconds closed_form_s = 0;               // the step's closed form (0 where there is none)
};

struct ExplainStream {
  std::string title;  // "phase 1: all-gather over x (K = 4), direction +x"
  int steps = 0;
};

struct Explanation {
  std::string header;                 // what ran, the algorithm in one paragraph
  std::vector<ChipId> group;          // the group whose transfers are listed (chip 0's)
  std::vector<ExplainStream> streams;
  std::vector<ExplainStep> steps;     // by stream, then step
  Seconds simulated_s = 0;
  CollectiveEstimate closed_form;
  std::vector<std::string> reasons;   // why simulated and closed form differ (or agree)
  std::string text;                   // the whole walk-through as text
  std::vector<HtmlStep> html_steps;   // the same, one entry per step, for the HTML page
};

// Requires `timeline` to be the full (unfiltered) timeline of exactly this collective on `torus`,
// lowered by append_collective as `podsim collective` does.
Explanation explain_collective(const Timeline& timeline, const CollectiveSpec& spec,
                               const Torus& torus, const ChipSpec& chip);

}  // namespace podsim
