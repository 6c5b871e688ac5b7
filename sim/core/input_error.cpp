#include "sim/core/input_error.hpp"

#include <fmt/format.h>

namespace podsim {

std::string format_location(const SourceLocation& where) {
  if (where.file.empty()) return "";
  if (where.line <= 0) return fmt::format("{}: ", where.file);
  if (where.column <= 0) return fmt::format("{}:{}: ", where.file, where.line);
  return fmt::format("{}:{}:{}: ", where.file, where.line, where.column);
}

namespace {
std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}
}  // namespace

InputError::InputError(const SourceLocation& where, const std::string& key,
                       const std::string& problem)
    : std::runtime_error(one_line(format_location(where) + key + ": " + problem)),
      where_(where),
      key_(key),
      problem_(problem) {}

InputError::InputError(const std::string& key, const std::string& problem)
    : InputError(SourceLocation{}, key, problem) {}

}  // namespace podsim
