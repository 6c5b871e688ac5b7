// Byte sizes and times both ways, strict number parsing and typo suggestions, against
// hand-computed values and hand-written strings.

#include "sim/core/quantity_parse.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "sim/core/input_error.hpp"

namespace podsim {

TEST_CASE("parse_bytes reads plain and suffixed sizes", "[quantity]") {
  REQUIRE(parse_bytes("4096", "--bytes") == 4096);
  REQUIRE(parse_bytes("4KiB", "--bytes") == 4 * 1024);
  REQUIRE(parse_bytes("64MiB", "--bytes") == 64LL * 1024 * 1024);
  REQUIRE(parse_bytes("1GiB", "--bytes") == 1024LL * 1024 * 1024);
  REQUIRE(parse_bytes("2TiB", "--bytes") == 2LL * 1024 * 1024 * 1024 * 1024);
  REQUIRE(parse_bytes("1.5GB", "--bytes") == 1'500'000'000LL);
  REQUIRE(parse_bytes("3KB", "--bytes") == 3000);
  REQUIRE(parse_bytes("7MB", "--bytes") == 7'000'000);
  REQUIRE(parse_bytes("2TB", "--bytes") == 2'000'000'000'000LL);
  REQUIRE(parse_bytes("12B", "--bytes") == 12);
  REQUIRE(parse_bytes("0.5KiB", "--bytes") == 512);
  REQUIRE(parse_bytes("34359738368", "--bytes") == 32LL * 1024 * 1024 * 1024);
}

TEST_CASE("parse_bytes rejects non-positive fractional huge and unparsable sizes", "[quantity]") {
  for (const char* bad : {"-1", "0", "0KiB", "-4KiB", "abc", "1.5B", "0.3KB.", "1e30", "", "MiB",
                          "64 MiB", "64mib", "nan", "inf", "1.0001KiB", "4096KiBB"}) {
    INFO("size '" << bad << "'");
    REQUIRE_THROWS_AS(parse_bytes(bad, "--bytes"), InputError);
    try {
      parse_bytes(bad, "--bytes");
    } catch (const InputError& e) {
      REQUIRE(e.key() == "--bytes");
      REQUIRE(std::string(e.what()).rfind("--bytes: ", 0) == 0);
      REQUIRE(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

TEST_CASE("parse_bytes errors carry the file position", "[quantity]") {
  try {
    parse_bytes("lots", "chip.hbm_bytes", SourceLocation{"p.yaml", 8, 14});
    FAIL("no exception");
  } catch (const InputError& e) {
    REQUIRE(std::string(e.what()).rfind("p.yaml:8:14: chip.hbm_bytes: ", 0) == 0);
    REQUIRE(std::string(e.what()).find("lots") != std::string::npos);
  }
}

TEST_CASE("parse_double and parse_integer are strict", "[quantity]") {
  REQUIRE(parse_double("275e12") == std::optional<double>(275e12));
  REQUIRE(parse_double("1e-6") == std::optional<double>(1e-6));
  REQUIRE(parse_double("-2.5") == std::optional<double>(-2.5));
  for (const char* bad : {"", " 1", "1 ", "1x", "nan", "inf", "1e400", "abc"}) {
    INFO("double '" << bad << "'");
    REQUIRE_FALSE(parse_double(bad).has_value());
  }
  REQUIRE(parse_integer("0") == std::optional<long long>(0));
  REQUIRE(parse_integer("4096") == std::optional<long long>(4096));
  for (const char* bad : {"", "-1", "+1", "1.0", "1e3", " 1", "12a", "9999999999999999999"}) {
    INFO("integer '" << bad << "'");
    REQUIRE_FALSE(parse_integer(bad).has_value());
  }
}

TEST_CASE("closest_match suggests near misses only", "[quantity]") {
  const std::vector<std::string> keys = {"name", "peak_flops_per_s", "hbm_bytes", "hbm_bytes_per_s",
                                         "ici_link_bytes_per_s"};
  REQUIRE(closest_match("hbm_byte", keys) == std::optional<std::string>("hbm_bytes"));
  REQUIRE(closest_match("hbm_bytes_per_sec", keys) ==
          std::optional<std::string>("hbm_bytes_per_s"));
  REQUIRE(closest_match("nmae", keys) == std::optional<std::string>("name"));
  REQUIRE_FALSE(closest_match("zzzzzzzzzzzz", keys).has_value());
  REQUIRE(closest_match("all-gahter", {"all-gather", "reduce-scatter", "all-reduce"}) ==
          std::optional<std::string>("all-gather"));
  REQUIRE_FALSE(closest_match("broadcast", {"all-gather", "permute"}).has_value());
}

TEST_CASE("InputError formats a single line with the location", "[input_error]") {
  REQUIRE(InputError(SourceLocation{"a.yaml", 3, 7}, "chip.name", "bad").what() ==
          std::string("a.yaml:3:7: chip.name: bad"));
  REQUIRE(InputError(SourceLocation{"a.yaml", 3, 0}, "k", "bad").what() ==
          std::string("a.yaml:3: k: bad"));
  REQUIRE(InputError(SourceLocation{"a.yaml", 0, 0}, "file", "does not exist").what() ==
          std::string("a.yaml: file: does not exist"));
  const InputError flag("--op", "two\nlines");
  REQUIRE(flag.what() == std::string("--op: two lines"));
  REQUIRE(flag.key() == "--op");
  REQUIRE(flag.problem() == "two\nlines");
}

TEST_CASE("parse_seconds reads plain and suffixed times", "[quantity]") {
  REQUIRE(parse_seconds("0", "--t") == 0.0);
  REQUIRE(parse_seconds("0.02", "--t") == 0.02);
  REQUIRE(parse_seconds("2e-3", "--t") == 2e-3);
  REQUIRE(parse_seconds("2s", "--t") == 2.0);
  REQUIRE(parse_seconds("20ms", "--t") == 20 * 1e-3);
  REQUIRE(parse_seconds("1.5ms", "--t") == 1.5 * 1e-3);
  REQUIRE(parse_seconds("250us", "--t") == 250 * 1e-6);
  REQUIRE(parse_seconds("3ns", "--t") == 3 * 1e-9);
  REQUIRE(parse_seconds("0us", "--t") == 0.0);
  REQUIRE(parse_seconds("3.5ms", "--t", SecondsBound::positive) == 3.5 * 1e-3);
}

TEST_CASE("parse_seconds rejects what is not a time or out of its bound", "[quantity]") {
  for (const char* bad : {"", "ms", "s", "abc", "5 ms", "5m", "5msec", "5MS", "nan", "inf", "1e999",
                          "-1", "-2ms"}) {
    INFO("time '" << bad << "'");
    REQUIRE_THROWS_AS(parse_seconds(bad, "--t"), InputError);
  }
  for (const char* bad : {"0", "0ms", "-1us"}) {
    INFO("time '" << bad << "'");
    REQUIRE_THROWS_AS(parse_seconds(bad, "--max-latency", SecondsBound::positive), InputError);
    try {
      parse_seconds(bad, "--max-latency", SecondsBound::positive);
    } catch (const InputError& e) {
      REQUIRE(e.key() == "--max-latency");
    }
  }
}

TEST_CASE("format_seconds picks the unit that keeps the number at least 1", "[quantity]") {
  REQUIRE(format_seconds(2) == "2 s");
  REQUIRE(format_seconds(1.23456) == "1.235 s");
  REQUIRE(format_seconds(12346.0) == "1.235e+04 s");
  REQUIRE(format_seconds(0.001234) == "1.234 ms");
  REQUIRE(format_seconds(250e-6) == "250 us");
  REQUIRE(format_seconds(850e-9) == "850 ns");
  REQUIRE(format_seconds(0) == "0 ns");
  REQUIRE(format_seconds(-0.002) == "-2 ms");
  REQUIRE(format_seconds(1.2346, TimeUnit::ms) == "1235 ms");
  REQUIRE(format_seconds(1.2345678, TimeUnit::ms, decimals(3)) == "1234.568 ms");
  REQUIRE(format_seconds(12.34, TimeUnit::s, decimals(1)) == "12.3 s");
  REQUIRE(format_seconds(3e-6, TimeUnit::us, Digits{2, false}) == "3 us");
}

TEST_CASE("format_bytes uses binary units up to the largest asked for", "[quantity]") {
  REQUIRE(format_bytes(12) == "12 B");
  REQUIRE(format_bytes(1023) == "1023 B");
  REQUIRE(format_bytes(1024) == "1 KiB");
  REQUIRE(format_bytes(64.0 * 1024 * 1024) == "64 MiB");
  REQUIRE(format_bytes(1.5 * 1024 * 1024 * 1024) == "1.5 GiB");
  REQUIRE(format_bytes(123456789) == "117.7 MiB");  // 123456789 / 2^20 = 117.737...
  const double pib = 1024.0 * 1024 * 1024 * 1024 * 1024;
  REQUIRE(format_bytes(pib) == "1 PiB");
  REQUIRE(format_bytes(2048 * pib) == "2048 PiB");
  REQUIRE(format_bytes(pib, ByteUnit::TiB) == "1024 TiB");
  REQUIRE(format_bytes(4096, ByteUnit::B) == "4096 B");
  REQUIRE(format_bytes_in(16.0 * 1024 * 1024 * 1024, ByteUnit::GiB, decimals(2)) == "16.00 GiB");
  REQUIRE(format_bytes_in(1.3 * 1024 * 1024 * 1024, ByteUnit::GiB, decimals(1)) == "1.3 GiB");
  REQUIRE(format_bytes_in(3 * 1024, ByteUnit::KiB, decimals(0)) == "3 KiB");
}

}  // namespace podsim
