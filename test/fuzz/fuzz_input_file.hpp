#pragma once
// The YAML loaders read files: each fuzz input is written to one file per fuzzing process, in a
// directory of its own under the system temp directory (removed at exit).

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace podsim::fuzz {

// Writes `data` to <tmp>/podsim-fuzz-<pid>/<name> and returns the path.
inline std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& name) {
  namespace fs = std::filesystem;
  static const fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("podsim-fuzz-" + std::to_string(::getpid()));
    fs::create_directories(d);
    static const std::string to_remove = d.string();
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(to_remove, ec);
    });
    return d;
  }();
  const fs::path path = dir / name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

}  // namespace podsim::fuzz
