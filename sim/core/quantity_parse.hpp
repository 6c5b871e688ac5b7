#pragma once
// Parsing of human-written quantities on the command line and in YAML: byte sizes with binary
// or decimal suffixes ("64MiB", "4KiB", "1.5GB", "4096") and plain positive numbers ("275e12").
// Errors throw InputError naming `key`.

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
