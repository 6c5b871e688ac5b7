#include "sim/report/timeline_explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <unordered_map>

#include "sim/core/quantity_parse.hpp"
#include "sim/program/algorithms.hpp"

namespace podsim {

namespace {

// `explain` writes sizes up to TiB ("1024 TiB", not "1 PiB"), as it always has.
std::string bytes_text(double bytes) { return format_bytes(bytes, ByteUnit::TiB); }

std::string chip_text(const Torus& torus, ChipId c) {
  const Coord at = torus.coord(c);
  return fmt::format("c({},{},{})", at.v[0], at.v[1], at.v[2]);
}

// One stream of the program: a channel, with what the algorithm does on it.
struct StreamInfo {
  bool ring = false;     // a ring/line phase (else all-to-all or permute)
  RingPhase phase{Axis::x, 0, false};
  RingAlgorithm algorithm = RingAlgorithm::bidir_ring;
  int sign = +1;         // direction along the ring
};

// Channel -> what runs on it. Ring collectives allocate two channels per phase, parts after
// parts, phases in order (algorithms.cpp: append_ring_collective / append_ring_phase); the
// all-to-all and the permute use one channel.
std::vector<StreamInfo> explain_phases(const CollectiveSpec& spec, const TorusShape& shape) {
  std::vector<StreamInfo> out;
  if (spec.kind == CollectiveKind::all_to_all || spec.kind == CollectiveKind::permute) {
    out.push_back(StreamInfo{});
    return out;
  }
  for (const auto& phases : ring_collective_parts(spec, shape))
    for (const RingPhase& phase : phases) {
      const RingAlgorithm algorithm = effective_algorithm(spec.algorithm, shape, phase.axis);
      out.push_back(StreamInfo{true, phase, algorithm, +1});
      out.push_back(StreamInfo{true, phase, algorithm, -1});
    }
  return out;
}

// Names the chunk a transfer of step `step` on `stream` carries.
using ChunkNamer =
    std::function<std::string(const StreamInfo& stream, ChipId from, ChipId to, int step)>;

ChunkNamer chunk_namer(const CollectiveSpec& spec, const Torus& torus) {
  switch (spec.kind) {
    case CollectiveKind::all_to_all:
      return [&torus](const StreamInfo&, ChipId from, ChipId to, int) {
        return fmt::format("{}'s chunk for {}", chip_text(torus, from), chip_text(torus, to));
      };
    case CollectiveKind::permute:
      return [&torus](const StreamInfo&, ChipId from, ChipId, int) {
        return fmt::format("the whole buffer of {}", chip_text(torus, from));
      };
    // Looped CollectiveEinsum goes here: its permute steps carry the next chunk of the einsum.
    default:
      break;
  }
  return [&torus](const StreamInfo& s, ChipId from, ChipId, int step) -> std::string {
    const std::vector<ChipId> ring = torus.ring_of(from, s.phase.axis);
    const int k = static_cast<int>(ring.size());
    const int p = static_cast<int>(std::find(ring.begin(), ring.end(), from) - ring.begin());
    const bool line = s.algorithm == RingAlgorithm::line;
    const char* part = s.algorithm == RingAlgorithm::bidir_ring ? "half of " : "";
    if (!s.phase.reduce) {
      // All-gather: at step s a chip forwards the shard it received at step s-1, which started
      // s-1 chips back along the stream.
      const int origin = ((p - s.sign * (step - 1)) % k + k) % k;
      return fmt::format("{}the shard of {}", part, chip_text(torus, ring[origin]));
    }
    int dest;
    if (line) {
      // The partial sum for chip d leaves the chain's start at step k-d and moves one chip a step.
      const int q = s.sign > 0 ? p : k - 1 - p;
      const int d = q + k - step;
      dest = s.sign > 0 ? d : k - 1 - d;
    } else {
      dest = ((p - s.sign * step) % k + k) % k;
    }
    if (dest < 0 || dest >= k) return "a partial sum";
    return fmt::format("{}the partial sum for {}", part, chip_text(torus, ring[dest]));
  };
}

}  // namespace

Explanation explain_collective(const Timeline& timeline, const CollectiveSpec& spec,
                               const Torus& torus, const ChipSpec& chip) {
  Explanation ex;
  ex.simulated_s = timeline.makespan_s;
  ex.closed_form = collective_estimate(spec, torus.shape(), chip);
  const std::vector<StreamInfo> info = explain_phases(spec, torus.shape());
  const ChunkNamer name_chunk = chunk_namer(spec, torus);
  ex.group = groups_of(torus, spec.axes).front();
  std::vector<bool> in_group(torus.chip_count(), false);
  for (ChipId c : ex.group) in_group[c] = true;
  // The effective link rate (peak x ici_efficiency), the one the replay's links run at and the
  // closed forms use, so that a step's closed form and the total agree and a transfer below it
  // really shared a link.
  const double bw = chip.effective_ici_link_bytes_per_s(), lat = chip.ici_hop_latency_s;

  // When each transfer's data is in: the end of its receive.
  std::unordered_map<std::int64_t, Seconds> arrived;
  for (const TimelineTask& t : timeline.tasks)
    if (t.track == Track::ici_recv && t.flow >= 0) arrived[t.flow] = t.end_s;

  // Sends by (channel, step).
  std::map<std::pair<int, int>, std::vector<const TimelineTask*>> by_step;
  std::map<int, int> steps_of;
  for (const TimelineTask& t : timeline.tasks)
    if (t.track == Track::ici_send) {
      by_step[{t.channel, t.step}].push_back(&t);
      steps_of[t.channel] = std::max(steps_of[t.channel], t.step);
    }

  // Header.
  const std::string what = fmt::format("{} over {} on {}, {} per chip", collective_kind_name(spec.kind),
                                       spec.axes.name(), torus.shape().name(),
                                       bytes_text(static_cast<double>(spec.bytes)));
  std::string wraps;
  for (Axis a : kAxes)
    if (torus.shape().wrapped(a)) wraps += axis_name(a);
  ex.header = fmt::format("{} (wraparound: {}).\n", what, wraps.empty() ? "none" : wraps);
  for (Axis a : spec.axes.axes()) {
    const int k = torus.shape().size(a);
    const RingAlgorithm alg = effective_algorithm(spec.algorithm, torus.shape(), a);
    if (spec.kind == CollectiveKind::all_to_all || spec.kind == CollectiveKind::permute) break;
    ex.header += fmt::format(
        "Axis {} (K = {}): {}.\n", axis_name(a), k,
        alg == RingAlgorithm::bidir_ring
            ? fmt::format("bidirectional ring: half of every shard goes each way round, K-1 = {} "
                          "steps per direction", k - 1)
        : alg == RingAlgorithm::ring
            ? fmt::format("unidirectional ring: K-1 = {} steps of one shard each", k - 1)
            : fmt::format("line (mesh axis, no wraparound): a chain each way, K-1 = {} pipelined "
                          "steps per direction", k - 1));
  }
  if (spec.kind == CollectiveKind::all_to_all)
    ex.header += "Every chip sends one chunk (1/group of its buffer) to every other chip of its "
                 "group at once, each along its dimension-order route (x, then y, then z): one "
                 "step in which links contend.\n";
  if (spec.kind == CollectiveKind::permute)
    ex.header += "Every chip sends its whole buffer to the next chip of its group (x fastest, "
                 "cyclically): one step.\n";
  if (spec.axes.size() > 1 && spec.kind != CollectiveKind::all_to_all &&
      spec.kind != CollectiveKind::permute)
    ex.header += fmt::format("Several axes, {}: {}.\n", multi_axis_name(spec.multi_axis),
                             spec.multi_axis == MultiAxis::concurrent
                                 ? "the data is split into one part per axis, each part visiting "
                                   "the axes in a rotated order, so every axis works in every phase"
                                 : "one axis after the other");
  const std::size_t groups = groups_of(torus, spec.axes).size();
  ex.header += fmt::format("{} group{} of {} chips run{} at once; the transfers of the group of {} "
                           "are listed.\n",
                           groups, groups == 1 ? "" : "s", ex.group.size(), groups == 1 ? "s" : "",
                           chip_text(torus, ex.group.front()));

  std::string text = ex.header;
  int phase_number = 0;
  std::size_t slower = 0, transfers = 0;
  double slowest_rate = bw;
  for (const auto& [channel, steps] : steps_of) {
    const StreamInfo s = channel < static_cast<int>(info.size()) ? info[channel] : StreamInfo{};
    ExplainStream stream;
    stream.steps = steps;
    if (s.ring) {
      if (channel % 2 == 0 || !steps_of.contains(channel - 1)) ++phase_number;
      stream.title = fmt::format(
          "phase {}: {} over {} (K = {}, {} per chip at this phase), direction {}{}",
          phase_number, s.phase.reduce ? "reduce-scatter" : "all-gather", axis_name(s.phase.axis),
          torus.shape().size(s.phase.axis), bytes_text(static_cast<double>(s.phase.larger_bytes)),
          s.sign > 0 ? '+' : '-', axis_name(s.phase.axis));
    } else {
      stream.title = fmt::format("{}: every transfer at once", collective_kind_name(spec.kind));
    }
    const int stream_index = static_cast<int>(ex.streams.size());
    ex.streams.push_back(stream);
    text += fmt::format("\n{}\n", stream.title);
    for (int step = 1; step <= steps; ++step) {
      const auto it = by_step.find({channel, step});
      if (it == by_step.end()) continue;
      ExplainStep st;
      st.stream = stream_index;
      st.step = step;
      st.steps = steps;
      st.start_s = std::numeric_limits<double>::infinity();
      std::unordered_map<LinkId, double> load;
      Bytes message = 0;
      for (const TimelineTask* t : it->second) {
        const auto in = arrived.find(t->flow);
        const Seconds end = in != arrived.end() ? in->second : t->end_s;
        st.start_s = std::min(st.start_s, t->start_s);
        st.end_s = std::max(st.end_s, end);
        const std::vector<Hop> route = torus.route(t->chip, t->peer);
        for (const Hop& hop : route) load[Torus::link_id(hop.from, hop.direction)] += t->bytes;
        ++st.slice_transfers;
        message = std::max(message, t->bytes);
        // The transfer's own rate, once its hop latency is paid: below the link bandwidth means
        // it shared a link.
        const double moving = end - t->start_s - static_cast<double>(route.size()) * lat;
        const double rate = moving > 0 ? static_cast<double>(t->bytes) / moving : bw;
        ++transfers;
        if (rate < bw * (1 - 1e-6)) {
          ++slower;
          slowest_rate = std::min(slowest_rate, rate);
        }
        if (in_group[t->chip])
          st.transfers.push_back(ExplainTransfer{t->chip, t->peer, t->bytes,
                                                 static_cast<int>(route.size()), t->start_s, end,
                                                 name_chunk(s, t->chip, t->peer, step)});
      }
      st.links_used = load.size();
      for (const auto& [link, bytes] : load) st.max_link_bytes = std::max(st.max_link_bytes, bytes);
      if (s.ring) {
        st.closed_form_s = lat + static_cast<double>(message) / bw;
        if (s.phase.reduce)
          st.closed_form_s +=
              (s.algorithm == RingAlgorithm::ring ? 1 : 2) * kReduceHbmBytesPerByte *
              static_cast<double>(message) / chip.effective_hbm_bytes_per_s();
      } else {
        st.closed_form_s = ex.closed_form.time_s;
      }
      text += fmt::format("  step {}/{}  {} -> {}  ({}; closed form {})\n", step, steps,
                          format_seconds(st.start_s), format_seconds(st.end_s),
                          format_seconds(st.end_s - st.start_s), format_seconds(st.closed_form_s));
      HtmlStep html;
      html.title = fmt::format("{} - step {} of {}", stream.title, step, steps);
      html.start_s = st.start_s;
      html.end_s = st.end_s;
      constexpr std::size_t kShown = 16;
      for (std::size_t i = 0; i < st.transfers.size(); ++i) {
        const ExplainTransfer& x = st.transfers[i];
        const std::string line = fmt::format(
            "{} -> {}  {} ({} B), {} hop{}: {}", chip_text(torus, x.from), chip_text(torus, x.to),
            bytes_text(static_cast<double>(x.bytes)), x.bytes, x.hops, x.hops == 1 ? "" : "s",
            x.chunk);
        if (i < kShown) text += fmt::format("    {}\n", line);
        html.lines.push_back(line);
      }
      if (st.transfers.size() > kShown)
        text += fmt::format("    ... and {} more transfers of this group\n",
                            st.transfers.size() - kShown);
      const std::string links_line = fmt::format(
          "links: {} carried this step's {} transfers (whole slice); the busiest carried {}",
          st.links_used, st.slice_transfers, bytes_text(st.max_link_bytes));
      text += fmt::format("    {}\n", links_line);
      html.lines.push_back(links_line);
      ex.html_steps.push_back(std::move(html));
      ex.steps.push_back(std::move(st));
    }
  }

  // Simulated against closed form, and why they differ.
  const double ratio = ex.closed_form.time_s > 0 ? ex.simulated_s / ex.closed_form.time_s : 0;
  if (std::abs(ratio - 1) < 1e-6)
    ex.reasons.push_back(fmt::format(
        "They agree to rounding: nothing contends, and every step costs one hop latency per hop "
        "plus its message over the effective link rate ({:.4g} GB/s = {:.4g} GB/s x "
        "ici_efficiency {:.3g}), as the closed form assumes.",
        bw / 1e9, chip.ici_link_bytes_per_s / 1e9, chip.ici_efficiency));
  if (ex.closed_form.latency_bound())
    ex.reasons.push_back(fmt::format(
        "Latency-bound: the hop latencies ({}) outweigh the time to move the bytes ({}); larger "
        "messages or fewer steps would help.",
        format_seconds(ex.closed_form.latency_s), format_seconds(ex.closed_form.bandwidth_s)));
  for (Axis a : spec.axes.axes())
    if (!torus.shape().wrapped(a))
      ex.reasons.push_back(fmt::format(
          "Mesh axis {}: no wraparound link, so the data crosses the line's middle links{}",
          axis_name(a),
          torus.shape().size(a) > 2
              ? " (a line of K chips takes 2(K-1) steps where a bidirectional ring takes K-1: "
                "about twice the time)."
              : " (with K = 2 the line and the ring are the same two links)."));
  if (slower > 0)
    ex.reasons.push_back(fmt::format(
        "Contention: {} of {} transfers shared a link with another (the slowest moved at {:.4g} "
        "GB/s of {:.4g}); max-min fair sharing stretches them.",
        slower, transfers, slowest_rate / 1e9, bw / 1e9));
  if (spec.kind == CollectiveKind::reduce_scatter || spec.kind == CollectiveKind::all_reduce)
    ex.reasons.push_back("Reduce-scatter adds: each received chunk is added in HBM (3 bytes moved "
                         "per byte) before it is forwarded; the closed form adds that time per "
                         "step, the simulation overlaps the two directions' adds on one HBM.");
  if (std::abs(ratio - 1) >= 1e-6 && ex.reasons.empty())
    ex.reasons.push_back("The closed form is an estimate of the busiest path; the simulation "
                         "schedules every transfer.");
  text += fmt::format("\nsimulated    {}\nclosed form  {} (latency {} + bandwidth {}); "
                      "simulated / closed form = {:.4f}\n",
                      format_seconds(ex.simulated_s), format_seconds(ex.closed_form.time_s),
                      format_seconds(ex.closed_form.latency_s), format_seconds(ex.closed_form.bandwidth_s),
                      ratio);
  for (const std::string& r : ex.reasons) text += fmt::format("  - {}\n", r);
  ex.text = std::move(text);
  return ex;
}

}  // namespace podsim
