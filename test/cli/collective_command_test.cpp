// `podsim collective` as a user runs it: bad input exits 2 with one line naming the flag (or the
// file:line and key), and a good run's JSON agrees with the hand-written closed form.

#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <regex>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

namespace fs = std::filesystem;

const std::string kPlatformFile = PODSIM_TEST_DIR "/../platforms/tpu-v4.yaml";

using podsim::test::contains;
using podsim::test::read_file;
using podsim::test::Run;
using podsim::test::run_podsim;
using podsim::test::TempDir;

// A number of the shipped platform file, read with a regex (not with podsim's loader).
double platform_number(const std::string& key) {
  const std::string text = read_file(kPlatformFile);
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex("\\n  " + key + ": *([0-9.eE+-]+)")));
  return std::stod(match[1]);
}

// Exit code 2 and exactly one non-empty line on stderr containing every `needles`.
void require_bad_input(const std::string& args, std::initializer_list<std::string> needles) {
  const Run run = run_podsim(args);
  INFO("podsim " << args << "\nstderr: " << run.err << "\nstdout: " << run.out);
  REQUIRE(run.exit_code == 2);
  REQUIRE(run.err.size() > 1);
  REQUIRE(run.err.back() == '\n');
  REQUIRE(run.err.find('\n') == run.err.size() - 1);
  for (const std::string& needle : needles) {
    INFO("expected to contain: " << needle);
    REQUIRE(contains(run.err, needle));
  }
}

}  // namespace

TEST_CASE("an unknown op exits 2 naming --op and the likely op", "[cli]") {
  require_bad_input("collective --op all-gahter", {"--op", "all-gahter", "all-gather"});
}

TEST_CASE("an unknown axis exits 2 naming --axes", "[cli]") {
  require_bad_input("collective --axes w", {"--axes", "'w'"});
  require_bad_input("collective --axes xx", {"--axes"});
}

TEST_CASE("a shape that is not XxYxZ of positive integers exits 2 naming --shape", "[cli]") {
  require_bad_input("collective --shape 4x4", {"--shape", "4x4"});
  require_bad_input("collective --shape 0x4x4", {"--shape", "0x4x4"});
  require_bad_input("collective --shape abc", {"--shape", "abc"});
  require_bad_input("collective --shape 2048x1024x1024", {"--shape"});
}

TEST_CASE("an axis of size 1 asked to communicate exits 2", "[cli]") {
  require_bad_input("collective --shape 4x4x1 --axes z", {"--axes", "axis z", "size 1"});
}

TEST_CASE("negative or unparsable sizes exit 2 naming --bytes", "[cli]") {
  require_bad_input("collective --bytes -5", {"--bytes"});
  require_bad_input("collective --bytes=-5", {"--bytes", "-5"});
  require_bad_input("collective --bytes lots", {"--bytes", "lots"});
  require_bad_input("collective --bytes 0", {"--bytes"});
}

TEST_CASE("a missing platform file exits 2 naming the file", "[cli]") {
  require_bad_input("collective --platform /nonexistent.yaml", {"/nonexistent.yaml", "platform"});
  require_bad_input("collective --platform no-such-platform", {"no-such-platform", "platform"});
}

TEST_CASE("a platform file with a misspelt key exits 2 naming file line and key", "[cli]") {
  TempDir dir;
  std::string text = read_file(kPlatformFile);
  const auto at = text.find("ici_link_bytes_per_s:");
  REQUIRE(at != std::string::npos);
  text.replace(at, 21, "ici_link_byte_per_s:");
  // The line of the typo, counted by hand.
  const long line = std::count(text.begin(), text.begin() + at, '\n') + 1;
  const std::string file = (dir.path / "typo.yaml").string();
  std::ofstream(file, std::ios::binary) << text;
  require_bad_input("collective --platform '" + file + "'",
                    {file + ":" + std::to_string(line) + ":", "chip.ici_link_byte_per_s",
                     "ici_link_bytes_per_s"});
}

TEST_CASE("the unidirectional ring on a mesh axis exits 2", "[cli]") {
  require_bad_input("collective --shape 2x2x2 --axes x --algorithm ring",
                    {"algorithm ring", "axis x", "mesh"});
  require_bad_input("collective --algorithm spiral", {"--algorithm", "spiral"});
}

TEST_CASE("an unknown flag exits 2 naming it", "[cli]") {
  require_bad_input("collective --bogus 1", {"--bogus"});
  // An unknown subcommand is named, with the commands there are.
  require_bad_input("no-such-command", {"'no-such-command' is not a podsim command", "collective"});
}

TEST_CASE("all-gather over x on 4x4x4 writes JSON matching the closed form", "[cli]") {
  const Run run =
      run_podsim("collective --shape 4x4x4 --op all-gather --axes x --bytes 64MiB --json -");
  INFO("stderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  for (const char* key : {"simulated_s", "analytic_s", "bytes", "op", "axes", "shape", "links"}) {
    INFO("key " << key);
    REQUIRE(doc.contains(key));
  }
  const double mib = 1024.0 * 1024.0;
  REQUIRE(doc["bytes"].get<double>() == 64 * mib);
  REQUIRE(doc["op"] == "all-gather");
  REQUIRE(doc["axes"] == "x");
  REQUIRE(doc["shape"] == "4x4x4");

  // Bidirectional ring of K = 4 chips (platforms/README.md §3, paper §4 numbers): K - 1 = 3 steps,
  // each
  // moving half of a 64MiB/4 chunk each way over one 45e9 B/s link (at the platform's achieved
  // fraction ici_efficiency, read from its file here) after a 1 us hop.
  const double link_bytes_per_s = 45e9 * platform_number("ici_efficiency");
  const double closed_form = 3 * (1e-6 + 64 * mib / (2 * 4) / link_bytes_per_s);
  const double simulated = doc["simulated_s"].get<double>();
  REQUIRE(simulated == Approx(closed_form).epsilon(0.01));
  REQUIRE(doc["analytic_s"].get<double>() == Approx(closed_form).epsilon(0.01));

  // Links: each chip sends its 16 MiB chunk as two halves, each half 3 hops round one
  // direction of its x ring, so each of the 64 * 2 directed x links carries 3 * 8 MiB and no
  // y or z link carries anything.
  REQUIRE(doc["links"].is_array());
  int busy_x_links = 0;
  double total = 0;
  for (const auto& link : doc["links"]) {
    REQUIRE(link.is_object());
    REQUIRE(link.contains("link"));
    REQUIRE(link.contains("bytes"));
    REQUIRE(link.contains("busy_fraction"));
    const std::string name = link["link"].get<std::string>();
    const double bytes = link["bytes"].get<double>();
    const double busy = link["busy_fraction"].get<double>();
    REQUIRE(busy >= 0);
    REQUIRE(busy <= 1 + 1e-9);
    total += bytes;
    if (bytes > 0) {
      INFO("link " << name);
      REQUIRE((name.ends_with("+x") || name.ends_with("-x")));
      REQUIRE(bytes == Approx(3 * 8 * mib));
      // Busy for its bytes at the achieved link bandwidth, out of the whole run.
      REQUIRE(busy == Approx(3 * 8 * mib / link_bytes_per_s / simulated).epsilon(0.01));
      ++busy_x_links;
    }
  }
  REQUIRE(busy_x_links == 64 * 2);
  REQUIRE(total == Approx(64 * 2 * 3 * 8 * mib));
}
