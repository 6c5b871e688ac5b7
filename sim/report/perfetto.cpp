#include "sim/report/perfetto.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>

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

}  // namespace

std::size_t write_perfetto(const Timeline& timeline, const std::string& path,
                           const PerfettoOptions& options) {
  const Torus torus(timeline.shape);
  Writer out(path);
  out.raw("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[");

  // Lanes: per chip and track, the first lane free at the task's start.
  struct Placed {
    const TimelineTask* task;
    std::int64_t start, end;
    int lane;
  };
  std::map<std::pair<ChipId, int>, std::vector<Placed>> tracks;  // (chip, track) -> tasks
  for (const TimelineTask& t : timeline.tasks)
    tracks[{t.chip, static_cast<int>(t.track)}].push_back(Placed{&t, ns(t.start_s), ns(t.end_s), 0});
  std::map<std::pair<ChipId, int>, int> lane_count;
  for (auto& [key, placed] : tracks) {
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
    lane_count[key] = static_cast<int>(free_at.size());
  }
  const auto tid = [](int track, int lane) { return track * 10000 + lane + 1; };

  // Metadata: process per chip, thread per track lane.
  for (ChipId c : timeline.chips) {
    const int pid = c + 1;
    out.event(fmt::format(R"({{"ph":"M","name":"process_name","pid":{},"tid":0,"args":{{"name":{}}}}})",
                          pid, json_string(fmt::format("chip {} {}", c, coord_name(torus, c)))));
    out.event(fmt::format(R"({{"ph":"M","name":"process_sort_index","pid":{},"tid":0,"args":{{"sort_index":{}}}}})",
                          pid, c));
    for (int track = 0; track < kTracks; ++track) {
      auto it = lane_count.find({c, track});
      const int lanes = it == lane_count.end() ? 1 : it->second;
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
    const int lanes = lane_count[key];
    for (int lane = 0; lane < lanes; ++lane)
      for (const Placed& p : placed) {
        if (p.lane != lane) continue;
        const TimelineTask& t = *p.task;
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
          name = fmt::format("{} step {} {} c{}", label, t.step, send ? "to" : "from", t.peer);
          args += fmt::format(R"(,"step":{},"channel":{},"{}":{},"direction":"{}","bytes":{},"flow":{})",
                              t.step, t.channel, send ? "to" : "from",
                              json_string(fmt::format("chip {} {}", t.peer, coord_name(torus, t.peer))),
                              direction_name(t.direction), t.bytes, t.flow);
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
  for (const auto& [k, v] : options.metadata) other[k] = v;
  out.raw(fmt::format("\n],\"otherData\":{}}}\n", other.dump()));
  const std::size_t events = out.events();
  out.close();
  return events;
}

}  // namespace podsim
