// `podsim explain` lists the steps a collective really took: a 4-chip ring all-gather has exactly
// K-1 = 3 steps per direction, each moving the chunk sizes the algorithm prescribes (computed
// here from the definition: S/K/2 per message on a bidirectional ring, S/K on a line), and the
// closed form beside the simulated time.

#include <catch2/catch.hpp>

#include <map>
#include <regex>

#include "test/support/cli_support.hpp"

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
  const std::regex phase(R"(^phase \d+: .*direction ([+-][xyz])$)");
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
  const std::regex rate(R"(effective link rate \(([0-9.]+) GB/s)");
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

}  // namespace
}  // namespace podsim::test
