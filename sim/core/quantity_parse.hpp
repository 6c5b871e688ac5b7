#pragma once
// Human-written quantities, both ways, in one place: the one parser and the one formatter of byte
// sizes ("64MiB", "4KiB", "1.5GB", "4096") and of times ("250us", "1.5ms", "2s", "0.02"), strict
// numbers ("275e12") and typo suggestions. Parse errors throw InputError naming `key`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/input_error.hpp"
#include "sim/core/units.hpp"

namespace podsim {

// Returns the size in bytes. Accepts an integer or decimal number followed by an optional suffix
// B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024). The result must be a
// whole number of bytes, greater than zero and below 2^62.
Bytes parse_bytes(std::string_view text, const std::string& key, const SourceLocation& where = {});

// Which times parse_seconds accepts.
enum class SecondsBound {
  non_negative,  // 0 and up (a window start, a delay)
  positive,      // greater than zero (a latency target)
};

// Returns the time in seconds. Accepts a decimal number followed by an optional suffix ns, us, ms
// or s (none: seconds). Throws InputError naming `key` when it is not a time or is out of `bound`.
Seconds parse_seconds(std::string_view text, const std::string& key,
                      SecondsBound bound = SecondsBound::non_negative,
                      const SourceLocation& where = {});

// The digits of a formatted number: `count` significant digits (fmt's {:.4g}: "1.234", "2",
// "1.5e+04"), or `count` digits after the point when `after_point` ({:.2f}: "15.50").
struct Digits {
  int count = 4;
  bool after_point = false;
};
// Four significant digits, what most human-facing numbers of podsim show.
inline constexpr Digits kFourDigits{4, false};
// `n` digits after the point, for columns of numbers in one unit that should line up.
constexpr Digits decimals(int n) { return Digits{n, true}; }

// Units a formatted time is written in: `automatic` picks s, ms, us or ns so that the number is
// at least 1 (below 1 ns: ns).
enum class TimeUnit { automatic, s, ms, us, ns };

// A time and its unit: "1.234 ms", "2 s", "850 ns" with the defaults. A fixed `unit` writes every
// time in it ("1234 ms"), `digits` how many digits it shows ("1234.568 ms" with decimals(3)).
std::string format_seconds(Seconds seconds, TimeUnit unit = TimeUnit::automatic,
                           Digits digits = kFourDigits);

// Binary units of a formatted size, smallest first.
enum class ByteUnit { B, KiB, MiB, GiB, TiB, PiB };

// A size in the largest binary unit, up to `largest`, of which it is at least 1: "64 MiB",
// "1.5 GiB", "12 B" with the defaults. `explain` tops out at TiB ("1024 TiB"), the rest at PiB.
std::string format_bytes(double bytes, ByteUnit largest = ByteUnit::PiB,
                         Digits digits = kFourDigits);

// A size always in `unit` ("15.50 GiB" for GiB and decimals(2): memory plans, compared with a
// chip's HBM).
std::string format_bytes_in(double bytes, ByteUnit unit, Digits digits);

// Strict parse of a finite double (whole string consumed); std::nullopt otherwise.
std::optional<double> parse_double(std::string_view text);

// Strict parse of a non-negative integer (whole string, digits only); std::nullopt otherwise.
std::optional<long long> parse_integer(std::string_view text);

// Closest candidate by edit distance, when it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::initializer_list<std::string_view>& candidates);
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

}  // namespace podsim
