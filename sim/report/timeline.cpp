#include "sim/report/timeline.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <unordered_map>

#include "sim/core/check.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

const char* track_name(Track track) {
  switch (track) {
    case Track::mxu: return "MXU";
    case Track::hbm: return "HBM";
    case Track::ici_send: return "ICI send";
    case Track::ici_recv: return "ICI recv";
  }
  return "?";
}

std::string Timeline::instance_name(std::int32_t instance) const {
  const OpInstance& op = instances.at(instance);
  const std::string label = op.label >= 0 ? labels.at(op.label) : std::string("?");
  if (op.section >= 0 && op.section < static_cast<std::int32_t>(section_names.size()) &&
      !section_names[op.section].empty())
    return fmt::format("{}: {}", section_names[op.section], label);
  return label;
}

namespace {

std::uint64_t pair_key(std::int32_t channel, ChipId from, ChipId to, int chips) {
  return (static_cast<std::uint64_t>(channel) * chips + from) * chips + to;
}

}  // namespace

Timeline build_timeline(const Program& program, const Torus& torus, const ChipSpec& chip,
                        const ReplayResult& result, std::string captured,
                        std::vector<std::string> section_names) {
  const int chips = torus.chip_count();
  Timeline timeline;
  timeline.shape = torus.shape();
  timeline.link_bytes_per_s = chip.effective_ici_link_bytes_per_s();
  timeline.hop_latency_s = chip.ici_hop_latency_s;
  timeline.makespan_s = result.makespan_s;
  timeline.labels = program.labels;
  timeline.section_names = std::move(section_names);
  timeline.captured = std::move(captured);
  timeline.link_intervals = result.link_intervals;
  for (ChipId c = 0; c < chips; ++c) timeline.chips.push_back(c);

  // Per chip, task id -> (instance, section, step), walking the tasks in program order.
  struct Tag {
    std::int32_t instance = -1, section = -1, step = 0;
  };
  std::vector<std::vector<Tag>> tags(chips);
  std::int32_t instance_count = 0;
  for (ChipId c = 0; c < chips; ++c) {
    const ChipProgram& cp = program.chips[c];
    std::vector<bool> is_mark(cp.tasks.size(), false);
    for (TaskId m : cp.marks) is_mark[m] = true;
    tags[c].resize(cp.tasks.size());
    std::int32_t instance = -1, current_label = -2, section = 0;
    bool run_open = false;
    std::unordered_map<std::uint64_t, std::int32_t> steps;  // (channel, peer, send?) -> count
    for (std::size_t t = 0; t < cp.tasks.size(); ++t) {
      const Task& task = cp.tasks[t];
      if (is_mark[t]) {
        run_open = false;
        ++section;
        continue;
      }
      if (task.label < 0) continue;  // the joins inside an op
      if (!run_open || task.label != current_label) {
        ++instance;
        current_label = task.label;
        run_open = true;
        steps.clear();
      }
      Tag& tag = tags[c][t];
      tag.instance = instance;
      tag.section = cp.marks.empty() || section >= static_cast<std::int32_t>(cp.marks.size())
                        ? -1
                        : section;
      if (task.kind == TaskKind::send || task.kind == TaskKind::recv) {
        const std::uint64_t key =
            pair_key(task.channel, task.peer, 0, chips) * 2 + (task.kind == TaskKind::send);
        tag.step = ++steps[key];
      }
    }
    instance_count = std::max(instance_count, instance + 1);
  }

  // Flow ids: the k-th send of (channel, from, to) matches the k-th receive (FIFO, program order).
  std::unordered_map<std::uint64_t, std::vector<std::int64_t>> sent;
  std::vector<std::vector<std::int64_t>> flow_of(chips);
  std::int64_t next_flow = 0;
  for (ChipId c = 0; c < chips; ++c) {
    const auto& tasks = program.chips[c].tasks;
    flow_of[c].assign(tasks.size(), -1);
    for (std::size_t t = 0; t < tasks.size(); ++t)
      if (tasks[t].kind == TaskKind::send) {
        flow_of[c][t] = next_flow;
        sent[pair_key(tasks[t].channel, c, tasks[t].peer, chips)].push_back(next_flow++);
      }
  }
  std::unordered_map<std::uint64_t, std::size_t> received;
  for (ChipId c = 0; c < chips; ++c) {
    const auto& tasks = program.chips[c].tasks;
    for (std::size_t t = 0; t < tasks.size(); ++t)
      if (tasks[t].kind == TaskKind::recv) {
        const std::uint64_t key = pair_key(tasks[t].channel, tasks[t].peer, c, chips);
        auto it = sent.find(key);
        std::size_t& k = received[key];
        if (it != sent.end() && k < it->second.size()) flow_of[c][t] = it->second[k++];
      }
  }

  timeline.instances.assign(instance_count, OpInstance{});
  std::vector<bool> seen(instance_count, false);
  for (const TaskRecord& r : result.tasks) {
    const Task& task = program.chips[r.chip].tasks[r.task];
    // Joins (and fixed delays) occupy no resource: no track shows them.
    if (task.kind != TaskKind::compute && task.kind != TaskKind::hbm &&
        task.kind != TaskKind::send && task.kind != TaskKind::recv)
      continue;
    const Tag& tag = tags[r.chip][r.task];
    TimelineTask out;
    out.chip = r.chip;
    out.start_s = r.start_s;
    out.end_s = r.end_s;
    out.label = task.label;
    out.instance = tag.instance;
    out.section = tag.section;
    out.step = tag.step;
    out.channel = task.channel;
    out.peer = task.peer;
    out.bytes = task.bytes;
    out.flops = task.flops;
    out.flow = flow_of[r.chip][r.task];
    switch (task.kind) {
      case TaskKind::compute: out.track = Track::mxu; break;
      case TaskKind::hbm: out.track = Track::hbm; break;
      case TaskKind::send:
        out.track = Track::ici_send;
        out.direction = torus.route(r.chip, task.peer).front().direction;
        break;
      case TaskKind::recv:
        out.track = Track::ici_recv;
        out.direction = torus.route(task.peer, r.chip).back().direction;
        break;
      default: break;
    }
    if (tag.instance >= 0) {
      OpInstance& op = timeline.instances[tag.instance];
      if (!seen[tag.instance]) {
        op = OpInstance{task.label, tag.section, r.start_s, r.end_s};
        seen[tag.instance] = true;
      }
      op.start_s = std::min(op.start_s, r.start_s);
      op.end_s = std::max(op.end_s, r.end_s);
    }
    timeline.tasks.push_back(out);
  }
  std::stable_sort(timeline.tasks.begin(), timeline.tasks.end(),
                   [](const TimelineTask& a, const TimelineTask& b) {
                     return a.chip != b.chip ? a.chip < b.chip : a.start_s < b.start_s;
                   });
  return timeline;
}

bool TimelineFilter::empty() const {
  return chips.empty() && start_s <= 0 && end_s == std::numeric_limits<double>::infinity() &&
         first_section <= 0 && last_section < 0;
}

std::vector<ChipId> parse_chip_list(const std::string& text, int chip_count,
                                    const std::string& key) {
  std::vector<bool> keep(chip_count, false);
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    const std::string item = text.substr(pos, comma - pos);
    const std::size_t dash = item.find('-');
    const auto a = parse_integer(item.substr(0, dash));
    const auto b = dash == std::string::npos ? a : parse_integer(item.substr(dash + 1));
    if (!a || !b || *a < 0 || *b < *a || *b >= chip_count)
      throw InputError(key, fmt::format("'{}' is not a chip id or range A-B of chips 0..{} "
                                        "(e.g. 0-15,20)", item, chip_count - 1));
    for (long long c = *a; c <= *b; ++c) keep[c] = true;
    pos = comma + 1;
  }
  std::vector<ChipId> out;
  for (ChipId c = 0; c < chip_count; ++c)
    if (keep[c]) out.push_back(c);
  return out;
}

std::pair<std::int32_t, std::int32_t> parse_index_range(const std::string& text,
                                                        const std::string& key) {
  const std::size_t colon = text.find(':');
  const auto bad = [&]() {
    return InputError(key, fmt::format("'{}' is not a range A:B of indices from 0 (A or B may be "
                                       "left out, e.g. 2:5, :3, 4:)", text));
  };
  if (colon == std::string::npos) {
    const auto v = parse_integer(text);
    if (!v || *v < 0) throw bad();
    return {static_cast<std::int32_t>(*v), static_cast<std::int32_t>(*v)};
  }
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  const auto va = a.empty() ? std::optional<long long>(0) : parse_integer(a);
  const auto vb = b.empty() ? std::optional<long long>(-1) : parse_integer(b);
  if (!va || !vb || *va < 0 || (*vb >= 0 && *vb < *va) || (!b.empty() && *vb < 0)) throw bad();
  return {static_cast<std::int32_t>(*va), static_cast<std::int32_t>(*vb)};
}

void apply_filter(Timeline& timeline, const TimelineFilter& filter) {
  const int chip_count = timeline.shape.chip_count();
  std::vector<bool> keep_chip(chip_count, filter.chips.empty());
  for (ChipId c : filter.chips) keep_chip.at(c) = true;
  if (!filter.chips.empty()) {
    timeline.chips = filter.chips;
    timeline.cuts.push_back(fmt::format("kept {} of {} chips (tasks of the others and the links "
                                        "leaving them removed)", filter.chips.size(), chip_count));
  }
  const bool sections = filter.first_section > 0 || filter.last_section >= 0;
  const auto section_kept = [&](std::int32_t s) {
    if (!sections) return true;
    if (s < 0) return filter.last_section < 0;
    return s >= filter.first_section && (filter.last_section < 0 || s <= filter.last_section);
  };
  Seconds lo = filter.start_s, hi = filter.end_s;
  if (sections) {
    // The sections' time span (over all chips) also bounds the link intervals.
    Seconds first = std::numeric_limits<double>::infinity(), last = 0;
    for (const TimelineTask& t : timeline.tasks)
      if (section_kept(t.section)) {
        first = std::min(first, t.start_s);
        last = std::max(last, t.end_s);
      }
    if (first > last) first = last = 0;
    lo = std::max(lo, first);
    hi = std::min(hi, last);
    timeline.cuts.push_back(fmt::format(
        "kept sections {} to {} of {} ({} to {} s); tasks and link load outside removed",
        filter.first_section, filter.last_section < 0 ? std::string("the last")
                                                      : std::to_string(filter.last_section),
        timeline.section_names.size(), lo, hi));
  }
  const bool window = filter.start_s > 0 || filter.end_s != std::numeric_limits<double>::infinity();
  if (window)
    timeline.cuts.push_back(fmt::format("kept the time window {} s to {} s (tasks overlapping it "
                                        "whole, link load clipped to it)", filter.start_s,
                                        filter.end_s));
  std::erase_if(timeline.tasks, [&](const TimelineTask& t) {
    return !keep_chip[t.chip] || !section_kept(t.section) || t.end_s < filter.start_s ||
           t.start_s > filter.end_s;
  });
  std::vector<LinkInterval> kept;
  for (LinkInterval i : timeline.link_intervals) {
    if (!keep_chip[i.link / kDirections]) continue;
    i.start_s = std::max(i.start_s, lo);
    i.end_s = std::min(i.end_s, hi);
    if (i.end_s > i.start_s) kept.push_back(i);
  }
  timeline.link_intervals = std::move(kept);
}

std::vector<double> link_bytes(const Timeline& timeline) {
  std::vector<double> bytes(static_cast<std::size_t>(timeline.shape.chip_count()) * kDirections,
                            0.0);
  for (const LinkInterval& i : timeline.link_intervals)
    bytes.at(i.link) += i.bytes_per_s * (i.end_s - i.start_s);
  return bytes;
}

LinkId most_loaded_link(const Timeline& timeline) {
  const std::vector<double> bytes = link_bytes(timeline);
  LinkId best = -1;
  for (std::size_t l = 0; l < bytes.size(); ++l)
    if (bytes[l] > 0 && (best < 0 || bytes[l] > bytes[best])) best = static_cast<LinkId>(l);
  return best;
}

std::size_t estimated_timeline_events(const Program& program, const TimelineFilter& filter) {
  std::vector<bool> keep(program.chips.size(), filter.chips.empty());
  for (ChipId c : filter.chips) keep.at(c) = true;
  std::size_t events = 0;
  for (std::size_t c = 0; c < program.chips.size(); ++c) {
    if (!keep[c]) continue;
    for (const Task& t : program.chips[c].tasks) {
      if (t.kind == TaskKind::send || t.kind == TaskKind::recv)
        events += 3;  // the slice, its flow end, a link counter change
      else if (t.kind == TaskKind::compute || t.kind == TaskKind::hbm)
        events += 1;
    }
  }
  return events;
}

}  // namespace podsim
