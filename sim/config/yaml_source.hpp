#pragma once
// Helpers to read YAML with positions: every value read through them carries its file:line:col,
// so that every InputError points at the offending key. Only sim/config/ includes yaml-cpp.

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "sim/core/input_error.hpp"
#include "sim/core/units.hpp"

namespace podsim::config {

// Loads a YAML file. Throws InputError (file:line:col) for a missing file, a directory, a binary
// or empty file, or a syntax error.
YAML::Node load_yaml_file(const std::string& path);
// Parses YAML text held in memory; `name` is used in messages.
YAML::Node load_yaml_string(const std::string& text, const std::string& name);

// A map node being read, with the file it came from and the dotted key path of the map.
class MapReader {
 public:
  // Throws InputError unless `node` is a map. `path` is the key path ("" at the top level).
  MapReader(const YAML::Node& node, std::string file, std::string path);

  // Throws InputError for a key not in `allowed`, suggesting the closest allowed key.
  void allow_only(std::initializer_list<std::string_view> allowed) const;
  void allow_only(const std::vector<std::string_view>& allowed) const;
  bool has(const std::string& key) const;
  // Throws InputError naming the key when it is absent.
  YAML::Node require(const std::string& key) const;

  std::string string(const std::string& key) const;
  std::string string_or(const std::string& key, const std::string& fallback) const;
  // A finite number > 0 (accepts 275e12, 1.2e12, 45e9...).
  double positive_number(const std::string& key) const;
  // A finite number >= 0.
  double non_negative_number(const std::string& key) const;
  // A whole number >= 1, at most `max`.
  long long positive_integer(const std::string& key, long long max = (1LL << 53)) const;
  // A size: an integer number of bytes or a string such as "32GiB".
  Bytes bytes(const std::string& key) const;
  // A sub-map.
  MapReader map(const std::string& key) const;

  const YAML::Node& node() const { return node_; }
  const std::string& file() const { return file_; }
  std::string key_path(const std::string& key) const;
  SourceLocation where(const YAML::Node& node) const;
  SourceLocation where() const { return where(node_); }

 private:
  YAML::Node node_;
  std::string file_;
  std::string path_;
};

}  // namespace podsim::config
