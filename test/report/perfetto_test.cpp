// The Perfetto / Chrome trace JSON is valid Trace Event Format: every event has the fields its
// phase needs, timestamps never go backwards on a track, slices of one thread never overlap, and
// the counts match the program (one slice per send and per receive, counted independently from
// the collective's definition). Filters cut what they say and say what they cut.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "sim/report/perfetto.hpp"
#include "test/support/cli_support.hpp"

namespace podsim::test {
namespace {

nlohmann::json load_trace(const fs::path& path) {
  const std::string text = read_file(path);
  REQUIRE(!text.empty());
  return nlohmann::json::parse(text);
}

struct Counts {
  std::size_t sends = 0, recvs = 0, counters = 0, flows_start = 0, flows_end = 0;
  std::set<int> pids;
};

Counts check_trace_event_format(const nlohmann::json& doc) {
  REQUIRE(doc.contains("traceEvents"));
  REQUIRE(doc["traceEvents"].is_array());
  REQUIRE(doc.contains("otherData"));
  Counts counts;
  std::map<std::pair<int, int>, std::pair<double, double>> last_slice;  // (pid, tid) -> ts, end
  std::map<std::pair<int, std::string>, double> last_counter;
  std::map<long long, int> flow_ends;
  for (const auto& e : doc["traceEvents"]) {
    REQUIRE(e.contains("ph"));
    REQUIRE(e.contains("pid"));
    REQUIRE(e.contains("name"));
    const std::string ph = e["ph"];
    const int pid = e["pid"];
    if (ph == "M") {
      CHECK(e["args"].contains(e["name"] == "process_name" || e["name"] == "thread_name"
                                   ? "name"
                                   : "sort_index"));
      continue;
    }
    REQUIRE(e.contains("ts"));
    const double ts = e["ts"];
    CHECK(ts >= 0);
    counts.pids.insert(pid);
    if (ph == "X") {
      REQUIRE(e.contains("tid"));
      REQUIRE(e.contains("dur"));
      const double dur = e["dur"];
      CHECK(dur >= 0);
      auto key = std::make_pair(pid, e["tid"].get<int>());
      auto it = last_slice.find(key);
      if (it != last_slice.end()) {
        CHECK(ts >= it->second.first);   // monotonic per track
        CHECK(ts >= it->second.second - 1e-9);  // no overlap within a thread
      }
      last_slice[key] = {ts, ts + dur};
      if (e["cat"] == "ici") {
        REQUIRE(e["args"].contains("step"));
        REQUIRE(e["args"].contains("bytes"));
        REQUIRE(e["args"].contains("op"));
        if (e["args"].contains("to")) ++counts.sends;
        if (e["args"].contains("from")) ++counts.recvs;
      }
    } else if (ph == "C") {
      REQUIRE(e.contains("args"));
      CHECK(e["args"].contains("GB/s"));
      // The tpu-v4 link rate, platforms/README.md §1.
      CHECK(e["args"]["GB/s"].get<double>() <= 45.0 * (1 + 1e-6));
      auto key = std::make_pair(pid, e["name"].get<std::string>());
      auto it = last_counter.find(key);
      if (it != last_counter.end()) CHECK(ts >= it->second);
      last_counter[key] = ts;
      ++counts.counters;
    } else if (ph == "s" || ph == "f") {
      REQUIRE(e.contains("id"));
      REQUIRE(e.contains("tid"));
      flow_ends[e["id"].get<long long>()] += ph == "s" ? 1 : 10;
      (ph == "s" ? counts.flows_start : counts.flows_end)++;
    } else {
      FAIL("unexpected phase " << ph);
    }
  }
  for (const auto& [id, ends] : flow_ends) CHECK(ends == 11);  // one start and one end each
  return counts;
}

TEST_CASE("perfetto trace of an all-gather is valid trace event format", "[timeline]") {
  TempDir dir;
  const fs::path file = dir.path / "ag.json";
  const Run run = run_podsim("collective --shape 4x4x4 --op all-gather --axes x --bytes 1MiB "
                             "--perfetto '" + file.string() + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = load_trace(file);
  const Counts counts = check_trace_event_format(doc);
  // Bidirectional ring over x (K = 4) on every x-ring: 64 chips x 2 directions x 3 steps.
  CHECK(counts.sends == 64 * 2 * 3);
  CHECK(counts.recvs == 64 * 2 * 3);
  CHECK(counts.flows_start == counts.sends);
  CHECK(counts.pids.size() == 64);
  CHECK(counts.counters > 0);
  CHECK(doc["otherData"]["cut"] == "nothing");
  CHECK(doc["otherData"]["captured"].get<std::string>().find("in-process") != std::string::npos);
}

TEST_CASE("perfetto trace keeps only the chips and window asked for and says so", "[timeline]") {
  TempDir dir;
  const fs::path file = dir.path / "a2a.json";
  const Run run = run_podsim("collective --shape 2x2x2 --op all-to-all --axes xyz --bytes 64KiB "
                             "--perfetto '" + file.string() + "' --timeline-chips 0-1,5 "
                             "--timeline-window 0:3us");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = load_trace(file);
  const Counts counts = check_trace_event_format(doc);
  CHECK(counts.pids == std::set<int>{1, 2, 6});  // pid = chip + 1
  const std::string cut = doc["otherData"]["cut"].dump();
  CHECK(cut.find("kept 3 of 8 chips") != std::string::npos);
  CHECK(cut.find("time window") != std::string::npos);
  for (const auto& e : doc["traceEvents"])
    if (e["ph"] == "C") CHECK(e["ts"].get<double>() <= 3.0 + 1e-9);
}

TEST_CASE("a capture above the event limit is refused before simulating", "[timeline]") {
  TempDir dir;
  const Run run = run_podsim("collective --shape 8x8x8 --op all-to-all --axes xyz --bytes 64MiB "
                             "--perfetto '" + (dir.path / "x.json").string() +
                             "' --timeline-max-events 10000");
  CHECK(run.exit_code == 2);
  CHECK(run.err.find("--timeline-max-events") != std::string::npos);
  CHECK(run.err.find("--timeline-chips") != std::string::npos);
  CHECK(!fs::exists(dir.path / "x.json"));
}

TEST_CASE("podsim run writes a perfetto trace of an in-process capture", "[timeline]") {
  TempDir dir;
  const fs::path file = dir.path / "run.json";
  const Run run = run_podsim("run '" + std::string(PODSIM_TEST_DIR) +
                             "/inputs/good/toy-deep-generate.yaml' --set generate_tokens=3 --perfetto '" +
                             file.string() + "' --timeline-layers 1:2");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = load_trace(file);
  const Counts counts = check_trace_event_format(doc);
  CHECK(counts.pids.size() == 8);
  const std::string captured = doc["otherData"]["captured"];
  CHECK(captured.find("in-process") != std::string::npos);
  CHECK(captured.find("0 (prefill), 1 (decode)") != std::string::npos);
  CHECK(doc["otherData"]["cut"].dump().find("kept layer instances 1 to 2") != std::string::npos);
  // Only the second and third simulated layer instances of the prefill step remain.
  for (const auto& e : doc["traceEvents"])
    if (e["ph"] == "X") CHECK(e["args"]["where"].get<std::string>().find("step 0 (prefill)") == 0);
}

TEST_CASE("podsim run --exact captures the very simulation its metrics come from", "[timeline]") {
  TempDir dir;
  const fs::path file = dir.path / "exact.json";
  const Run run = run_podsim("run '" + std::string(PODSIM_TEST_DIR) +
                             "/inputs/good/toy-deep-generate.yaml' --set generate_tokens=2 --exact "
                             "--json - --perfetto '" + file.string() + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json metrics = nlohmann::json::parse(run.out);
  const nlohmann::json doc = load_trace(file);
  check_trace_event_format(doc);
  CHECK(doc["otherData"]["captured"].get<std::string>().find("exact run") != std::string::npos);
  // The last slice ends when the run ends: the metrics' total is the captured makespan.
  double last_end_us = 0;
  for (const auto& e : doc["traceEvents"])
    if (e["ph"] == "X")
      last_end_us = std::max(last_end_us, e["ts"].get<double>() + e["dur"].get<double>());
  CHECK(last_end_us == Approx(metrics["total_s"].get<double>() * 1e6).epsilon(1e-6));
}

}  // namespace

// write_perfetto on a timeline built by hand (2 chips, 1 us grid), so that every event can be
// predicted: overlapping sends of one chip go to a second lane, times are microseconds, each
// matched send/receive pair gets one flow arrow, and a link's counter drops to zero when it idles.
TEST_CASE("perfetto events of a hand-built timeline are the predicted ones", "[report]") {
  using podsim::TimelineTask;
  using podsim::Track;
  podsim::Timeline timeline;
  timeline.shape = podsim::parse_shape("2x1x1", "shape");
  timeline.chips = {0, 1};
  timeline.labels = {"ag"};
  timeline.captured = "by hand";
  const auto task = [](podsim::ChipId chip, Track track, double start_us, double end_us,
                       std::int64_t flow) {
    TimelineTask t;
    t.chip = chip;
    t.track = track;
    t.start_s = start_us * 1e-6;
    t.end_s = end_us * 1e-6;
    t.label = 0;
    t.peer = 1 - chip;
    t.bytes = 100;
    t.flops = 10;
    t.flow = flow;
    t.step = static_cast<std::int32_t>(flow - 4);
    return t;
  };
  timeline.tasks = {task(0, Track::mxu, 0, 1, -1), task(0, Track::ici_send, 0, 2, 5),
                    task(0, Track::ici_send, 1, 3, 6), task(1, Track::ici_recv, 0.5, 2, 5),
                    task(1, Track::ici_recv, 2, 3, 6)};
  timeline.link_intervals = {{0, 0.0, 1e-6, 50e9}, {0, 2e-6, 3e-6, 25e9}};
  TempDir dir;
  const std::size_t written = podsim::write_perfetto(timeline, dir.file("t.json"));
  const nlohmann::json doc = load_trace(dir.path / "t.json");
  const nlohmann::json& events = doc.at("traceEvents");
  CHECK(written == events.size());
  std::map<std::string, int> by_phase;
  std::map<std::pair<int, int>, std::string> thread_names;
  std::map<std::pair<int, int>, std::vector<std::pair<double, double>>> slices;
  std::vector<std::pair<double, double>> counters;  // (ts, GB/s)
  for (const auto& e : events) {
    const std::string ph = e.at("ph");
    ++by_phase[ph];
    if (ph == "M" && e.at("name") == "thread_name")
      thread_names[{e.at("pid").get<int>(), e.at("tid").get<int>()}] = e.at("args").at("name");
    if (ph == "X")
      slices[{e.at("pid").get<int>(), e.at("tid").get<int>()}].push_back(
          {e.at("ts").get<double>(), e.at("dur").get<double>()});
    if (ph == "C") counters.push_back({e.at("ts").get<double>(), e.at("args").at("GB/s").get<double>()});
  }
  // 2 chips x (process name + sort index) + threads: chip 0 has 5 (ICI send twice), chip 1 has 4,
  // each with a name and a sort index.
  CHECK(by_phase["M"] == 2 * 2 + 2 * (5 + 4));
  CHECK(by_phase["X"] == 5);
  CHECK(by_phase["s"] == 2);
  CHECK(by_phase["f"] == 2);
  CHECK(by_phase["C"] == 4);  // 50 at 0, 0 at 1, 25 at 2, 0 at 3
  int second_lanes = 0;
  for (const auto& [key, name] : thread_names) second_lanes += name == "ICI send #2";
  CHECK(second_lanes == 1);
  // Each thread's slices are in time order and never overlap; the send lanes hold [0, 2) and
  // [1, 3) apart.
  std::vector<std::pair<double, double>> sends;
  for (const auto& [key, list] : slices) {
    for (std::size_t i = 1; i < list.size(); ++i)
      CHECK(list[i].first >= list[i - 1].first + list[i - 1].second - 1e-9);
    if (key.first == 1 && thread_names[key].rfind("ICI send", 0) == 0)
      for (const auto& s : list) sends.push_back(s);
  }
  std::sort(sends.begin(), sends.end());
  REQUIRE(sends.size() == 2u);
  CHECK(sends[0].first == Approx(0.0));
  CHECK(sends[0].second == Approx(2.0));
  CHECK(sends[1].first == Approx(1.0));
  CHECK(sends[1].second == Approx(2.0));
  std::sort(counters.begin(), counters.end());
  REQUIRE(counters.size() == 4u);
  CHECK(counters[0] == std::pair<double, double>{0.0, 50.0});
  CHECK(counters[1] == std::pair<double, double>{1.0, 0.0});
  CHECK(counters[2] == std::pair<double, double>{2.0, 25.0});
  CHECK(counters[3] == std::pair<double, double>{3.0, 0.0});
  CHECK(doc.at("otherData").at("captured") == "by hand");
  CHECK(doc.at("otherData").at("shape") == "2x1x1");
}

}  // namespace podsim::test

namespace podsim::test {
namespace {

// Thread names and X slices of a written trace.
struct Written {
  nlohmann::json doc;
  std::map<std::pair<int, int>, std::string> threads;  // (pid, tid) -> name
  std::vector<nlohmann::json> slices;
};

Written written(const fs::path& file) {
  Written w{load_trace(file), {}, {}};
  for (const auto& e : w.doc.at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "thread_name")
      w.threads[{e.at("pid").get<int>(), e.at("tid").get<int>()}] = e.at("args").at("name");
    if (e.at("ph") == "X") w.slices.push_back(e);
  }
  return w;
}

// Chip 0 sends three chunks of 100 B to chip 1, one after another (0-2, 2-4, 4-6 us), all of
// step 1 in the +x direction; chip 1 posted the three receives at 0.
podsim::Timeline three_sends() {
  using podsim::TimelineTask;
  using podsim::Track;
  podsim::Timeline timeline;
  timeline.shape = podsim::parse_shape("2x1x1", "shape");
  timeline.chips = {0, 1};
  timeline.labels = {"a2a"};
  timeline.captured = "by hand";
  for (int k = 0; k < 3; ++k) {
    TimelineTask send;
    send.chip = 0;
    send.track = Track::ici_send;
    send.start_s = 2e-6 * k;
    send.end_s = 2e-6 * (k + 1);
    send.label = 0;
    send.step = 1;
    send.peer = 1;
    send.bytes = 100;
    send.flow = k;
    TimelineTask recv = send;
    recv.chip = 1;
    recv.track = Track::ici_recv;
    recv.start_s = 0;  // posted ahead of time
    recv.peer = 0;
    timeline.tasks.push_back(send);
    timeline.tasks.push_back(recv);
  }
  return timeline;
}

}  // namespace

TEST_CASE("a receive posted ahead starts with its data and reuses the free lane", "[report]") {
  TempDir dir;
  const podsim::Timeline timeline = three_sends();
  const std::size_t events = podsim::write_perfetto(timeline, dir.file("t.json"));
  const Written w = written(dir.path / "t.json");
  CHECK(events == w.doc.at("traceEvents").size());
  // The receives move with their data (0-2, 2-4, 4-6): one lane, not three.
  int recv_lanes = 0;
  for (const auto& [key, name] : w.threads)
    recv_lanes += key.first == 2 && name.rfind("ICI recv", 0) == 0;  // chip 1 (pid 2)
  CHECK(recv_lanes == 1);
  std::vector<std::pair<double, double>> recvs;  // (ts, posted_us)
  for (const auto& e : w.slices)
    if (e.at("args").contains("from"))
      recvs.push_back({e.at("ts").get<double>(),
                       e.at("args").value("posted_us", e.at("ts").get<double>())});
  std::sort(recvs.begin(), recvs.end());
  REQUIRE(recvs.size() == 3u);
  for (int k = 0; k < 3; ++k) {
    CHECK(recvs[k].first == Approx(2.0 * k));
    CHECK(recvs[k].second == Approx(0.0));  // when it was posted
  }
}

TEST_CASE("aggregated transfers are one slice per chip, step and direction", "[report]") {
  TempDir dir;
  podsim::PerfettoOptions options;
  options.aggregate = true;
  const podsim::Timeline timeline = three_sends();
  const std::size_t events = podsim::write_perfetto(timeline, dir.file("a.json"), options);
  const Written w = written(dir.path / "a.json");
  CHECK(events == w.doc.at("traceEvents").size());
  REQUIRE(w.slices.size() == 2u);  // the sends of chip 0, the receives of chip 1
  for (const auto& e : w.slices) {
    CHECK(e.at("ts").get<double>() == Approx(0.0));
    CHECK(e.at("dur").get<double>() == Approx(6.0));
    CHECK(e.at("args").at("transfers") == 3);
    CHECK(e.at("args").at("bytes") == 300);
  }
  for (const auto& e : w.doc.at("traceEvents")) CHECK(e.at("ph") != "s");  // no flow arrows
}

TEST_CASE("the size said before writing is the trace's event and track count", "[report]") {
  for (bool aggregate : {false, true}) {
    TempDir dir;
    podsim::PerfettoOptions options;
    options.aggregate = aggregate;
    podsim::Timeline timeline = three_sends();
    timeline.link_intervals = {{0, 0.0, 1e-6, 50e9}, {0, 2e-6, 3e-6, 25e9}};
    const podsim::PerfettoSize size = podsim::perfetto_size(timeline, options);
    const std::size_t events = podsim::write_perfetto(timeline, dir.file("t.json"), options);
    const Written w = written(dir.path / "t.json");
    INFO("aggregate " << aggregate);
    CHECK(size.events == events);
    CHECK(size.events == w.doc.at("traceEvents").size());
    CHECK(size.threads == w.threads.size());
    CHECK(size.bytes == Approx(static_cast<double>(size.events) * podsim::kPerfettoBytesPerEvent));
  }
}

TEST_CASE("an aggregated all-to-all trace still counts every transfer", "[timeline]") {
  TempDir dir;
  const Run run = run_podsim("collective --shape 4x4x4 --op all-to-all --axes xyz --bytes 1MiB "
                             "--perfetto-aggregate --progress --perfetto '" + dir.file("a2a.json") + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(run.err.find("writing " + dir.file("a2a.json") + ": ") != std::string::npos);
  const Written w = written(dir.path / "a2a.json");
  long long sends = 0, send_slices = 0;
  for (const auto& e : w.slices)
    if (e.at("args").contains("to")) {
      sends += e.at("args").at("transfers").get<long long>();
      ++send_slices;
    }
  // Every chip sends one chunk to each of the 63 others (sim/README.md §5).
  CHECK(sends == 64 * 63);
  // One slice per chip and direction it sends in (six links each).
  CHECK(send_slices == 64 * 6);
}

}  // namespace podsim::test
