#include "sim/cli/cli_common.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "sim/config/platform_loader.hpp"
#include "sim/core/input_error.hpp"

namespace podsim::cli {

std::string data_dir() {
  namespace fs = std::filesystem;
  if (const char* home = std::getenv("PODSIM_HOME"); home != nullptr && *home != '\0') return home;
  std::error_code ec;
  if (fs::is_directory("platforms", ec)) return ".";
  return PODSIM_SOURCE_DIR;
}

std::string platform_path(const std::string& name_or_path) {
  return config::resolve_platform_path(name_or_path,
                                       (std::filesystem::path(data_dir()) / "platforms").string());
}

void write_json(const nlohmann::json& doc, const std::string& path) {
  const std::string text = doc.dump(2) + "\n";
  if (path == "-") {
    std::cout << text;
    return;
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) throw InputError(SourceLocation{path, 0, 0}, "--json", "cannot write this file");
  out << text;
}

std::string format_seconds(double seconds) {
  const double a = std::abs(seconds);
  if (a >= 1) return fmt::format("{:.4g} s", seconds);
  if (a >= 1e-3) return fmt::format("{:.4g} ms", seconds * 1e3);
  if (a >= 1e-6) return fmt::format("{:.4g} us", seconds * 1e6);
  return fmt::format("{:.4g} ns", seconds * 1e9);
}

std::string format_bytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (std::abs(bytes) >= 1024 && unit < 5) {
    bytes /= 1024;
    ++unit;
  }
  return fmt::format("{:.4g} {}", bytes, kUnits[unit]);
}

}  // namespace podsim::cli
