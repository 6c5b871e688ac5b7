// Byte sizes, strict number parsing and typo suggestions, against hand-computed values.

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

}  // namespace podsim
