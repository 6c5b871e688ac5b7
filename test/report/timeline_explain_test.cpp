// `podsim explain` lists the steps a collective really took: a 4-chip ring all-gather has exactly
// K-1 = 3 steps per direction, each moving the chunk sizes the algorithm prescribes (computed
// here from the definition: S/K/2 per message on a bidirectional ring, S/K on a line), and the
// closed form beside the simulated time.

#include <catch2/catch.hpp>

#include <map>
#include <regex>

#include "sim/config/platform_loader.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/program/looped_einsum.hpp"
#include "sim/replay/replay.hpp"
#include "sim/report/html_content.hpp"
#include "sim/report/timeline_explain.hpp"
#include "test/support/cli_support.hpp"
#include "test/support/isolated.hpp"
#include "test/support/specs.hpp"

namespace podsim::test {
namespace {

struct Listing {
  std::map<std::string, std::vector<int>> steps;  // direction header -> step numbers listed
  std::map<std::string, int> totals;              // direction header -> N of "step i/N"
  std::vector<long long> message_bytes;           // every transfer line's exact byte count
};

Listing parse(const std::string& text) {
  Listing listing;
  std::istringstream in(text);
  std::string line, header;
  const std::regex phase(R"(^phase \d+[a-z]?: .*direction ([+-][xyz])$)");
  const std::regex step(R"(^  step (\d+)/(\d+) )");
  const std::regex transfer(R"(^    c\(\d+,\d+,\d+\) -> c\(\d+,\d+,\d+\)  .*\((\d+) B\))");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, phase)) header = m[1];
    if (std::regex_search(line, m, step)) {
      listing.steps[header].push_back(std::stoi(m[1]));
      listing.totals[header] = std::stoi(m[2]);
    }
    if (std::regex_search(line, m, transfer)) listing.message_bytes.push_back(std::stoll(m[1]));
  }
  return listing;
}

TEST_CASE("explain lists 3 steps per direction of a 4-chip ring all-gather", "[timeline]") {
  const Run run = run_podsim("explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const Listing listing = parse(run.out);
  REQUIRE(listing.steps.size() == 2);  // +x and -x
  for (const auto& [direction, steps] : listing.steps) {
    INFO(direction);
    CHECK(steps == std::vector<int>{1, 2, 3});
    CHECK(listing.totals.at(direction) == 3);
  }
  // The group of chip 0 (one ring of 4): 4 transfers per step, each half of a 256 KiB shard.
  REQUIRE(listing.message_bytes.size() == 2 * 3 * 4);
  for (long long b : listing.message_bytes) CHECK(b == 1024 * 1024 / 4 / 2);
  // Step 1 on +x carries each chip's own shard; step 2 the left neighbour's.
  CHECK(run.out.find("c(1,0,0) -> c(2,0,0)  128 KiB (131072 B), 1 hop: half of the shard of "
                     "c(1,0,0)") != std::string::npos);
  CHECK(run.out.find("c(1,0,0) -> c(2,0,0)  128 KiB (131072 B), 1 hop: half of the shard of "
                     "c(0,0,0)") != std::string::npos);
  // Uncontended: simulated = closed form = 3 x (1 us + 128 KiB / effective link rate).
  CHECK(run.out.find("simulated / closed form = 1.0000") != std::string::npos);
  CHECK(run.out.find("agree to rounding") != std::string::npos);
}

double seconds_of(const std::string& number, const std::string& unit) {
  const double scale = unit == "ns" ? 1e-9 : unit == "us" ? 1e-6 : unit == "ms" ? 1e-3 : 1.0;
  return std::stod(number) * scale;
}

TEST_CASE("explain's per-step closed forms add up to its total and nothing contends",
          "[timeline]") {
  // One ring of 4 chips, each link carrying one flow at a time: the steps of one direction run
  // one after another, so their closed forms must sum to the whole collective's, and no
  // transfer may be reported as sharing a link.
  const Run run = run_podsim("explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB");
  REQUIRE(run.exit_code == 0);
  std::istringstream in(run.out);
  std::string line, direction;
  std::map<std::string, double> sums;
  const std::regex phase(R"(direction ([+-][xyz])$)");
  const std::regex step(R"(^  step \d+/\d+ .*; closed form ([0-9.]+) (ns|us|ms|s)\)$)");
  const std::regex total(R"(^closed form  ([0-9.]+) (ns|us|ms|s) )");
  double whole = 0;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, phase)) direction = m[1];
    if (std::regex_search(line, m, step)) sums[direction] += seconds_of(m[1], m[2]);
    if (std::regex_search(line, m, total)) whole = seconds_of(m[1], m[2]);
  }
  INFO(run.out);
  REQUIRE(sums.size() == 2);
  // Four significant digits printed per number.
  for (const auto& [d, sum] : sums) CHECK(sum == Approx(whole).epsilon(2e-3));
  CHECK(run.out.find("Contention") == std::string::npos);
  // The rate it names is the one that explains the time: 3 x (1 us + 128 KiB / rate) = total.
  const std::regex rate(R"(each directed link moves ([0-9.]+) GB/s, the effective rate)");
  REQUIRE(std::regex_search(run.out, m, rate));
  CHECK(3 * (1e-6 + 131072 / (std::stod(m[1]) * 1e9)) == Approx(whole).epsilon(2e-3));
}

TEST_CASE("explain on a mesh axis lists the line's 3 pipelined steps per direction", "[timeline]") {
  // 4x4x1 is not made of whole 4x4x4 cubes: no wraparound (TPU v4 rule), a line of 4 chips.
  const Run run = run_podsim("explain --op all-gather --axes x --shape 4x4x1 --bytes 1MiB");
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const Listing listing = parse(run.out);
  REQUIRE(listing.steps.size() == 2);
  for (const auto& [direction, steps] : listing.steps) CHECK(steps == std::vector<int>{1, 2, 3});
  // A line sends whole shards (S/K); the chain's end chips send fewer: 3+2+1 per direction.
  REQUIRE(listing.message_bytes.size() == 2 * (3 + 2 + 1));
  for (long long b : listing.message_bytes) CHECK(b == 1024 * 1024 / 4);
  CHECK(run.out.find("Mesh axis x") != std::string::npos);
}

TEST_CASE("explain walks through every collective kind", "[timeline]") {
  for (const char* op : {"reduce-scatter", "all-reduce", "all-to-all", "permute"}) {
    const Run run = run_podsim(std::string("explain --op ") + op +
                               " --axes xy --shape 4x4x1 --wrap xy --bytes 256KiB");
    INFO(op << "\n" << run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("step 1/") != std::string::npos);
    CHECK(run.out.find("closed form") != std::string::npos);
  }
  // The all-to-all of a 4x4 torus contends (dimension-order routes share links).
  const Run a2a = run_podsim("explain --op all-to-all --axes xy --shape 4x4x1 --wrap xy --bytes 256KiB");
  CHECK(a2a.out.find("Contention") != std::string::npos);
  // Bad input is one line and exit code 2.
  const Run bad = run_podsim("explain --op all-gather --axes w --shape 4x4x1");
  CHECK(bad.exit_code == 2);
}


// The explanation of one collective, simulated by the per-chip replay as `podsim explain` does,
// on the shipped TPU v4 platform (its fitted ici_efficiency: the effective rate matters).
Explanation explain(const char* shape_text, const char* wrap, CollectiveKind kind, const char* axes,
                    Bytes bytes, RingAlgorithm algorithm = RingAlgorithm::automatic,
                    ExplainOptions options = {}) {
  const Platform platform = config::load_platform(PODSIM_TEST_DIR "/../platforms/tpu-v4.yaml");
  TorusShape shape = shape_of(shape_text);
  if (std::string(wrap) == "all")
    for (int a = 0; a < 3; ++a) shape.wraps[a] = shape.dims[a] > 1;
  CollectiveSpec spec = collective_spec(kind, axes, bytes);
  spec.algorithm = algorithm;
  validate_collective(spec, shape);
  const Torus torus(shape);
  Program program(torus.chip_count());
  append_collective(program, torus, spec, Frontier(torus.chip_count(), kNoTask),
                    program.add_label("c"));
  const ReplayResult result = replay(platform.chip, torus, program, ReplayOptions{true, true});
  const Timeline timeline = collective_timeline(program, torus, platform.chip, spec, result);
  return explain_collective(timeline, spec, torus, platform.chip, options);
}

// The flows that moved on one link at the same moment, counted from the explanation's own listed
// transfers (every group listed) and their dimension-order routes: an independent count.
int most_flows_at_once(const Explanation& ex, const Torus& torus, double hop_latency_s) {
  std::map<LinkId, std::vector<std::pair<double, double>>> on;
  for (const ExplainStep& st : ex.steps)
    for (const ExplainTransfer& t : st.transfers)
      for (const Hop& h : torus.route(t.from, t.to))
        on[Torus::link_id(h.from, h.direction)].push_back({t.start_s + t.hops * hop_latency_s, t.end_s});
  int most = 0;
  for (const auto& [link, list] : on)
    for (const auto& [a, b] : list) {
      int n = 0;
      for (const auto& [c, d] : list) n += c < b - 1e-12 && a < d - 1e-12;
      most = std::max(most, n);
    }
  return most;
}

TEST_CASE("explain reports no contention where every link carries one flow at a time",
          "[timeline]") {
  struct Case {
    const char* shape;
    const char* wrap;
    CollectiveKind kind;
    const char* axes;
    RingAlgorithm algorithm;
  };
  const std::vector<Case> cases = {
      {"4x4x1", "all", CollectiveKind::all_gather, "x", RingAlgorithm::automatic},
      {"4x4x1", "none", CollectiveKind::all_gather, "x", RingAlgorithm::automatic},  // a line
      {"8x1x1", "all", CollectiveKind::reduce_scatter, "x", RingAlgorithm::ring},
      {"4x4x4", "all", CollectiveKind::all_gather, "xyz", RingAlgorithm::automatic},
      {"4x4x4", "all", CollectiveKind::all_reduce, "xy", RingAlgorithm::automatic},
      {"2x2x1", "none", CollectiveKind::all_gather, "x", RingAlgorithm::automatic},
      {"4x2x1", "none", CollectiveKind::permute, "x", RingAlgorithm::automatic}};
  for (const Case& c : cases) {
    CAPTURE(c.shape, c.wrap, c.axes, static_cast<int>(c.kind));
    ExplainOptions every;
    every.group = -1;
    const std::vector<double> r = run_isolated([&] {
      const Explanation ex = explain(c.shape, c.wrap, c.kind, c.axes, 1 * kMiB, c.algorithm, every);
      TorusShape shape = shape_of(c.shape);
      if (std::string(c.wrap) == "all")
        for (int a = 0; a < 3; ++a) shape.wraps[a] = shape.dims[a] > 1;
      return std::vector<double>{double(most_flows_at_once(ex, Torus(shape), 1e-6)),
                                 double(ex.contended), double(ex.max_flows_on_link),
                                 double(ex.text.find("Contention") != std::string::npos)};
    });
    REQUIRE(r.size() == 4);
    CHECK(r[0] == 1);  // the reference
    CHECK(r[1] == 0);
    CHECK(r[2] == 1);
    CHECK(r[3] == 0);
  }
  // And an all-to-all, whose routes share links, is reported as contended.
  ExplainOptions every;
  every.group = -1;
  const std::vector<double> r = run_isolated([&] {
    const Explanation a2a = explain("4x4x1", "all", CollectiveKind::all_to_all, "xy", 256 * kKiB,
                                    RingAlgorithm::automatic, every);
    TorusShape shape = shape_of("4x4x1");
    shape.wraps = {true, true, false};
    return std::vector<double>{double(most_flows_at_once(a2a, Torus(shape), 1e-6)),
                               double(a2a.contended), double(a2a.max_flows_on_link),
                               double(a2a.text.find("Contention") != std::string::npos)};
  });
  REQUIRE(r.size() == 4);
  CHECK(r[0] >= 2);
  CHECK(r[1] > 0);
  CHECK(r[2] == r[0]);
  CHECK(r[3] == 1);
}

TEST_CASE("explain's per-step closed forms add up to its total, phase by phase and part by part",
          "[timeline]") {
  for (const char* shape : {"4x4x4", "4x2x2", "8x4x2"})
    for (CollectiveKind kind : {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                                CollectiveKind::all_reduce})
      for (const char* axes : {"x", "xy", "xyz"}) {
        CAPTURE(shape, axes, static_cast<int>(kind));
        const std::vector<double> r = run_isolated([&] {
        const Explanation ex = explain(shape, "all", kind, axes, 1 * kMiB);
        // Per part: the phases one after the other, each as long as its longer direction.
        std::map<std::pair<int, int>, double> stream_sum;  // (part, phase) -> longest direction
        std::map<int, double> direction_sum;               // stream -> its steps
        for (const ExplainStep& st : ex.steps) direction_sum[st.stream] += st.closed_form_s;
        for (const auto& [stream, sum] : direction_sum) {
          const ExplainStream& s = ex.streams[stream];
          double& slot = stream_sum[{s.part, s.phase}];
          slot = std::max(slot, sum);
        }
        std::map<int, double> part_sum;
        for (const auto& [key, sum] : stream_sum) part_sum[key.first] += sum;
        double longest = 0;
        for (const auto& [part, sum] : part_sum) longest = std::max(longest, sum);
        return std::vector<double>{longest, ex.closed_form.time_s};
        });
        REQUIRE(r.size() == 2);
        CHECK(r[0] == Approx(r[1]).epsilon(1e-9));
      }
}

TEST_CASE("explain numbers concurrent phases as concurrent", "[timeline]") {
  // Concurrent all-gather over xyz: 3 parts x 3 phases x 2 directions, 6 streams per phase.
  const std::vector<double> r = run_isolated([&] {
    const Explanation ex = explain("4x4x4", "all", CollectiveKind::all_gather, "xyz", 1 * kMiB);
    std::map<int, std::vector<std::string>> labels;
    for (const ExplainStream& s : ex.streams) labels[s.phase].push_back(s.label);
    // Streams of one phase overlap in simulated time; phases 1 and 2 of a part do not.
    bool ordered = true;
    for (const ExplainStep& a : ex.steps)
      for (const ExplainStep& b : ex.steps) {
        const ExplainStream &sa = ex.streams[a.stream], &sb = ex.streams[b.stream];
        if (sa.part == sb.part && sa.phase + 1 == sb.phase) ordered = ordered && a.end_s <= b.start_s + 1e-12;
      }
    return std::vector<double>{
        double(ex.streams.size()), double(labels.size()),
        double(labels[1] == std::vector<std::string>{"1a", "1b", "1c", "1d", "1e", "1f"}),
        double(ex.text.find("phase 1: 6 streams run at the same time") != std::string::npos),
        double(ex.text.find("phase 4") == std::string::npos), double(ordered)};
  });
  CHECK(r == std::vector<double>{18, 3, 1, 1, 1, 1});
  // A single axis: the two directions are 1a and 1b.
  const std::vector<double> one = run_isolated([&] {
    const Explanation ex = explain("4x4x1", "all", CollectiveKind::all_gather, "x", 1 * kMiB);
    return std::vector<double>{double(ex.streams.size()), double(ex.streams[0].label == "1a"),
                               double(ex.streams[1].label == "1b")};
  });
  CHECK(one == std::vector<double>{2, 1, 1});
}

TEST_CASE("explain --group and --steps choose what is listed", "[timeline]") {
  ExplainOptions second;
  second.group = 2;
  second.first_step = 2;
  second.last_step = 2;
  const std::vector<double> r = run_isolated([&] {
    const Explanation ex = explain("4x4x1", "all", CollectiveKind::all_gather, "x", 1 * kMiB,
                                   RingAlgorithm::automatic, second);
    const Torus torus(shape_of("4x4x1"));
    const std::vector<ChipId> group = groups_of(torus, parse_axes("x", "axes"))[2];
    bool listed = true, mine = true;
    for (const ExplainStep& st : ex.steps) {
      listed = listed && st.listed == (st.step == 2);
      for (const ExplainTransfer& t : st.transfers)
        mine = mine && std::find(group.begin(), group.end(), t.from) != group.end();
    }
    return std::vector<double>{double(ex.group == group), double(listed), double(mine),
                               double(ex.html_steps.size()),
                               double(ex.text.find("step 1/3") == std::string::npos),
                               double(ex.text.find("step 2/3") != std::string::npos),
                               double(ex.text.find("c(0,2,0) -> c(1,2,0)") != std::string::npos)};
  });
  CHECK(r == std::vector<double>{1, 1, 1, 1, 1, 1, 1});  // step 2 of both directions: one page step

  const Run listed = run_podsim("explain --shape 4x4x1 --wrap x --group all --steps 3:");
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find("c(0,3,0) -> c(1,3,0)") != std::string::npos);
  CHECK(listed.out.find("step 2/3") == std::string::npos);
  for (const char* bad : {"--group 4", "--group x", "--steps 9", "--steps 3:1", "--steps 0"}) {
    const Run run = run_podsim(std::string("explain --shape 4x4x1 --wrap x ") + bad);
    INFO(bad << "\n" << run.err);
    CHECK(run.exit_code == 2);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK(run.err.find(std::string(bad).substr(0, 7)) != std::string::npos);
  }
}

TEST_CASE("explain walks through a Looped CollectiveEinsum chunk by chunk", "[timeline]") {
  for (const char* op : {"looped-all-gather", "looped-reduce-scatter"}) {
    const Run run = run_podsim(std::string("explain --op ") + op +
                               " --shape 4x4x1 --wrap x --axes x --bytes 1MiB");
    INFO(op << "\n" << run.out << run.err);
    REQUIRE(run.exit_code == 0);
    CHECK(run.out.find("Looped CollectiveEinsum") != std::string::npos);
    CHECK(run.out.find("step 3/3") != std::string::npos);
    CHECK(run.out.find("while: MXU of c(0,0,0)") != std::string::npos);
    CHECK(run.out.find("No contention") != std::string::npos);
  }
  // Balanced all-gather then einsum on a ring of 4: the per-chip replay equals the pipeline's
  // closed form, written out here: half-chunk c = one step's transfer t = 1 us + 128 KiB / b;
  // the own shard (2c), then per step two half-chunks as the halves land at s x t.
  // The loop's fixed costs (launch, per-chunk op and per-message costs) are set to 0 and its
  // chunks run at the einsum's rate, so that the pipeline's closed form below holds without them.
  const Platform platform = config::load_platform(PODSIM_TEST_DIR "/../platforms/tpu-v4.yaml");
  ChipSpec chip = platform.chip;
  chip.loop_chunk_efficiency = 1;
  chip.collective_overhead_s = 0;
  chip.op_overhead_s = 0;
  chip.ici_message_overhead_s = 0;
  TorusShape shape = shape_of("4x4x1");
  shape.wraps = {true, false, false};
  const Torus torus(shape);
  const CollectiveSpec spec = collective_spec(CollectiveKind::all_gather, "x", 1 * kMiB);
  const double t = 1e-6 + 131072 / chip.effective_ici_link_bytes_per_s();
  const double c = t;
  double mxu = 2 * c;
  for (int s = 1; s <= 3; ++s) mxu = std::max(mxu, s * t) + c, mxu = std::max(mxu, s * t) + c;
  CHECK(looped_einsum_closed_form(LoopedKind::all_gather_then_einsum, spec, torus, chip, c) ==
        Approx(mxu));
  const std::vector<double> r = run_isolated([&] {
    Program program(torus.chip_count());
    Frontier frontier(torus.chip_count(), kNoTask);
    const EinsumWork work{2.0 * 4 * c * chip.peak_flops_per_s, 0, 0};
    append_looped_einsum(program, torus, LoopedKind::all_gather_then_einsum, spec, work, chip,
                         program.add_label("loop"), frontier);
    const ReplayResult result = replay(chip, torus, program, ReplayOptions{true, true});
    const Timeline timeline = build_timeline(program, torus, chip, result, "test");
    const Explanation ex = explain_looped_einsum(timeline, LoopedKind::all_gather_then_einsum,
                                                 spec, torus, chip, c);
    std::vector<double> out{ex.simulated_s, double(ex.steps.size())};
    for (const ExplainStep& st : ex.steps) {
      out.push_back(double(st.transfers.size()));  // 4 chips x 2 directions
      out.push_back(double(!st.compute.empty()));  // a chunk on the MXU while halves travel
    }
    return out;
  });
  REQUIRE(r.size() == 8);
  CHECK(r[0] == Approx(mxu).epsilon(1e-6));
  CHECK(r[1] == 3);
  CHECK(std::vector<double>(r.begin() + 2, r.end()) == std::vector<double>{8, 1, 8, 1, 8, 1});
}

}  // namespace
}  // namespace podsim::test

