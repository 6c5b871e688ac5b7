#pragma once
// Running podsim (and Chromium) as a user does, for the timeline tests.

#include <stdlib.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace podsim::test {

namespace fs = std::filesystem;

inline std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "podsim_timeline_test_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a shell command line, capturing its stdout and stderr.
inline Run run_command(const std::string& command) {
  TempDir dir;
  const fs::path out = dir.path / "out.txt", err = dir.path / "err.txt";
  const std::string line = command + " > '" + out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(line.c_str());
  Run run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.out = read_file(out);
  run.err = read_file(err);
  return run;
}

inline Run run_podsim(const std::string& args) {
  return run_command(std::string("'") + PODSIM_BINARY + "' " + args);
}

// Where tests leave artefacts worth looking at (screenshots): beside the podsim binary.
inline fs::path artefact_dir() {
  const fs::path dir = fs::path(PODSIM_BINARY).parent_path() / "timeline-artefacts";
  fs::create_directories(dir);
  return dir;
}

}  // namespace podsim::test
