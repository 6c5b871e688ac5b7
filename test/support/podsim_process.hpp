#pragma once
// Running the podsim binary as a user does, for the tests that drive the command line: a shell
// command with a timeout, its exit code and what it printed; temporary directories and files.

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

inline void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Quotes `text` for /bin/sh.
inline std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// A fresh directory under the system temp directory, removed with its content.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "podsim_test_XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path / name).string(); }
  // Writes `text` to the file `name` in this directory and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    write_file(path / name, text);
    return file(name);
  }
};

// Sets an environment variable for the scope (the podsim child processes inherit it).
struct ScopedEnv {
  std::string name;
  ScopedEnv(const std::string& n, const std::string& value) : name(n) {
    ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
};

struct Run {
  int exit_code = -1;  // 124: killed by the timeout; 128 + n: killed by signal n
  std::string out;
  std::string err;
};

// Under scripts/sanitize.sh (PODSIM_SANITIZE), ASan warns once per process, before podsim's own
// output, that it cannot follow SimGrid's context switches (README, "Robustness"): three lines,
//   ==<pid>==WARNING: ASan is ignoring requested __asan_handle_no_return: stack type: ...
//   False positive error reports may follow
//   For details see https://github.com/google/sanitizers/issues/189
// They are removed, and only they, so that the tests check podsim's stderr as in a normal build
// (any other sanitizer report still fails the run: halt_on_error). Other builds: unchanged.
inline std::string strip_asan_context_warning(const std::string& err) {
#ifdef PODSIM_SANITIZE
  static const std::string kWarning = "WARNING: ASan is ignoring requested __asan_handle_no_return";
  static const std::string kFollow[] = {
      "False positive error reports may follow\n",
      "For details see https://github.com/google/sanitizers/issues/189\n"};
  std::string out = err;
  for (std::size_t at = out.find(kWarning); at != std::string::npos; at = out.find(kWarning, at)) {
    const std::size_t start = out.rfind('\n', at) == std::string::npos ? 0 : out.rfind('\n', at) + 1;
    if (out.compare(start, 2, "==") != 0) {
      at += kWarning.size();
      continue;
    }
    std::size_t end = out.find('\n', at);
    end = end == std::string::npos ? out.size() : end + 1;
    for (const std::string& line : kFollow)
      if (out.compare(end, line.size(), line) == 0) end += line.size();
    out.erase(start, end - start);
    at = start;
  }
  return out;
#else
  return err;
#endif
}

// Runs a shell command line with stdin from /dev/null, capturing its stdout and stderr.
inline Run run_command(const std::string& command) {
  TempDir dir;
  const fs::path out = dir.path / "stdout";
  const fs::path err = dir.path / "stderr";
  const std::string line = "( " + command + " ) >" + shell_quote(out.string()) + " 2>" +
                           shell_quote(err.string()) + " </dev/null";
  const int status = std::system(line.c_str());
  REQUIRE(status != -1);
  Run run;
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.exit_code = 128 + WTERMSIG(status);
  run.out = read_file(out);
  run.err = strip_asan_context_warning(read_file(err));
  return run;
}

// Runs `podsim <args>` (args already shell-quoted where needed) in `cwd` (empty: the current
// directory), killing it after `timeout_s` seconds.
inline Run run_podsim(const std::string& args, int timeout_s = 600, const std::string& cwd = "") {
  std::string command;
  if (!cwd.empty()) command = "cd " + shell_quote(cwd) + " && ";
  command += "timeout -k 5 " + std::to_string(timeout_s) + " " + shell_quote(PODSIM_BINARY) + " " +
             args;
  return run_command(command);
}

}  // namespace podsim::test
