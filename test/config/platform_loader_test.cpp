// platforms/tpu-v4.yaml against the numbers of platforms/README.md §1 (paper §4, the scaling book,
// Google
// Cloud TPU v4 docs), and bad platform files against hand-located file:line:col positions.

#include "sim/config/platform_loader.hpp"

#include <stdlib.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>

#include "sim/core/input_error.hpp"
#include "test/support/podsim_process.hpp"

namespace podsim {
namespace {

namespace fs = std::filesystem;

const std::string kPlatformFile = PODSIM_TEST_DIR "/../platforms/tpu-v4.yaml";

using test::read_file;
using test::TempDir;

// The real platform file with the first occurrence of `from` replaced by `to`.
std::string edited_platform(const std::string& from, const std::string& to) {
  std::string text = read_file(kPlatformFile);
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

// 1-based "line:col" of the first occurrence of `needle` in `text`, found by hand.
std::string position_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  REQUIRE(at != std::string::npos);
  const auto line_start = text.rfind('\n', at);
  const std::size_t column = at - (line_start == std::string::npos ? 0 : line_start + 1) + 1;
  const std::size_t line = std::count(text.begin(), text.begin() + at, '\n') + 1;
  return std::to_string(line) + ":" + std::to_string(column);
}

// Loads `path`, requires an InputError, and returns its message (checked to be one line).
std::string load_error(const std::string& path) {
  try {
    config::load_platform(path);
  } catch (const InputError& e) {
    const std::string message = e.what();
    REQUIRE(message.find('\n') == std::string::npos);
    return message;
  }
  FAIL("load_platform(" << path << ") did not throw InputError");
  return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("the TPU v4 platform file gives the published numbers", "[platform]") {
  const Platform p = config::load_platform(kPlatformFile);
  REQUIRE(p.name == "tpu-v4");
  REQUIRE(p.chip.peak_flops_per_s == 275e12);                        // paper §4
  REQUIRE(p.chip.hbm_bytes == 32LL * 1024 * 1024 * 1024);            // 32 GiB, paper §4
  REQUIRE(p.chip.hbm_bytes_per_s == 1.2e12);                         // paper §4
  REQUIRE(p.chip.ici_link_bytes_per_s == 45e9);                      // book: 270e9 / 6 links
  REQUIRE(p.chip.ici_links * p.chip.ici_link_bytes_per_s == 270e9);  // paper §4, per chip
  REQUIRE(p.chip.ici_hop_latency_s == 1e-6);                         // book
  REQUIRE(p.chip.ici_links == 6);
}

TEST_CASE("the TPU v4 slice table maps chip counts to shapes", "[platform]") {
  const Platform p = config::load_platform(kPlatformFile);
  const TorusShape s64 = config::slice_for_chip_count(p, 64, "chips");
  REQUIRE(s64.dims == std::array<int, 3>{4, 4, 4});
  REQUIRE(s64.wraps == std::array<bool, 3>{true, true, true});
  const TorusShape s4096 = config::slice_for_chip_count(p, 4096, "chips");
  REQUIRE(s4096.dims == std::array<int, 3>{16, 16, 16});
  REQUIRE(s4096.wraps == std::array<bool, 3>{true, true, true});
  // The shapes of the authors' get_3d_mesh (platforms/README.md §1); below a cube they are meshes.
  const TorusShape s8 = config::slice_for_chip_count(p, 8, "chips");
  REQUIRE(s8.dims == std::array<int, 3>{2, 2, 2});
  REQUIRE(s8.wraps == std::array<bool, 3>{false, false, false});
  REQUIRE(config::slice_for_chip_count(p, 128, "chips").dims == std::array<int, 3>{8, 4, 4});
  REQUIRE(config::slice_for_chip_count(p, 256, "chips").dims == std::array<int, 3>{4, 8, 8});
  REQUIRE(config::slice_for_chip_count(p, 512, "chips").dims == std::array<int, 3>{8, 8, 8});
  for (long long bad : {0LL, -8LL, 100LL, 1LL << 40}) {
    INFO("chips " << bad);
    REQUIRE_THROWS_AS(config::slice_for_chip_count(p, bad, "chips"), InputError);
  }
}

TEST_CASE("platform names resolve in the platforms directory", "[platform]") {
  const std::string dir = PODSIM_TEST_DIR "/../platforms";
  REQUIRE(fs::equivalent(config::resolve_platform_path("tpu-v4", dir), kPlatformFile));
  REQUIRE(config::resolve_platform_path(kPlatformFile, dir) == kPlatformFile);
  REQUIRE_THROWS_AS(config::resolve_platform_path("tpu-v9", dir), InputError);
  REQUIRE_THROWS_AS(config::resolve_platform_path("/nonexistent.yaml", dir), InputError);
}

TEST_CASE("a size written with a suffix is read as bytes", "[platform]") {
  TempDir dir;
  const std::string file =
      dir.write("p.yaml", edited_platform("hbm_bytes: 34359738368", "hbm_bytes: 32GiB"));
  REQUIRE(config::load_platform(file).chip.hbm_bytes == 34359738368LL);
}

TEST_CASE("a misspelt key names file line column key path and suggestion", "[platform]") {
  TempDir dir;
  const std::string text = edited_platform("hbm_bytes:", "hbm_byte:");
  const std::string file = dir.write("typo.yaml", text);
  const std::string message = load_error(file);
  INFO(message);
  // The key sits at the start of its line, indented two spaces under `chip:`.
  const std::string line_col = position_of(text, "hbm_byte:");
  REQUIRE(line_col.ends_with(":3"));
  REQUIRE(message.rfind(file + ":" + line_col + ": ", 0) == 0);
  REQUIRE(contains(message, "chip.hbm_byte"));
  REQUIRE(contains(message, "'hbm_bytes'"));
}

TEST_CASE("a misspelt top-level key is named with a suggestion", "[platform]") {
  TempDir dir;
  const std::string text = edited_platform("slices:", "slice:");
  const std::string file = dir.write("typo.yaml", text);
  const std::string message = load_error(file);
  INFO(message);
  REQUIRE(message.rfind(file + ":" + position_of(text, "slice:") + ": slice: ", 0) == 0);
  REQUIRE(contains(message, "'slices'"));
}

TEST_CASE("a missing key is named", "[platform]") {
  TempDir dir;
  const std::string file = dir.write(
      "missing.yaml", edited_platform("  ici_link_bytes_per_s: 45e9", "  # link bandwidth gone"));
  const std::string message = load_error(file);
  INFO(message);
  REQUIRE(message.rfind(file + ":", 0) == 0);
  REQUIRE(contains(message, "chip.ici_link_bytes_per_s"));
  REQUIRE(contains(message, "missing"));

  const std::string no_chip = dir.write("nochip.yaml", "name: x\nslices:\n  8: 2x2x2\n");
  REQUIRE(contains(load_error(no_chip), "chip"));
}

TEST_CASE("bad numeric values point at the value", "[platform]") {
  struct Case {
    std::string from, to, key;
  };
  const Case cases[] = {
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: -275e12", "chip.peak_flops_per_s"},
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: 0", "chip.peak_flops_per_s"},
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: .nan", "chip.peak_flops_per_s"},
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: nan", "chip.peak_flops_per_s"},
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: .inf", "chip.peak_flops_per_s"},
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: fast", "chip.peak_flops_per_s"},
      {"peak_flops_per_s: 275e12", "peak_flops_per_s: [1, 2]", "chip.peak_flops_per_s"},
      {"hbm_bytes: 34359738368", "hbm_bytes: -1", "chip.hbm_bytes"},
      {"hbm_bytes: 34359738368", "hbm_bytes: 0", "chip.hbm_bytes"},
      {"hbm_bytes: 34359738368", "hbm_bytes: lots", "chip.hbm_bytes"},
      {"hbm_bytes_per_s: 1.2e12", "hbm_bytes_per_s: 0", "chip.hbm_bytes_per_s"},
      {"ici_link_bytes_per_s: 45e9", "ici_link_bytes_per_s: -45e9", "chip.ici_link_bytes_per_s"},
      {"ici_link_bytes_per_s: 45e9", "ici_link_bytes_per_s: 45 GB/s", "chip.ici_link_bytes_per_s"},
      {"ici_hop_latency_s: 1e-6", "ici_hop_latency_s: -1e-6", "chip.ici_hop_latency_s"},
      {"ici_links: 6", "ici_links: 4", "chip.ici_links"},
      {"ici_links: 6", "ici_links: 6.5", "chip.ici_links"},
  };
  TempDir dir;
  for (const Case& c : cases) {
    const std::string text = edited_platform(c.from, c.to);
    const std::string file = dir.write("bad.yaml", text);
    const std::string message = load_error(file);
    INFO(c.to << " -> " << message);
    // The value sits after "key: " on the edited line.
    const std::string value = c.to.substr(c.to.find(": ") + 2);
    const std::string line_col = position_of(text, c.to);
    const std::string line = line_col.substr(0, line_col.find(':'));
    const int value_column =
        std::stoi(line_col.substr(line_col.find(':') + 1)) + static_cast<int>(c.to.find(": ") + 2);
    REQUIRE(message.rfind(
                file + ":" + line + ":" + std::to_string(value_column) + ": " + c.key + ": ", 0) ==
            0);
  }
}

TEST_CASE("a zero hop latency is allowed", "[platform]") {
  TempDir dir;
  const std::string file =
      dir.write("p.yaml", edited_platform("ici_hop_latency_s: 1e-6", "ici_hop_latency_s: 0"));
  REQUIRE(config::load_platform(file).chip.ici_hop_latency_s == 0);
}

TEST_CASE("unreadable platform files are reported with their path", "[platform]") {
  TempDir dir;
  SECTION("an empty file") {
    const std::string file = dir.write("empty.yaml", "");
    const std::string message = load_error(file);
    REQUIRE(message.rfind(file + ":", 0) == 0);
    REQUIRE(contains(message, "empty"));
  }
  SECTION("a file of comments only") {
    const std::string file = dir.write("comments.yaml", "# nothing here\n");
    REQUIRE(contains(load_error(file), "empty"));
  }
  SECTION("a binary file") {
    const std::string file = dir.write("binary.yaml", std::string("\x7f"
                                                                  "ELF\x02\x01\x01\0\0\0\0\xff\xfe",
                                                                  14));
    const std::string message = load_error(file);
    REQUIRE(message.rfind(file + ":", 0) == 0);
    REQUIRE(contains(message, "binary"));
  }
  SECTION("a directory") {
    const std::string message = load_error(dir.path.string());
    REQUIRE(message.rfind(dir.path.string() + ":", 0) == 0);
    REQUIRE(contains(message, "directory"));
  }
  SECTION("a missing file") {
    const std::string missing = (dir.path / "nope.yaml").string();
    const std::string message = load_error(missing);
    REQUIRE(message.rfind(missing + ":", 0) == 0);
    REQUIRE(contains(message, "does not exist"));
  }
  SECTION("a YAML syntax error") {
    const std::string text = "name: x\nchip: [unclosed\n";
    const std::string file = dir.write("syntax.yaml", text);
    const std::string message = load_error(file);
    INFO(message);
    // file:LINE:COL: with a line inside the file.
    REQUIRE(message.rfind(file + ":", 0) == 0);
    const std::string rest = message.substr(file.size() + 1);
    const int line = std::stoi(rest);
    REQUIRE(line >= 2);
    REQUIRE(line <= 3);
    REQUIRE(contains(rest.substr(0, rest.find(' ')), ":"));
  }
  SECTION("a top level that is not a map") {
    const std::string file = dir.write("list.yaml", "- 1\n- 2\n");
    REQUIRE(load_error(file).rfind(file + ":", 0) == 0);
  }
}

TEST_CASE("a slice whose shape does not match its count is rejected", "[platform]") {
  TempDir dir;
  for (const auto& [from, to, key] :
       {std::tuple<std::string, std::string, std::string>{"64: 4x4x4", "64: 4x4x2", "slices.64"},
        {"4096: 16x16x16", "4096: 16x16x8", "slices.4096"},
        {"8: 2x2x2", "8: 2x2", "slices.8"},
        {"8: 2x2x2", "0: 2x2x2", "slices.0"},
        {"8: 2x2x2", "eight: 2x2x2", "slices.eight"}}) {
    const std::string text = edited_platform(from, to);
    const std::string file = dir.write("slice.yaml", text);
    const std::string message = load_error(file);
    INFO(to << " -> " << message);
    const std::string line_col = position_of(text, to);
    REQUIRE(message.rfind(file + ":" + line_col.substr(0, line_col.find(':')) + ":", 0) == 0);
    REQUIRE(contains(message, key + ": "));
  }
}

}  // namespace podsim
