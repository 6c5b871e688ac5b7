#pragma once
// Temporary YAML files for the config tests.

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace podsim::test {

// Writes `text` to <tmp>/podsim-config-test-<pid>/<name> and returns the path.
inline std::string write_temp(const std::string& name, const std::string& text) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("podsim-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

}  // namespace podsim::test
