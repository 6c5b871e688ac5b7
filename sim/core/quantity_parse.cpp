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

namespace {
struct Suffix {
  std::string_view name;
  double factor;
};

// Splits `text` into its number and the factor of the first of `suffixes` it ends with (1 when
// none; a suffix alone is no number).
template <std::size_t N>
std::pair<std::string_view, double> split_unit(std::string_view text,
                                               const Suffix (&suffixes)[N]) {
  for (const Suffix& suffix : suffixes)
    if (text.size() > suffix.name.size() && text.ends_with(suffix.name))
      return {text.substr(0, text.size() - suffix.name.size()), suffix.factor};
  return {text, 1.0};
}
}  // namespace

Bytes parse_bytes(std::string_view text, const std::string& key, const SourceLocation& where) {
  // Longest suffixes first so that "MiB" is not read as "B".
  static constexpr Suffix kSuffixes[] = {
      {"KiB", 1024.0},          {"MiB", 1048576.0},       {"GiB", 1073741824.0},
      {"TiB", 1099511627776.0}, {"KB", 1e3},              {"MB", 1e6},
      {"GB", 1e9},              {"TB", 1e12},             {"B", 1.0}};
  const auto [number, factor] = split_unit(text, kSuffixes);
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

Seconds parse_seconds(std::string_view text, const std::string& key, SecondsBound bound,
                      const SourceLocation& where) {
  // Two-letter suffixes first so that "ms" is not read as "s".
  static constexpr Suffix kSuffixes[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}};
  const auto [number, factor] = split_unit(text, kSuffixes);
  const auto value = parse_double(number);
  if (!value)
    throw InputError(where, key,
                     fmt::format("'{}' is not a time; write seconds as e.g. 0.02, 250us, 1.5ms "
                                 "or 2s",
                                 text));
  if (*value < 0) throw InputError(where, key, fmt::format("'{}' must not be negative", text));
  if (*value == 0 && bound == SecondsBound::positive)
    throw InputError(where, key, fmt::format("'{}' must be greater than zero", text));
  return *value * factor;
}

namespace {
std::string number_and_unit(double value, Digits digits, std::string_view unit) {
  return digits.after_point ? fmt::format("{:.{}f} {}", value, digits.count, unit)
                            : fmt::format("{:.{}g} {}", value, digits.count, unit);
}

constexpr std::string_view kByteUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
}  // namespace

std::string format_seconds(Seconds seconds, TimeUnit unit, Digits digits) {
  if (unit == TimeUnit::automatic) {
    const double a = std::abs(seconds);
    unit = a >= 1      ? TimeUnit::s
           : a >= 1e-3 ? TimeUnit::ms
           : a >= 1e-6 ? TimeUnit::us
                       : TimeUnit::ns;
  }
  switch (unit) {
    case TimeUnit::ms:
      return number_and_unit(seconds * 1e3, digits, "ms");
    case TimeUnit::us:
      return number_and_unit(seconds * 1e6, digits, "us");
    case TimeUnit::ns:
      return number_and_unit(seconds * 1e9, digits, "ns");
    default:
      return number_and_unit(seconds, digits, "s");
  }
}

std::string format_bytes(double bytes, ByteUnit largest, Digits digits) {
  int unit = 0;
  while (std::abs(bytes) >= 1024 && unit < static_cast<int>(largest)) {
    bytes /= 1024;
    ++unit;
  }
  return number_and_unit(bytes, digits, kByteUnits[unit]);
}

std::string format_bytes_in(double bytes, ByteUnit unit, Digits digits) {
  // One division by 1024^n (exact in binary), as the memory plans always divided by kGiB.
  double scale = 1;
  for (int i = 0; i < static_cast<int>(unit); ++i) scale *= 1024;
  return number_and_unit(bytes / scale, digits, kByteUnits[static_cast<int>(unit)]);
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
