#include "sim/cli/cli_common.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "sim/config/platform_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"

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
  write_output_file(path, text, "--json");
}

}  // namespace podsim::cli
