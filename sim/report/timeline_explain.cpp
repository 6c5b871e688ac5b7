#include "sim/report/timeline_explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>

#include "sim/core/input_error.hpp"
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

std::string link_text(const Torus& torus, const Coord& at, Direction d) {
  return torus.link_name(Torus::link_id(torus.chip(at), d));
}

// One stream of the program: a channel, with what the algorithm does on it.
struct StreamInfo {
  bool ring = false;     // a ring/line phase (else all-to-all, permute or a looped einsum)
  RingPhase phase{Axis::x, 0, false};
  RingAlgorithm algorithm = RingAlgorithm::bidir_ring;
  int sign = +1;         // direction along the ring
  int part = 0;          // 0-based
  int phase_index = 0;   // 0-based within the part
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
  int part = 0;
  for (const auto& phases : ring_collective_parts(spec, shape)) {
    int index = 0;
    for (const RingPhase& phase : phases) {
      const RingAlgorithm algorithm = effective_algorithm(spec.algorithm, shape, phase.axis);
      out.push_back(StreamInfo{true, phase, algorithm, +1, part, index});
      out.push_back(StreamInfo{true, phase, algorithm, -1, part, index});
      ++index;
    }
    ++part;
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

// A send of the timeline with its route: the link interval during which it moves.
struct Moving {
  const TimelineTask* send = nullptr;
  Seconds from_s = 0, to_s = 0;  // after its hop latency, to its data being in
  int hops = 0;
};

// Which transfers shared a directed link with another flow moving at the same moment, and the
// most flows on one link at once: the definition of contention, counted from the routes.
struct Contention {
  std::vector<bool> shared;  // by index into the Moving list
  int max_flows = 0;
  LinkId max_link = -1;
};

Contention find_contention(const Torus& torus, const std::vector<Moving>& moving) {
  Contention c;
  c.shared.assign(moving.size(), false);
  std::unordered_map<LinkId, std::vector<std::size_t>> on_link;
  for (std::size_t i = 0; i < moving.size(); ++i)
    for (const Hop& hop : torus.route(moving[i].send->chip, moving[i].send->peer))
      on_link[Torus::link_id(hop.from, hop.direction)].push_back(i);
  // Simulated times carry rounding: intervals closer than this do not overlap.
  constexpr Seconds kTouch = 1e-12;
  std::vector<LinkId> ids;
  for (const auto& [link, list] : on_link) ids.push_back(link);
  std::sort(ids.begin(), ids.end());
  for (LinkId link : ids) {
    std::vector<std::size_t> list = on_link[link];
    std::sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) {
      return moving[a].from_s < moving[b].from_s;
    });
    using End = std::pair<Seconds, std::size_t>;
    std::priority_queue<End, std::vector<End>, std::greater<>> active;
    for (std::size_t i : list) {
      while (!active.empty() && active.top().first <= moving[i].from_s + kTouch) active.pop();
      if (moving[i].to_s - moving[i].from_s <= kTouch) continue;
      active.push({moving[i].to_s, i});
      if (active.size() >= 2) {
        std::priority_queue<End, std::vector<End>, std::greater<>> copy = active;
        for (; !copy.empty(); copy.pop()) c.shared[copy.top().second] = true;
      }
      if (static_cast<int>(active.size()) > c.max_flows) {
        c.max_flows = static_cast<int>(active.size());
        c.max_link = link;
      }
    }
  }
  return c;
}

// Finds the contention of `moving` and records its counts in `ex`.
Contention count_contention(const Torus& torus, const std::vector<Moving>& moving,
                            Explanation& ex) {
  Contention contention = find_contention(torus, moving);
  ex.transfers = moving.size();
  for (bool s : contention.shared) ex.contended += s;
  ex.max_flows_on_link = contention.max_flows;
  return contention;
}

std::string rates_text(const ChipSpec& chip, bool hbm) {
  return fmt::format(
      "Rates (the replay's, and every closed form here): each directed link moves {:.4g} GB/s, "
      "the effective rate = {:.4g} GB/s peak x ici_efficiency {:.3g}; each message first waits "
      "{} per hop (hop latency){}. Load and busy fractions are against the effective rate.",
      chip.effective_ici_link_bytes_per_s() / 1e9, chip.ici_link_bytes_per_s / 1e9,
      chip.ici_efficiency, format_seconds(chip.ici_hop_latency_s),
      hbm ? fmt::format("; reduce adds move 3 bytes per byte at the effective HBM rate {:.4g} GB/s",
                        chip.effective_hbm_bytes_per_s() / 1e9)
          : std::string());
}

char letter(int i) { return static_cast<char>('a' + std::min(i, 25)); }

std::vector<ChipId> listed_chips(const Torus& torus, const AxisSet& axes,
                                 const ExplainOptions& options) {
  const std::vector<std::vector<ChipId>> groups = groups_of(torus, axes);
  if (options.group == -1) {
    std::vector<ChipId> all(torus.chip_count());
    for (ChipId c = 0; c < torus.chip_count(); ++c) all[c] = c;
    return all;
  }
  if (options.group < 0 || options.group >= static_cast<int>(groups.size()))
    throw InputError("--group",
                     fmt::format("group {} does not exist: {} over {} has {} group{} (0 to {}), or "
                                 "'all'",
                                 options.group, torus.shape().name(), axes.name(), groups.size(),
                                 groups.size() == 1 ? "" : "s", groups.size() - 1));
  return groups[options.group];
}

bool step_listed(const ExplainOptions& options, int step) {
  return step >= options.first_step && (options.last_step < 0 || step <= options.last_step);
}

void check_steps(const ExplainOptions& options, int most_steps) {
  if (options.first_step > most_steps || options.first_step < 1 ||
      (options.last_step >= 0 && options.last_step < options.first_step))
    throw InputError("--steps", fmt::format("steps {}:{} list nothing: the longest stream has {} "
                                            "step{} (1 to {})",
                                            options.first_step,
                                            options.last_step < 0 ? std::string()
                                                                  : std::to_string(options.last_step),
                                            most_steps, most_steps == 1 ? "" : "s", most_steps));
}

std::string group_text(const Torus& torus, const AxisSet& axes, const ExplainOptions& options) {
  const std::size_t groups = groups_of(torus, axes).size();
  const std::size_t size = groups_of(torus, axes).front().size();
  const std::string which =
      options.group == -1
          ? std::string("the transfers of every group are listed")
          : fmt::format("the transfers of group {} (the chips of {}) are listed{}", options.group,
                        chip_text(torus, groups_of(torus, axes)[options.group].front()),
                        groups > 1 ? " (--group N or all for others)" : "");
  return fmt::format("{} group{} of {} chips run{} at once; {}.\n", groups, groups == 1 ? "" : "s",
                     size, groups == 1 ? "s" : "", which);
}

}  // namespace

Explanation explain_collective(const Timeline& timeline, const CollectiveSpec& spec,
                               const Torus& torus, const ChipSpec& chip,
                               const ExplainOptions& options) {
  Explanation ex;
  ex.simulated_s = timeline.makespan_s;
  ex.closed_form = collective_estimate(spec, torus.shape(), chip);
  const bool all_to_all = spec.kind == CollectiveKind::all_to_all;
  ex.closed_form_is_bound = all_to_all;
  const std::vector<StreamInfo> info = explain_phases(spec, torus.shape());
  const ChunkNamer name_chunk = chunk_namer(spec, torus);
  ex.group = listed_chips(torus, spec.axes, options);
  std::vector<bool> in_group(torus.chip_count(), false);
  for (ChipId c : ex.group) in_group[c] = true;
  // The effective link rate (peak x ici_efficiency), the one the replay's links run at and the
  // closed forms use, so that a step's closed form and the total agree.
  const double bw = chip.effective_ici_link_bytes_per_s(), lat = chip.ici_hop_latency_s;
  const bool reduces =
      spec.kind == CollectiveKind::reduce_scatter || spec.kind == CollectiveKind::all_reduce;
  ex.rates = rates_text(chip, reduces);

  // When each transfer's data is in: the end of its receive.
  std::unordered_map<std::int64_t, Seconds> arrived;
  for (const TimelineTask& t : timeline.tasks)
    if (t.track == Track::ici_recv && t.flow >= 0) arrived[t.flow] = t.end_s;

  // Sends by (channel, step), and every send's moving interval for the contention count.
  std::map<std::pair<int, int>, std::vector<const TimelineTask*>> by_step;
  std::map<int, int> steps_of;
  std::vector<Moving> moving;
  std::unordered_map<const TimelineTask*, std::size_t> moving_index;
  for (const TimelineTask& t : timeline.tasks)
    if (t.track == Track::ici_send) {
      by_step[{t.channel, t.step}].push_back(&t);
      steps_of[t.channel] = std::max(steps_of[t.channel], t.step);
      const auto in = arrived.find(t.flow);
      const int hops = torus.route_hops(t.chip, t.peer);
      moving_index[&t] = moving.size();
      moving.push_back(Moving{&t, t.start_s + hops * lat, in != arrived.end() ? in->second : t.end_s,
                              hops});
    }
  const Contention contention = count_contention(torus, moving, ex);
  int most_steps = 0;
  for (const auto& [channel, steps] : steps_of) most_steps = std::max(most_steps, steps);
  check_steps(options, std::max(1, most_steps));

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
                          "steps per direction, the two directions at once", k - 1)
        : alg == RingAlgorithm::ring
            ? fmt::format("unidirectional ring: K-1 = {} steps of one shard each", k - 1)
            : fmt::format("line (mesh axis, no wraparound): a chain each way, K-1 = {} pipelined "
                          "steps per direction, the two directions at once", k - 1));
  }
  if (all_to_all)
    ex.header += "Every chip sends one chunk (1/group of its buffer) to every other chip of its "
                 "group at once, each along its dimension-order route (x, then y, then z): one "
                 "step, in which flows that cross the same link share it.\n";
  if (spec.kind == CollectiveKind::permute)
    ex.header += "Every chip sends its whole buffer to the next chip of its group (x fastest, "
                 "cyclically): one step.\n";
  const std::size_t parts = info.empty() ? 1 : static_cast<std::size_t>(info.back().part) + 1;
  if (spec.axes.size() > 1 && !all_to_all && spec.kind != CollectiveKind::permute)
    ex.header += fmt::format(
        "Several axes, {}: {}.\n", multi_axis_name(spec.multi_axis),
        spec.multi_axis == MultiAxis::concurrent
            ? fmt::format("the data is split into {} parts, one per axis, each visiting the axes in "
                          "a rotated order, so every axis works in every phase: phase 1a, 1b, ... "
                          "run at the same time",
                          parts)
            : "one axis after the other");
  ex.header += group_text(torus, spec.axes, options);
  ex.header += ex.rates + "\n";

  // Streams in teaching order: by phase, then part, then direction (channels are by part).
  std::vector<int> channels;
  for (const auto& [channel, steps] : steps_of) channels.push_back(channel);
  const auto info_of = [&](int channel) {
    return channel < static_cast<int>(info.size()) ? info[channel] : StreamInfo{};
  };
  std::stable_sort(channels.begin(), channels.end(), [&](int a, int b) {
    const StreamInfo x = info_of(a), y = info_of(b);
    if (x.phase_index != y.phase_index) return x.phase_index < y.phase_index;
    return x.part < y.part;
  });

  std::string text = ex.header;
  std::map<std::pair<int, int>, HtmlStep> merged;  // (phase, step) -> the page's step
  std::map<std::pair<int, int>, std::vector<int>> merged_streams;
  std::map<int, int> letters;  // phase -> streams so far
  std::map<int, int> streams_in_phase;
  for (int channel : channels) ++streams_in_phase[info_of(channel).phase_index];
  std::size_t slower = 0;
  double slowest_rate = bw;
  int shown_phase = -1;
  // Closed form per (part, phase): the longest direction's sum of its steps.
  std::map<std::pair<int, int>, double> phase_closed;
  std::map<int, std::pair<Seconds, Seconds>> phase_span;
  for (int channel : channels) {
    const int steps = steps_of[channel];
    const StreamInfo s = info_of(channel);
    ExplainStream stream;
    stream.steps = steps;
    stream.ring = s.ring;
    stream.phase = s.phase_index + 1;
    stream.part = s.part;
    stream.sign = s.sign;
    const int together = streams_in_phase[s.phase_index];
    stream.label = together > 1 ? fmt::format("{}{}", stream.phase, letter(letters[s.phase_index]++))
                                : std::to_string(stream.phase);
    if (s.ring) {
      if (shown_phase != s.phase_index && together > 1)
        text += fmt::format("\nphase {}: {} streams run at the same time ({}{})\n", stream.phase,
                            together, parts > 1 ? fmt::format("{} parts x ", parts) : "",
                            "2 directions");
      shown_phase = s.phase_index;
      stream.title = fmt::format(
          "phase {}: {} over {} (K = {}, {} per chip at this phase){}, direction {}{}",
          stream.label, s.phase.reduce ? "reduce-scatter" : "all-gather", axis_name(s.phase.axis),
          torus.shape().size(s.phase.axis), bytes_text(static_cast<double>(s.phase.larger_bytes)),
          parts > 1 ? fmt::format(", part {} of {}", s.part + 1, parts) : "",
          s.sign > 0 ? '+' : '-', axis_name(s.phase.axis));
    } else {
      stream.title = fmt::format("{}: every transfer at once", collective_kind_name(spec.kind));
    }
    const int stream_index = static_cast<int>(ex.streams.size());
    ex.streams.push_back(stream);
    text += fmt::format("\n{}\n", stream.title);
    double stream_closed = 0;
    for (int step = 1; step <= steps; ++step) {
      const auto it = by_step.find({channel, step});
      if (it == by_step.end()) continue;
      ExplainStep st;
      st.stream = stream_index;
      st.step = step;
      st.steps = steps;
      st.listed = step_listed(options, step);
      st.start_s = std::numeric_limits<double>::infinity();
      std::unordered_map<LinkId, double> load;
      for (const TimelineTask* t : it->second) {
        const Moving& m = moving[moving_index.at(t)];
        st.start_s = std::min(st.start_s, t->start_s);
        st.end_s = std::max(st.end_s, m.to_s);
        for (const Hop& hop : torus.route(t->chip, t->peer))
          load[Torus::link_id(hop.from, hop.direction)] += t->bytes;
        ++st.slice_transfers;
        if (contention.shared[moving_index.at(t)]) {
          ++slower;
          const double moved = m.to_s - m.from_s;
          if (moved > 0) slowest_rate = std::min(slowest_rate, static_cast<double>(t->bytes) / moved);
        }
        if (in_group[t->chip])
          st.transfers.push_back(ExplainTransfer{t->chip, t->peer, t->bytes, m.hops, t->start_s,
                                                 m.to_s, name_chunk(s, t->chip, t->peer, step)});
      }
      st.links_used = load.size();
      for (const auto& [link, bytes] : load) st.max_link_bytes = std::max(st.max_link_bytes, bytes);
      st.closed_form_s = s.ring ? ring_step_estimate(s.phase, s.algorithm, torus.shape(), chip).time_s
                                : ex.closed_form.time_s;
      stream_closed += st.closed_form_s;
      auto& span = phase_span[s.phase_index];
      if (span.first == 0 && span.second == 0) span = {st.start_s, st.end_s};
      span.first = std::min(span.first, st.start_s);
      span.second = std::max(span.second, st.end_s);
      if (st.listed) {
        text += fmt::format("  step {}/{}  {} -> {}  ({}; {} {})\n", step, steps,
                            format_seconds(st.start_s), format_seconds(st.end_s),
                            format_seconds(st.end_s - st.start_s),
                            all_to_all ? "lower bound" : "closed form",
                            format_seconds(st.closed_form_s));
        // The HTML page steps through time: the same step of the streams that run at once
        // (the two directions, the parts) is one page step.
        HtmlStep& html = merged[{s.phase_index, step}];
        const bool fresh = html.lines.empty() && html.moves.empty();
        if (fresh) {
          html.start_s = st.start_s;
          html.end_s = st.end_s;
        }
        html.start_s = std::min(html.start_s, st.start_s);
        html.end_s = std::max(html.end_s, st.end_s);
        merged_streams[{s.phase_index, step}].push_back(stream_index);
        if (together > 1) html.lines.push_back(fmt::format("{}:", stream.title));
        for (const auto& [link, bytes] : load) html.links.push_back(link);
        constexpr std::size_t kShown = 16;
        for (std::size_t i = 0; i < st.transfers.size(); ++i) {
          const ExplainTransfer& x = st.transfers[i];
          const std::string line = fmt::format(
              "{} -> {}  {} ({} B), {} hop{}: {}", chip_text(torus, x.from), chip_text(torus, x.to),
              bytes_text(static_cast<double>(x.bytes)), x.bytes, x.hops, x.hops == 1 ? "" : "s",
              x.chunk);
          if (i < kShown) text += fmt::format("    {}\n", line);
          html.lines.push_back(line);
          html.moves.push_back(HtmlMove{x.from, x.to});
        }
        if (st.transfers.size() > kShown)
          text += fmt::format("    ... and {} more transfers of the listed chips\n",
                              st.transfers.size() - kShown);
        const std::string links_line = fmt::format(
            "links: {} carried this step's {} transfers (whole slice); the busiest carried {}",
            st.links_used, st.slice_transfers, bytes_text(st.max_link_bytes));
        text += fmt::format("    {}\n", links_line);
        html.lines.push_back(links_line);
      }
      ex.steps.push_back(std::move(st));
    }
    if (s.ring) {
      double& closed = phase_closed[{s.part, s.phase_index}];
      closed = std::max(closed, stream_closed);
      if (steps > 1 && step_listed(options, 1)) {
        const double shard =
            static_cast<double>(s.phase.larger_bytes) / torus.shape().size(s.phase.axis);
        const double message = s.algorithm == RingAlgorithm::bidir_ring ? shard / 2 : shard;
        text += fmt::format("  closed form of this stream: {} steps x ({} hop latency + {} / "
                            "{:.4g} GB/s{}) = {}\n",
                            steps, format_seconds(lat), bytes_text(message), bw / 1e9,
                            s.phase.reduce ? " + its adds" : "", format_seconds(stream_closed));
      }
    }
  }

  for (auto& [key, html] : merged) {
    const std::vector<int>& streams = merged_streams[key];
    const ExplainStream& first = ex.streams[streams.front()];
    const int steps = first.steps;
    if (streams.size() == 1) {
      html.title = fmt::format("{} - step {} of {}", first.title, key.second, steps);
    } else {
      std::string labels;
      for (int i : streams) labels += (labels.empty() ? "" : ", ") + ex.streams[i].label;
      html.title = fmt::format("phase {}, step {} of {}: {} streams at the same time ({})",
                               first.phase, key.second, steps, streams.size(), labels);
    }
    std::sort(html.links.begin(), html.links.end());
    html.links.erase(std::unique(html.links.begin(), html.links.end()), html.links.end());
    ex.html_steps.push_back(std::move(html));
  }

  // Simulated against closed form, and why they differ.
  const double ratio = ex.closed_form.time_s > 0 ? ex.simulated_s / ex.closed_form.time_s : 0;
  const bool agree = std::abs(ratio - 1) < 1e-6;
  if (agree && ex.contended == 0)
    ex.reasons.push_back(fmt::format(
        "They agree to rounding: no link ever carries two flows at once, and every step costs one "
        "hop latency per hop plus its message over the effective link rate ({:.4g} GB/s), as the "
        "closed form assumes.",
        bw / 1e9));
  if (ex.closed_form.latency_bound())
    ex.reasons.push_back(fmt::format(
        "Latency-bound: the hop latencies ({}) outweigh the time to move the bytes ({}); larger "
        "messages or fewer steps would help.",
        format_seconds(ex.closed_form.latency_s), format_seconds(ex.closed_form.bandwidth_s)));
  if (!all_to_all && spec.kind != CollectiveKind::permute)
    for (Axis a : spec.axes.axes())
      if (!torus.shape().wrapped(a))
        ex.reasons.push_back(fmt::format(
            "Mesh axis {}: no wraparound link, so the collective runs as a line{}", axis_name(a),
            torus.shape().size(a) > 2
                ? ": each direction carries whole shards (S/K per step) where a bidirectional ring "
                  "carries halves (S/2K), so its bandwidth term is about twice that of a wrapped "
                  "axis of the same length."
                : ": with K = 2 there is one link each way between the two chips, and the line "
                  "sends each chip's shard over it in one step, as a ring of two would."));
  if (ex.contended > 0)
    ex.reasons.push_back(fmt::format(
        "Contention: {} of {} transfers moved on a link together with another flow at some moment "
        "(at most {} flows at once, on {}); max-min fair sharing splits the link's {:.4g} GB/s "
        "between them (the slowest moved at {:.4g} GB/s on average).",
        ex.contended, ex.transfers, contention.max_flows,
        contention.max_link >= 0 ? torus.link_name(contention.max_link) : std::string("?"),
        bw / 1e9, slowest_rate / 1e9));
  if (reduces)
    ex.reasons.push_back("Reduce-scatter adds: each received chunk is added in HBM (3 bytes moved "
                         "per byte) before it is forwarded; the closed form adds that time per "
                         "step, the simulation overlaps the two directions' adds on one HBM.");
  if (all_to_all) {
    const AllToAllBound b = all_to_all_bound(spec, torus.shape(), chip);
    ex.reasons.push_back(fmt::format(
        "The all-to-all's closed form is a lower bound, computed from the routes: link {} carries "
        "{} chunks of {} from flows of {} hop{} or more; they cannot start before {} x {} and "
        "share its {:.4g} GB/s, so nothing ends before {} + {} = {}. {} (most loaded link: {}, "
        "{} flows, {}).",
        link_text(torus, b.at, b.direction), b.flows, bytes_text(static_cast<double>(b.chunk_bytes)),
        b.min_hops, b.min_hops == 1 ? "" : "s", b.min_hops, format_seconds(lat), bw / 1e9,
        format_seconds(b.latency_s), format_seconds(b.bandwidth_s), format_seconds(b.time_s),
        agree ? "The simulation meets the bound: that link is busy from its first flow's start to "
                "the end"
              : "The simulation is above it: the flows on that link also share the other links of "
                "their routes, so it is not busy every moment",
        link_text(torus, b.busiest_at, b.busiest_direction), b.busiest_flows,
        bytes_text(b.busiest_bytes)));
  }
  if (!agree && ex.reasons.empty())
    ex.reasons.push_back("The closed form is an estimate of the busiest path; the simulation "
                         "schedules every transfer.");
  if (parts > 1 && !all_to_all) {
    std::string per_part;
    for (std::size_t p = 0; p < parts; ++p) {
      double sum = 0;
      for (const auto& [key, closed] : phase_closed)
        if (key.first == static_cast<int>(p)) sum += closed;
      per_part += fmt::format("{}part {} {}", p ? ", " : "", p + 1, format_seconds(sum));
    }
    text += fmt::format("\nThe parts run at once: closed form = the longest part ({}).\n", per_part);
  }
  text += fmt::format("\nsimulated    {}\n{}  {} (latency {} + bandwidth {}); "
                      "simulated / {} = {:.4f}\n",
                      format_seconds(ex.simulated_s), all_to_all ? "lower bound" : "closed form",
                      format_seconds(ex.closed_form.time_s),
                      format_seconds(ex.closed_form.latency_s), format_seconds(ex.closed_form.bandwidth_s),
                      all_to_all ? "bound" : "closed form", ratio);
  for (const std::string& r : ex.reasons) text += fmt::format("  - {}\n", r);
  ex.text = std::move(text);
  return ex;
}

Seconds looped_einsum_closed_form(LoopedKind kind, const CollectiveSpec& spec, const Torus& torus,
                                  const ChipSpec& chip, Seconds chunk_s) {
  const std::vector<ChipId> ring = ring_groups(torus, spec.axes).front();
  const int k = static_cast<int>(ring.size());
  const Bytes shard = std::max<Bytes>(2, spec.bytes / static_cast<Bytes>(k));
  const Bytes half[2] = {shard - shard / 2, shard / 2};
  const double b = chip.effective_ici_link_bytes_per_s(), l = chip.ici_hop_latency_s;
  // Every chip runs the same loop, and each step's neighbour is one hop away (ring_groups), so
  // the chip's own times hold for its neighbours too: the halves it forwards at step s left the
  // neighbour when the neighbour's step s-1 half arrived.
  double tau[2];
  for (int d = 0; d < 2; ++d) {
    int hops = torus.route_hops(ring[0], ring[d == 0 ? 1 % k : (k - 1) % k]);
    tau[d] = hops * l + static_cast<double>(half[d]) / b;
  }
  // What the lowering adds (looped_einsum.cpp): the loop's launch (collective_overhead_s) before
  // anything, each message's fixed cost before its send, each chunk's fixed cost (op_overhead_s)
  // before its matmul; the own shard is one chunk of two halves' work.
  const double start = chip.collective_overhead_s, op = chip.op_overhead_s,
               m = chip.ici_message_overhead_s;
  if (kind == LoopedKind::all_gather_then_einsum) {
    double mxu = start + op + 2 * chunk_s;  // the own shard: two half-chunks' work
    double arrived[2] = {start, start};
    for (int step = 1; step < k; ++step)
      for (int d = 0; d < 2; ++d) {
        arrived[d] += m + tau[d];  // forwarded as soon as it is in
        mxu = std::max(mxu, arrived[d]) + op + chunk_s;
      }
    return std::max({mxu, arrived[0], arrived[1]});
  }
  // Einsum then reduce-scatter: compute a half-chunk, send it (with the partial sum received
  // and added the step before), add what arrives.
  const double h = chip.effective_hbm_bytes_per_s();
  double mxu = start, sum_ready[2] = {start, start}, last_in[2] = {0, 0};
  for (int step = 1; step < k; ++step)
    for (int d = 0; d < 2; ++d) {
      mxu += op + chunk_s;
      const double leaves = std::max(mxu, sum_ready[d]);
      last_in[d] = leaves + m + tau[d];
      sum_ready[d] = last_in[d] + kReduceHbmBytesPerByte * static_cast<double>(half[d]) / h;
    }
  mxu += op + 2 * chunk_s;
  return std::max({mxu, sum_ready[0], sum_ready[1]});
}

Explanation explain_looped_einsum(const Timeline& timeline, LoopedKind kind,
                                  const CollectiveSpec& spec, const Torus& torus,
                                  const ChipSpec& chip, Seconds chunk_s,
                                  const ExplainOptions& options) {
  Explanation ex;
  ex.simulated_s = timeline.makespan_s;
  const bool gather = kind == LoopedKind::all_gather_then_einsum;
  const std::vector<std::vector<ChipId>> rings = ring_groups(torus, spec.axes);
  listed_chips(torus, spec.axes, options);  // validates --group
  // The listed group in ring order (the loop's order), or every chip.
  std::vector<ChipId> order;
  if (options.group == -1) {
    for (const auto& r : rings) order.insert(order.end(), r.begin(), r.end());
  } else {
    order = rings[options.group];
  }
  ex.group = order;
  std::vector<bool> in_group(torus.chip_count(), false);
  for (ChipId c : order) in_group[c] = true;
  const int k = static_cast<int>(rings.front().size());
  const double bw = chip.effective_ici_link_bytes_per_s(), lat = chip.ici_hop_latency_s;
  ex.rates = rates_text(chip, !gather);
  ex.closed_form.time_s = looped_einsum_closed_form(kind, spec, torus, chip, chunk_s);
  check_steps(options, k - 1);

  // Where each chip sits on its ring, and its neighbours.
  std::vector<int> position(torus.chip_count(), 0);
  std::vector<const std::vector<ChipId>*> ring_of(torus.chip_count(), nullptr);
  for (const auto& r : rings)
    for (int p = 0; p < static_cast<int>(r.size()); ++p) {
      position[r[p]] = p;
      ring_of[r[p]] = &r;
    }

  std::unordered_map<std::int64_t, Seconds> arrived;
  for (const TimelineTask& t : timeline.tasks)
    if (t.track == Track::ici_recv && t.flow >= 0) arrived[t.flow] = t.end_s;
  std::vector<Moving> moving;
  std::map<std::pair<int, int>, std::vector<std::size_t>> by_step;  // (channel, step)
  std::vector<std::vector<const TimelineTask*>> mxu(torus.chip_count());
  int first_channel = std::numeric_limits<int>::max();
  for (const TimelineTask& t : timeline.tasks) {
    if (t.track == Track::mxu) mxu[t.chip].push_back(&t);
    if (t.track != Track::ici_send) continue;
    first_channel = std::min(first_channel, static_cast<int>(t.channel));
    const auto in = arrived.find(t.flow);
    const int hops = torus.route_hops(t.chip, t.peer);
    by_step[{t.channel, t.step}].push_back(moving.size());
    moving.push_back(Moving{&t, t.start_s + hops * lat, in != arrived.end() ? in->second : t.end_s,
                            hops});
  }
  const Contention contention = count_contention(torus, moving, ex);

  // What the MXU's n-th chunk of a chip is (looped_einsum.cpp's order).
  const auto chunk_name = [&](ChipId c, std::size_t n) -> std::string {
    const std::vector<ChipId>& r = *ring_of[c];
    const int p = position[c];
    if (gather) {
      if (n == 0) return fmt::format("its own shard ({})", chip_text(torus, c));
      const int step = static_cast<int>((n - 1) / 2) + 1, d = static_cast<int>((n - 1) % 2);
      // Direction 0 receives from the previous chip of the ring: the shard of p - step.
      const int origin = d == 0 ? ((p - step) % k + k) % k : (p + step) % k;
      return fmt::format("the half of the shard of {} that came the {} way (in at step {})",
                         chip_text(torus, r[origin]), d == 0 ? "forward" : "backward", step);
    }
    if (n == static_cast<std::size_t>(2 * (k - 1))) return fmt::format("its own part ({})", chip_text(torus, c));
    const int step = static_cast<int>(n / 2) + 1, d = static_cast<int>(n % 2);
    // The partial sum sent at step s in direction 0 reaches its owner after K-1-s more steps.
    const int dest = d == 0 ? (p + (k - step)) % k : ((p - (k - step)) % k + k) % k;
    return fmt::format("the half of the partial sum for {} that goes the {} way (leaves at step {})",
                       chip_text(torus, r[dest]), d == 0 ? "forward" : "backward", step);
  };

  const std::string what = fmt::format(
      "Looped CollectiveEinsum: {} over {} on {}, {} per chip ({}).\n",
      gather ? "all-gather feeding an einsum" : "einsum feeding a reduce-scatter", spec.axes.name(),
      torus.shape().name(), bytes_text(static_cast<double>(spec.bytes)),
      gather ? "the all-gather's output" : "the reduce-scatter's input");
  std::string wraps;
  for (Axis a : kAxes)
    if (torus.shape().wrapped(a)) wraps += axis_name(a);
  ex.header = what;
  ex.header += fmt::format("Wraparound: {}. Each group's {} chips form a ring (a snake over the "
                           "axes, every neighbour one hop away; forward = to the next chip listed):",
                           wraps.empty() ? "none" : wraps, k);
  for (ChipId c : rings[options.group == -1 ? 0 : options.group])
    ex.header += " " + chip_text(torus, c);
  ex.header += ".\n";
  ex.header += gather
      ? fmt::format("Instead of gathering everything and then multiplying, each chip multiplies the "
                    "shard it has while the next one travels: its shard is cut in two halves that "
                    "go opposite ways round the ring; at each of the K-1 = {} steps every chip "
                    "forwards the halves it just received and the MXU works on them as they land. "
                    "Each chunk is 1/{} of the einsum ({} on the MXU per half).\n",
                    k - 1, 2 * k, format_seconds(chunk_s))
      : fmt::format("Instead of multiplying everything and then reduce-scattering, each chip "
                    "computes the partial sums for the farthest chips first and sends each half as "
                    "soon as it is computed; every chip adds its own part to what it receives and "
                    "passes it on, K-1 = {} steps each way, and computes its own part last. Each "
                    "half-chunk is 1/{} of the einsum ({} on the MXU).\n",
                    k - 1, 2 * k, format_seconds(chunk_s));
  ex.header += group_text(torus, spec.axes, options);
  ex.header += ex.rates + "\n";
  std::string text = ex.header;

  const ChipId shown = order.front();
  std::vector<std::string> shown_chunks;
  for (std::size_t n = 0; n < mxu[shown].size(); ++n)
    shown_chunks.push_back(fmt::format("MXU of {}: {} {} -> {}", chip_text(torus, shown),
                                       chunk_name(shown, n), format_seconds(mxu[shown][n]->start_s),
                                       format_seconds(mxu[shown][n]->end_s)));
  if (gather && !mxu[shown].empty())
    text += fmt::format("\nfirst, before the received halves: {}\n", shown_chunks.front());

  ExplainStream stream;
  stream.title = fmt::format("the loop: K-1 = {} steps, both directions at once", k - 1);
  stream.label = "1";
  stream.phase = 1;
  stream.steps = k - 1;
  ex.streams.push_back(stream);
  const Seconds step_closed = lat + static_cast<double>(std::max<Bytes>(2, spec.bytes / k) -
                                                        std::max<Bytes>(2, spec.bytes / k) / 2) /
                                        bw;
  for (int step = 1; step < k; ++step) {
    ExplainStep st;
    st.stream = 0;
    st.step = step;
    st.steps = k - 1;
    st.listed = step_listed(options, step);
    st.start_s = std::numeric_limits<double>::infinity();
    st.closed_form_s = step_closed;
    std::unordered_map<LinkId, double> load;
    for (int d = 0; d < 2; ++d) {
      const auto it = by_step.find({first_channel + d, step});
      if (it == by_step.end()) continue;
      for (std::size_t i : it->second) {
        const Moving& m = moving[i];
        const TimelineTask* t = m.send;
        st.start_s = std::min(st.start_s, t->start_s);
        st.end_s = std::max(st.end_s, m.to_s);
        for (const Hop& hop : torus.route(t->chip, t->peer))
          load[Torus::link_id(hop.from, hop.direction)] += t->bytes;
        ++st.slice_transfers;
        if (!in_group[t->chip]) continue;
        const std::vector<ChipId>& r = *ring_of[t->chip];
        const int p = position[t->chip];
        std::string chunk;
        if (gather) {
          const int origin = d == 0 ? ((p - (step - 1)) % k + k) % k : (p + (step - 1)) % k;
          chunk = fmt::format("half of the shard of {}", chip_text(torus, r[origin]));
        } else {
          const int dest = d == 0 ? (p + (k - step)) % k : ((p - (k - step)) % k + k) % k;
          chunk = fmt::format("half of the partial sum for {}", chip_text(torus, r[dest]));
        }
        st.transfers.push_back(ExplainTransfer{t->chip, t->peer, t->bytes, m.hops, t->start_s,
                                               m.to_s, chunk});
      }
    }
    if (st.slice_transfers == 0) continue;
    st.links_used = load.size();
    for (const auto& [link, bytes] : load) st.max_link_bytes = std::max(st.max_link_bytes, bytes);
    // The MXU chunks of the shown chip that overlap this step's transfers.
    for (std::size_t n = 0; n < mxu[shown].size(); ++n)
      if (mxu[shown][n]->end_s > st.start_s && mxu[shown][n]->start_s < st.end_s)
        st.compute.push_back(shown_chunks[n]);
    if (st.listed) {
      text += fmt::format("\nstep {}/{}  {} -> {}  ({}; closed form of a step {})\n", step, k - 1,
                          format_seconds(st.start_s), format_seconds(st.end_s),
                          format_seconds(st.end_s - st.start_s), format_seconds(st.closed_form_s));
      HtmlStep html;
      html.title = fmt::format("looped einsum - step {} of {}", step, k - 1);
      html.start_s = st.start_s;
      html.end_s = st.end_s;
      for (const auto& [link, bytes] : load) html.links.push_back(link);
      std::sort(html.links.begin(), html.links.end());
      for (const std::string& c : st.compute) {
        text += fmt::format("    while: {}\n", c);
        html.lines.push_back("while: " + c);
      }
      constexpr std::size_t kShown = 16;
      for (std::size_t i = 0; i < st.transfers.size(); ++i) {
        const ExplainTransfer& x = st.transfers[i];
        const std::string line = fmt::format("{} -> {}  {} ({} B), {} hop{}: {}",
                                             chip_text(torus, x.from), chip_text(torus, x.to),
                                             bytes_text(static_cast<double>(x.bytes)), x.bytes,
                                             x.hops, x.hops == 1 ? "" : "s", x.chunk);
        if (i < kShown) text += fmt::format("    {}\n", line);
        html.lines.push_back(line);
        html.moves.push_back(HtmlMove{x.from, x.to});
      }
      if (st.transfers.size() > kShown)
        text += fmt::format("    ... and {} more transfers of the listed chips\n",
                            st.transfers.size() - kShown);
      ex.html_steps.push_back(std::move(html));
    }
    ex.steps.push_back(std::move(st));
  }
  if (!gather && !mxu[shown].empty())
    text += fmt::format("\nafter the last step: {}\n", shown_chunks.back());

  double compute = 0;
  for (const TimelineTask* t : mxu[shown]) compute += t->end_s - t->start_s;
  const double exposed = std::max(0.0, ex.simulated_s - compute);
  const double ratio = ex.closed_form.time_s > 0 ? ex.simulated_s / ex.closed_form.time_s : 0;
  // The fixed costs the MXU cannot hide: the loop's launch and one per chunk (2K-1 chunks: the
  // own shard is one); the rest of the time beside the matmuls is communication.
  const double launch = chip.collective_overhead_s, per_chunk = chip.op_overhead_s;
  const double fixed = std::min(exposed, launch + (2 * k - 1) * per_chunk);
  const double waiting = std::max(0.0, exposed - fixed);
  const bool hidden = waiting <= 1e-9 * ex.simulated_s;
  const std::string fixed_text =
      fmt::format("the loop's launch (collective_overhead_s = {}) and {} chunks x op_overhead_s = {}, "
                  "from the platform file",
                  format_seconds(launch), 2 * k - 1, format_seconds(per_chunk));
  const std::string why = gather ? "the MXU waited for halves still on their way"
                                 : "the last partial sums must arrive and be added";
  std::string rest_text;
  if (exposed <= 1e-9 * ex.simulated_s)
    rest_text = "nothing is left beside the matmuls: every transfer hides behind one";
  else if (fixed <= 0)
    rest_text = fmt::format("the rest, {}, is communication the loop could not hide ({})",
                            format_seconds(exposed), why);
  else if (hidden)
    rest_text = fmt::format("the rest, {}, is fixed costs ({}); no communication is left exposed, "
                            "every transfer hides behind a matmul",
                            format_seconds(exposed), fixed_text);
  else
    rest_text = fmt::format("the rest, {}, is {} of fixed costs ({}) and {} of communication the "
                            "loop could not hide ({})",
                            format_seconds(exposed), format_seconds(fixed), fixed_text,
                            format_seconds(waiting), why);
  ex.reasons.push_back(fmt::format("Overlap: the MXU of {} worked {} of the {} ({:.1f}%); {}.",
                                   chip_text(torus, shown), format_seconds(compute),
                                   format_seconds(ex.simulated_s),
                                   ex.simulated_s > 0 ? 100 * compute / ex.simulated_s : 0.0,
                                   rest_text));
  if (ex.contended > 0)
    ex.reasons.push_back(fmt::format(
        "Contention: {} of {} transfers moved on a link together with another flow (at most {} at "
        "once).",
        ex.contended, ex.transfers, contention.max_flows));
  else
    ex.reasons.push_back("No contention: every link carries one flow at a time (the ring's "
                         "neighbours are one hop apart).");
  text += fmt::format("\nsimulated    {}\nclosed form  {} (the loop's pipeline: its launch {}, then "
                      "K-1 steps of {} per direction beside 2K half-chunks of {}, each chunk after "
                      "its fixed cost {}); simulated / closed form = {:.4f}\n",
                      format_seconds(ex.simulated_s), format_seconds(ex.closed_form.time_s),
                      format_seconds(chip.collective_overhead_s), format_seconds(step_closed),
                      format_seconds(chunk_s), format_seconds(chip.op_overhead_s), ratio);
  for (const std::string& r : ex.reasons) text += fmt::format("  - {}\n", r);
  ex.text = std::move(text);
  return ex;
}

nlohmann::json explanation_json(const Explanation& ex, const Torus& torus) {
  nlohmann::json doc;
  doc["simulated_s"] = ex.simulated_s;
  doc["closed_form_s"] = ex.closed_form.time_s;
  if (ex.closed_form.latency_s > 0 || ex.closed_form.bandwidth_s > 0) {  // not the looped ops'
    doc["closed_form_latency_s"] = ex.closed_form.latency_s;
    doc["closed_form_bandwidth_s"] = ex.closed_form.bandwidth_s;
  }
  doc["closed_form_is_bound"] = ex.closed_form_is_bound;
  doc["ratio"] = ex.closed_form.time_s > 0 ? ex.simulated_s / ex.closed_form.time_s : 0.0;
  doc["rates"] = ex.rates;
  doc["transfers"] = ex.transfers;
  doc["contended_transfers"] = ex.contended;
  doc["max_flows_on_link"] = ex.max_flows_on_link;
  nlohmann::json group = nlohmann::json::array();
  for (ChipId c : ex.group) group.push_back(chip_text(torus, c));
  doc["group"] = std::move(group);
  nlohmann::json streams = nlohmann::json::array();
  for (const ExplainStream& s : ex.streams)
    streams.push_back({{"label", s.label},
                       {"title", s.title},
                       {"phase", s.phase},
                       {"part", s.part},
                       {"direction", s.sign},
                       {"ring", s.ring},
                       {"steps", s.steps}});
  doc["streams"] = std::move(streams);
  nlohmann::json steps = nlohmann::json::array();
  for (const ExplainStep& st : ex.steps) {
    if (!st.listed) continue;
    nlohmann::json transfers = nlohmann::json::array();
    for (const ExplainTransfer& t : st.transfers)
      transfers.push_back({{"from", chip_text(torus, t.from)},
                           {"to", chip_text(torus, t.to)},
                           {"bytes", t.bytes},
                           {"hops", t.hops},
                           {"start_s", t.start_s},
                           {"end_s", t.end_s},
                           {"chunk", t.chunk}});
    nlohmann::json step = {{"stream", ex.streams.at(st.stream).label},
                           {"step", st.step},
                           {"steps", st.steps},
                           {"start_s", st.start_s},
                           {"end_s", st.end_s},
                           {"closed_form_s", st.closed_form_s},
                           {"slice_transfers", st.slice_transfers},
                           {"links_used", st.links_used},
                           {"max_link_bytes", st.max_link_bytes},
                           {"transfers", std::move(transfers)}};
    if (!st.compute.empty()) step["compute"] = st.compute;
    steps.push_back(std::move(step));
  }
  doc["steps"] = std::move(steps);
  doc["reasons"] = ex.reasons;
  return doc;
}

}  // namespace podsim
