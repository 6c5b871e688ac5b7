#include "sim/core/quantity_parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

namespace podsim {

std::optional<double> parse_double(std::string_view text) {
  const std::string s(text);
  if (s.empty() || std::isspace(static_cast<unsigned char>(s.front()))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double value = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<long long> parse_integer(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

Bytes parse_bytes(std::string_view text, const std::string& key, const SourceLocation& where) {
  struct Suffix {
    std::string_view name;
    double factor;
  };
  // Longest suffixes first so that "MiB" is not read as "B".
  static constexpr Suffix kSuffixes[] = {
      {"KiB", 1024.0},          {"MiB", 1048576.0},       {"GiB", 1073741824.0},
      {"TiB", 1099511627776.0}, {"KB", 1e3},              {"MB", 1e6},
      {"GB", 1e9},              {"TB", 1e12},             {"B", 1.0}};
  std::string_view number = text;
  double factor = 1.0;
  for (const auto& suffix : kSuffixes) {
    if (text.size() > suffix.name.size() && text.ends_with(suffix.name)) {
      number = text.substr(0, text.size() - suffix.name.size());
      factor = suffix.factor;
      break;
    }
  }
  const auto value = parse_double(number);
  if (!value)
    throw InputError(where, key,
                     fmt::format("'{}' is not a size; write bytes as e.g. 4096, 4KiB, 64MiB, 1GiB "
                                 "or 1.5GB",
                                 text));
  const double bytes = *value * factor;
  if (bytes <= 0) throw InputError(where, key, fmt::format("'{}' must be greater than zero", text));
  if (bytes >= 4.6e18)
    throw InputError(where, key, fmt::format("'{}' is too large (at most 2^62 bytes)", text));
  if (bytes != std::floor(bytes))
    throw InputError(where, key,
                     fmt::format("'{}' is {} bytes, not a whole number of bytes", text, bytes));
  return static_cast<Bytes>(bytes);
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

template <typename Range>
std::optional<std::string> closest_in(std::string_view word, const Range& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = std::string(candidate);
    }
  }
  return best;
}
}  // namespace

std::optional<std::string> closest_match(
    std::string_view word, const std::initializer_list<std::string_view>& candidates) {
  return closest_in(word, candidates);
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  return closest_in(word, candidates);
}

}  // namespace podsim
