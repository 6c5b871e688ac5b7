#include "sim/config/yaml_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <vector>

#include <yaml-cpp/depthguard.h>

#include "sim/core/input_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/core/utf8.hpp"

namespace podsim::config {

namespace {

// podsim's YAML files are a few kilobytes; the cap keeps `platform: /dev/zero` or a huge file given
// by mistake from exhausting memory.
constexpr std::size_t kMaxYamlBytes = 16 << 20;

SourceLocation location(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return SourceLocation{file, 0, 0};
  return SourceLocation{file, mark.line + 1, mark.column + 1};
}

// The 1-based line of the first content after a `---` document marker that itself follows
// content (a key, a value): where a second document starts. Comments, blank lines, directives (`%`)
// and a leading `---` do not count.
std::optional<int> second_document_line(const std::string& text) {
  bool content = false;
  std::optional<int> marker;
  int line = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string_view l(text.data() + start, end - start);
    ++line;
    const std::size_t first = l.find_first_not_of(" \t\r");
    const bool blank = first == std::string_view::npos || l[first] == '#';
    const bool is_marker = l.starts_with("---") && (l.size() == 3 || l[3] == ' ' || l[3] == '\r');
    if (is_marker) {
      if (content && !marker) marker = line;
    } else if (!blank && l[0] != '%') {
      if (marker) return line;
      content = true;
    }
    start = end + 1;
  }
  return std::nullopt;
}

// file:line:col of the byte at `offset` in `text`.
SourceLocation location_of_offset(const std::string& file, const std::string& text,
                                  std::size_t offset) {
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i)
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  return SourceLocation{file, line, static_cast<int>(offset - line_start) + 1};
}

// The offset of the last '[' or '{' before `mark` that is not closed before it, outside quotes
// and comments: yaml-cpp reports an unclosed flow where it gave up, lines past the bracket.
std::optional<std::size_t> unclosed_bracket(const std::string& text, const YAML::Mark& mark) {
  const std::size_t end =
      mark.is_null() || mark.pos < 0 ? text.size() : std::min(text.size(), std::size_t(mark.pos));
  std::vector<std::size_t> open;
  char quote = 0;
  bool comment = false;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = text[i];
    if (comment) {
      comment = c != '\n';
    } else if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) {
      comment = true;
    } else if (c == '[' || c == '{') {
      open.push_back(i);
    } else if ((c == ']' || c == '}') && !open.empty()) {
      open.pop_back();
    }
  }
  if (open.empty()) return std::nullopt;
  return open.back();
}

YAML::Node parse(const std::string& text, const std::string& name) {
  if (text.find('\0') != std::string::npos)
    throw InputError(SourceLocation{name, 1, 1}, "file",
                     "is a binary file, not YAML text; give a .yaml file");
  if (const auto bad = invalid_utf8_offset(text)) {
    const std::size_t line_start = text.rfind('\n', *bad) == std::string::npos
                                       ? 0
                                       : text.rfind('\n', *bad) + 1;
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + *bad, '\n'));
    throw InputError(SourceLocation{name, line, static_cast<int>(*bad - line_start) + 1}, "file",
                     fmt::format("byte 0x{:02x} is not UTF-8 text; save the file as UTF-8",
                                 static_cast<unsigned char>(text[*bad])));
  }
  try {
    // One document: YAML::Load reads the first. A second one (after a `---` line that follows
    // content) is refused rather than ignored; it is found in the text, because yaml-cpp 0.7's
    // LoadAll can loop forever on malformed input (found by fuzz_platform_yaml).
    YAML::Node root = YAML::Load(text);
    if (const auto second = second_document_line(text))
      throw InputError(SourceLocation{name, *second, 1}, "file",
                       "a second YAML document starts here; podsim reads one document per "
                       "file (remove the `---` line before it, or split the file)");
    if (!root || root.IsNull())
      throw InputError(SourceLocation{name, 1, 1}, "file", "is empty; expected a YAML map");
    return root;
  } catch (const YAML::DeepRecursion& e) {
    // yaml-cpp's own message for this is "bad file".
    throw InputError(location(name, e.mark), "syntax",
                     fmt::format("nesting deeper than {} levels", e.depth()));
  } catch (const YAML::Exception& e) {
    // yaml-cpp says what is wrong; say what would be right where it does not.
    if (e.msg.find("end of sequence flow not found") != std::string::npos ||
        e.msg.find("end of map flow not found") != std::string::npos) {
      // It points past the bracket, at the line where it gave up: point at the bracket.
      if (const auto open = unclosed_bracket(text, e.mark))
        throw InputError(location_of_offset(name, text, *open), "syntax",
                         fmt::format("'{}' opened here is never closed; close it with '{}'",
                                     text[*open], text[*open] == '[' ? ']' : '}'));
    }
    if (e.msg.find("illegal tab") != std::string::npos)
      throw InputError(location(name, e.mark), "syntax",
                       e.msg + "; indent with spaces, not tabs");
    throw InputError(location(name, e.mark), "syntax", e.msg);
  }
}

}  // namespace

YAML::Node load_yaml_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw InputError(SourceLocation{path, 0, 0}, "file", "does not exist");
  if (fs::is_directory(path, ec))
    throw InputError(SourceLocation{path, 0, 0}, "file", "is a directory, not a YAML file");
  // A FIFO or /dev/stdin on an open pipe would block the read forever (issue 14); a device such
  // as /dev/zero would never end.
  if (!fs::is_regular_file(path, ec))
    throw InputError(SourceLocation{path, 0, 0}, "file",
                     "is not a regular file (a device, FIFO or socket); give a .yaml file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(SourceLocation{path, 0, 0}, "file", "cannot be read");
  const std::optional<std::string> text = read_capped(in, kMaxYamlBytes);
  if (!text)
    throw InputError(SourceLocation{path, 0, 0}, "file",
                     fmt::format("is larger than {} MiB; podsim's YAML files are a few kilobytes",
                                 kMaxYamlBytes >> 20));
  return parse(*text, path);
}

YAML::Node load_yaml_string(const std::string& text, const std::string& name) {
  return parse(text, name);
}

MapReader::MapReader(const YAML::Node& node, std::string file, std::string path)
    : node_(node), file_(std::move(file)), path_(std::move(path)) {
  if (!node_.IsMap())
    throw InputError(where(node_), path_.empty() ? std::string("file") : path_,
                     "must be a map of `key: value` lines");
  // yaml-cpp keeps both entries of a repeated key and lookups see the first: refuse the file
  // rather than silently use one of the two values.
  std::map<std::string, int> first_line;
  for (const auto& entry : node_) {
    if (!entry.first.IsScalar()) continue;  // allow_only reports non-scalar keys
    const auto [it, inserted] = first_line.emplace(entry.first.Scalar(), entry.first.Mark().line + 1);
    if (!inserted)
      throw InputError(where(entry.first), key_path(entry.first.Scalar()),
                       fmt::format("appears twice (first on line {}); keep one", it->second));
  }
}

std::string MapReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

SourceLocation MapReader::where(const YAML::Node& node) const { return location(file_, node.Mark()); }

void MapReader::allow_only(std::initializer_list<std::string_view> allowed) const {
  allow_only(std::vector<std::string_view>(allowed));
}

void MapReader::allow_only(const std::vector<std::string_view>& allowed) const {
  for (const auto& entry : node_) {
    const YAML::Node& key_node = entry.first;
    if (!key_node.IsScalar())
      throw InputError(where(key_node), path_.empty() ? "key" : path_, "keys must be plain names");
    const std::string key = key_node.Scalar();
    bool known = false;
    for (auto a : allowed) known = known || a == key;
    if (known) continue;
    std::vector<std::string> names(allowed.begin(), allowed.end());
    std::string hint;
    if (auto close = closest_match(key, names))
      hint = fmt::format("; did you mean '{}'?", *close);
    else {
      hint = "; known keys are";
      for (std::size_t i = 0; i < names.size(); ++i) hint += (i ? ", " : " ") + names[i];
    }
    throw InputError(where(key_node), key_path(key), "unknown key" + hint);
  }
}

bool MapReader::has(const std::string& key) const { return static_cast<bool>(node_[key]); }

YAML::Node MapReader::require(const std::string& key) const {
  YAML::Node value = node_[key];
  if (!value)
    throw InputError(where(node_), key_path(key),
                     fmt::format("is missing{}", path_.empty() ? "" : " in " + path_));
  return value;
}

std::string MapReader::string(const std::string& key) const {
  const YAML::Node value = require(key);
  if (!value.IsScalar() || value.Scalar().empty())
    throw InputError(where(value), key_path(key), "must be a non-empty text value");
  return value.Scalar();
}

std::string MapReader::string_or(const std::string& key, const std::string& fallback) const {
  return has(key) ? string(key) : fallback;
}

namespace {
double number_of(const MapReader& reader, const std::string& key, const YAML::Node& value) {
  if (!value.IsScalar())
    throw InputError(reader.where(value), reader.key_path(key), "must be a number");
  const auto parsed = parse_double(value.Scalar());
  if (!parsed)
    throw InputError(reader.where(value), reader.key_path(key),
                     fmt::format("'{}' is not a finite number", value.Scalar()));
  return *parsed;
}
}  // namespace

double MapReader::positive_number(const std::string& key) const {
  const YAML::Node value = require(key);
  const double x = number_of(*this, key, value);
  if (x <= 0)
    throw InputError(where(value), key_path(key),
                     fmt::format("must be greater than zero, not {}", value.Scalar()));
  return x;
}

double MapReader::non_negative_number(const std::string& key) const {
  const YAML::Node value = require(key);
  const double x = number_of(*this, key, value);
  if (x < 0)
    throw InputError(where(value), key_path(key),
                     fmt::format("must not be negative, not {}", value.Scalar()));
  return x;
}

long long MapReader::positive_integer(const std::string& key, long long max) const {
  const YAML::Node value = require(key);
  const double x = number_of(*this, key, value);
  if (x != std::floor(x))
    throw InputError(where(value), key_path(key),
                     fmt::format("must be a whole number, not {}", value.Scalar()));
  if (x < 1)
    throw InputError(where(value), key_path(key),
                     fmt::format("must be at least 1, not {}", value.Scalar()));
  if (x > static_cast<double>(max))
    throw InputError(where(value), key_path(key),
                     fmt::format("{} is too large (at most {})", value.Scalar(), max));
  return static_cast<long long>(x);
}

Bytes MapReader::bytes(const std::string& key) const {
  const YAML::Node value = require(key);
  if (!value.IsScalar())
    throw InputError(where(value), key_path(key), "must be a size such as 34359738368 or 32GiB");
  return parse_bytes(value.Scalar(), key_path(key), where(value));
}

MapReader MapReader::map(const std::string& key) const {
  return MapReader(require(key), file_, key_path(key));
}

}  // namespace podsim::config
