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
// The longest part of a message (its location, key or problem) printed whole. A message quotes the
// value it refuses; a 2 MB value (a pasted file, a runaway --set) would otherwise be echoed whole
// on one line of stderr (issue 14). Paths and real keys are far shorter.
constexpr std::size_t kMaxPartBytes = 512;

std::string shortened(const std::string& text) {
  if (text.size() <= kMaxPartBytes) return text;
  constexpr std::size_t kKeep = kMaxPartBytes / 2;
  return fmt::format("{}...[{} bytes]...{}", text.substr(0, kKeep), text.size() - kKeep - kKeep / 2,
                     text.substr(text.size() - kKeep / 2));
}

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}
}  // namespace

InputError::InputError(const SourceLocation& where, const std::string& key,
                       const std::string& problem)
    : std::runtime_error(
          one_line(shortened(format_location(where)) + shortened(key) + ": " + shortened(problem))),
      where_(where),
      key_(key),
      problem_(problem) {}

InputError::InputError(const std::string& key, const std::string& problem)
    : InputError(SourceLocation{}, key, problem) {}

}  // namespace podsim
