#include "sim/report/perfetto.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <tuple>

#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"

namespace podsim {

namespace {

// Integer nanoseconds: lanes are assigned and events written on this grid, so rounding cannot
// make two events of one track overlap.
std::int64_t ns(Seconds s) { return std::llround(s * 1e9); }

// "12.345" microseconds from nanoseconds.
std::string us(std::int64_t t_ns) {
  return fmt::format("{}{}.{:03d}", t_ns < 0 ? "-" : "", std::abs(t_ns) / 1000,
                     static_cast<int>(std::abs(t_ns) % 1000));
}

std::string json_string(const std::string& s) { return nlohmann::json(s).dump(); }

std::string coord_name(const Torus& torus, ChipId c) {
  const Coord at = torus.coord(c);
  return fmt::format("({},{},{})", at.v[0], at.v[1], at.v[2]);
}

class Writer {
 public:
  explicit Writer(const std::string& path) : file_(path, "--perfetto") {
    buffer_.reserve(1 << 20);
  }
  void raw(const std::string& s) {
    buffer_ += s;
    if (buffer_.size() > (1 << 20)) flush();
  }
  void event(const std::string& body) {
    raw(first_ ? "\n" : ",\n");
    first_ = false;
    raw(body);
    ++events_;
  }
  void close() {
    flush();
    file_.commit();
  }
  std::size_t events() const { return events_; }

 private:
  void flush() {
    file_.write(buffer_);
    buffer_.clear();
  }
  OutputFile file_;  // complete or absent
  std::string buffer_;
  bool first_ = true;
  std::size_t events_ = 0;
};

// A slice to write: a task, or (aggregate) the transfers of one chip, track, op instance, step
// and direction merged.
struct Placed {
  TimelineTask task;
  std::int64_t start = 0, end = 0;
  std::int64_t posted = -1;  // a receive moved to its data's start: when it was posted
  int lane = 0;
  int transfers = 1;
  std::vector<ChipId> peers;  // aggregate: the distinct peers
};

struct Layout {
  std::map<std::pair<ChipId, int>, std::vector<Placed>> tracks;  // (chip, track) -> slices
  std::map<std::pair<ChipId, int>, int> lane_count;
};

bool is_transfer(const TimelineTask& t) {
  return t.track == Track::ici_send || t.track == Track::ici_recv;
}

Layout layout_slices(const Timeline& timeline, const PerfettoOptions& options) {
  // When each flow's data starts to move: its send's start.
  std::map<std::int64_t, std::int64_t> send_start;
  for (const TimelineTask& t : timeline.tasks)
    if (t.track == Track::ici_send && t.flow >= 0) send_start[t.flow] = ns(t.start_s);
  Layout layout;
  std::map<std::tuple<ChipId, int, std::int32_t, std::int32_t, int, std::int32_t>, std::size_t>
      merged;  // aggregate key -> index in its track
  for (const TimelineTask& t : timeline.tasks) {
    Placed p{t, ns(t.start_s), ns(t.end_s), -1, 0, 1, {}};
    if (t.track == Track::ici_recv && t.flow >= 0) {
      const auto it = send_start.find(t.flow);
      if (it != send_start.end() && it->second > p.start) {
        p.posted = p.start;
        p.start = std::min(it->second, p.end);
      }
    }
    auto& track = layout.tracks[{t.chip, static_cast<int>(t.track)}];
    if (options.aggregate && is_transfer(t)) {
      const auto key = std::make_tuple(t.chip, static_cast<int>(t.track), t.instance, t.step,
                                       static_cast<int>(t.direction), t.label);
      const auto [it, inserted] = merged.emplace(key, track.size());
      if (!inserted) {
        Placed& m = track[it->second];
        m.start = std::min(m.start, p.start);
        m.end = std::max(m.end, p.end);
        m.task.bytes += t.bytes;
        ++m.transfers;
        if (std::find(m.peers.begin(), m.peers.end(), t.peer) == m.peers.end())
          m.peers.push_back(t.peer);
        continue;
      }
      p.posted = -1;
      p.peers = {t.peer};
    }
    track.push_back(std::move(p));
  }
  // Lanes: per chip and track, the first lane free at the slice's start (in start order, this
  // uses the fewest lanes that hold the slices without overlap).
  for (auto& [key, placed] : layout.tracks) {
    std::stable_sort(placed.begin(), placed.end(),
                     [](const Placed& a, const Placed& b) { return a.start < b.start; });
    std::vector<std::int64_t> free_at;
    for (Placed& p : placed) {
      int lane = 0;
      while (lane < static_cast<int>(free_at.size()) && free_at[lane] > p.start) ++lane;
      if (lane == static_cast<int>(free_at.size())) free_at.push_back(0);
      free_at[lane] = std::max(p.end, p.start);
      p.lane = lane;
    }
    layout.lane_count[key] = static_cast<int>(free_at.size());
  }
  return layout;
}

int lanes_of(const Layout& layout, ChipId chip, int track) {
  const auto it = layout.lane_count.find({chip, track});
  return it == layout.lane_count.end() ? 1 : it->second;
}

// Counter events of the link intervals: one per interval, and a zero where a link falls idle.
std::size_t counter_events(const Timeline& timeline) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < timeline.link_intervals.size();) {
    const LinkId link = timeline.link_intervals[i].link;
    std::int64_t last_end = -1;
    for (; i < timeline.link_intervals.size() && timeline.link_intervals[i].link == link; ++i) {
      const LinkInterval& v = timeline.link_intervals[i];
      if (last_end >= 0 && last_end < ns(v.start_s)) ++n;
      ++n;
      last_end = ns(v.end_s);
    }
    if (last_end >= 0) ++n;
  }
  return n;
}

}  // namespace

PerfettoSize perfetto_size(const Timeline& timeline, const PerfettoOptions& options) {
  const Layout layout = layout_slices(timeline, options);
  PerfettoSize size;
  for (ChipId c : timeline.chips) {
    size.events += 2;
    for (int track = 0; track < kTracks; ++track) size.threads += lanes_of(layout, c, track);
  }
  size.events += 2 * size.threads;
  std::map<std::int64_t, int> flow_ends;
  for (const auto& [key, placed] : layout.tracks) {
    size.events += placed.size();
    if (options.flows && !options.aggregate)
      for (const Placed& p : placed)
        if (is_transfer(p.task) && p.task.flow >= 0) ++flow_ends[p.task.flow];
  }
  for (const auto& [flow, ends] : flow_ends)
    if (ends == 2) size.events += 2;
  size.events += counter_events(timeline);
  size.bytes = static_cast<double>(size.events) * kPerfettoBytesPerEvent;
  return size;
}

std::size_t write_perfetto(const Timeline& timeline, const std::string& path,
                           const PerfettoOptions& options) {
  const Torus torus(timeline.shape);
  Writer out(path);
  out.raw("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");
  const Layout layout = layout_slices(timeline, options);
  const auto& tracks = layout.tracks;
  const auto& lane_count = layout.lane_count;
  const auto tid = [](int track, int lane) { return track * 10000 + lane + 1; };

  // Metadata: process per chip, thread per track lane.
  for (ChipId c : timeline.chips) {
    const int pid = c + 1;
    out.event(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":{}}}}})",
                          pid, json_string(fmt::format("chip {} {}", c, coord_name(torus, c)))));
    out.event(fmt::format(R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
                          pid, c));
    for (int track = 0; track < kTracks; ++track) {
      const int lanes = lanes_of(layout, c, track);
      for (int lane = 0; lane < lanes; ++lane) {
        const std::string name =
            lane == 0 ? track_name(static_cast<Track>(track))
                      : fmt::format("{} #{}", track_name(static_cast<Track>(track)), lane + 1);
        out.event(fmt::format(R"({{"ph":"M","name":"thread_name","pid":{},"tid":{},"args":{{"name":{}}}}})",
                              pid, tid(track, lane), json_string(name)));
        out.event(fmt::format(R"({{"ph":"M","name":"thread_sort_index","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
                              pid, tid(track, lane), tid(track, lane)));
      }
    }
  }

  // Slices, track by track, lane by lane, in time order.
  struct FlowEnd {
    int pid = 0, tid = 0;
    std::int64_t ts = -1;
  };
  std::map<std::int64_t, std::pair<FlowEnd, FlowEnd>> flows;
  for (const auto& [key, placed] : tracks) {
    const int lanes = lane_count.at(key);
    for (int lane = 0; lane < lanes; ++lane)
      for (const Placed& p : placed) {
        if (p.lane != lane) continue;
        const TimelineTask& t = p.task;
        const int pid = t.chip + 1, thread = tid(key.second, lane);
        const std::string label = t.label >= 0 ? timeline.labels[t.label] : std::string("?");
        std::string args = fmt::format(R"("op":{},"instance":{})", json_string(label), t.instance);
        if (t.instance >= 0 && t.instance < static_cast<std::int32_t>(timeline.instances.size()))
          args += fmt::format(R"(,"where":{})", json_string(timeline.instance_name(t.instance)));
        std::string name = label;
        const char* cat = "mxu";
        if (t.track == Track::mxu) {
          args += fmt::format(R"(,"flops":{})", t.flops);
        } else if (t.track == Track::hbm) {
          cat = "hbm";
          args += fmt::format(R"(,"bytes":{})", t.bytes);
        } else {
          const bool send = t.track == Track::ici_send;
          cat = "ici";
          if (options.aggregate) {
            name = fmt::format("{} step {} {} x{}", label, t.step, direction_name(t.direction),
                               p.transfers);
            std::vector<std::string> peers;
            for (ChipId peer : p.peers)
              peers.push_back(json_string(fmt::format("chip {} {}", peer, coord_name(torus, peer))));
            args += fmt::format(R"(,"step":{},"direction":"{}","transfers":{},"bytes":{},"{}":[{}])",
                                t.step, direction_name(t.direction), p.transfers, t.bytes,
                                send ? "to" : "from", fmt::join(peers, ","));
            out.event(fmt::format(R"({{"ph":"X","cat":"{}","name":{},"pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})",
                                  cat, json_string(name), pid, thread, us(p.start),
                                  us(p.end - p.start), args));
            continue;
          }
          name = fmt::format("{} step {} {} c{}", label, t.step, send ? "to" : "from", t.peer);
          args += fmt::format(R"(,"step":{},"channel":{},"{}":{},"direction":"{}","bytes":{},"flow":{})",
                              t.step, t.channel, send ? "to" : "from",
                              json_string(fmt::format("chip {} {}", t.peer, coord_name(torus, t.peer))),
                              direction_name(t.direction), t.bytes, t.flow);
          if (p.posted >= 0) args += fmt::format(R"(,"posted_us":{})", us(p.posted));
          if (options.flows && t.flow >= 0) {
            auto& ends = flows[t.flow];
            if (send)
              ends.first = FlowEnd{pid, thread, p.start};
            else
              ends.second = FlowEnd{pid, thread, std::max(p.start, p.end - 1)};
          }
        }
        out.event(fmt::format(R"({{"ph":"X","cat":"{}","name":{},"pid":{},"tid":{},"ts":{},"dur":{},"args":{{{}}}}})",
                              cat, json_string(name), pid, thread, us(p.start), us(p.end - p.start), args));
      }
  }

  // Link counters: the exact rate intervals, a zero where a link falls idle.
  for (std::size_t i = 0; i < timeline.link_intervals.size();) {
    const LinkId link = timeline.link_intervals[i].link;
    const int pid = link / kDirections + 1;
    const std::string name = json_string(fmt::format(
        "link {} GB/s", direction_name(static_cast<Direction>(link % kDirections))));
    std::int64_t last_end = -1;
    for (; i < timeline.link_intervals.size() && timeline.link_intervals[i].link == link; ++i) {
      const LinkInterval& v = timeline.link_intervals[i];
      const std::int64_t start = ns(v.start_s), end = ns(v.end_s);
      if (last_end >= 0 && last_end < start)
        out.event(fmt::format(R"({{"ph":"C","name":{},"pid":{},"ts":{},"args":{{"GB/s":0}}}})",
                              name, pid, us(last_end)));
      out.event(fmt::format(R"({{"ph":"C","name":{},"pid":{},"ts":{},"args":{{"GB/s":{:.6g}}}}})",
                            name, pid, us(start), v.bytes_per_s / 1e9));
      last_end = end;
    }
    if (last_end >= 0)
      out.event(fmt::format(R"({{"ph":"C","name":{},"pid":{},"ts":{},"args":{{"GB/s":0}}}})", name,
                            pid, us(last_end)));
  }

  // Flow arrows from each send to its receive (both ends kept).
  for (const auto& [id, ends] : flows) {
    if (ends.first.ts < 0 || ends.second.ts < 0) continue;
    out.event(fmt::format(R"({{"ph":"s","cat":"flow","name":"transfer","id":{},"pid":{},"tid":{},"ts":{}}})",
                          id, ends.first.pid, ends.first.tid, us(ends.first.ts)));
    out.event(fmt::format(R"({{"ph":"f","bp":"e","cat":"flow","name":"transfer","id":{},"pid":{},"tid":{},"ts":{}}})",
                          id, ends.second.pid, ends.second.tid, us(ends.second.ts)));
  }

  nlohmann::json other;
  other["generator"] = "podsim";
  other["shape"] = timeline.shape.name();
  other["captured"] = timeline.captured;
  other["cut"] = timeline.cuts.empty() ? nlohmann::json("nothing") : nlohmann::json(timeline.cuts);
  other["time_unit"] = "microseconds";
  other["transfers"] = options.aggregate ? "aggregated per chip, op instance, step and direction"
                                         : "one slice per transfer";
  for (const auto& [k, v] : options.metadata) other[k] = v;
  out.raw(fmt::format("\n],\"otherData\":{}}}\n", other.dump()));
  const std::size_t events = out.events();
  out.close();
  return events;
}

}  // namespace podsim
