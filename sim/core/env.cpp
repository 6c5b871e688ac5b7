#include "sim/core/env.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sim/core/quantity_parse.hpp"

extern char** environ;

namespace podsim {

namespace fs = std::filesystem;

namespace {

bool write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool read_all(int fd, void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

struct Child {
  pid_t pid;
  int fd;
};

Child start_child(const std::function<std::vector<double>()>& work) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("cannot create a pipe for a simulation process");
  std::cout.flush();  // a child would print what is buffered a second time
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot fork a simulation process");
  if (pid == 0) {
    close(fds[0]);
    int status = 0;
    try {
      const std::vector<double> values = work();
      const std::size_t n = values.size();
      if (!write_all(fds[1], &n, sizeof n) ||
          !write_all(fds[1], values.data(), n * sizeof(double)))
        status = 3;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "podsim: simulation process failed: %s\n", e.what());
      status = 1;
    }
    close(fds[1]);
    _exit(status);
  }
  close(fds[1]);
  return Child{pid, fds[0]};
}

std::vector<double> finish_child(const Child& child) {
  std::size_t n = 0;
  std::vector<double> values;
  // A count of 2^32 or more is no result but a broken pipe's garbage.
  bool ok = read_all(child.fd, &n, sizeof n) && n < (std::size_t{1} << 32);
  if (ok) {
    values.resize(n);
    ok = read_all(child.fd, values.data(), n * sizeof(double));
  }
  close(child.fd);
  int status = 0;
  waitpid(child.pid, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("a simulation process failed (exit status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return values;
}

ExitStatus exit_status(int status) {
  ExitStatus out;
  if (WIFEXITED(status)) out.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) out.signal = WTERMSIG(status);
  return out;
}

// The stop flag and the handlers StopSignals replaced (one StopSignals at a time).
volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }
struct sigaction g_old_int {};
struct sigaction g_old_term {};

}  // namespace

std::vector<std::vector<double>> run_in_children(
    const std::vector<std::function<std::vector<double>()>>& works, int parallel) {
  std::vector<std::vector<double>> results(works.size());
  std::size_t next = 0;
  while (next < works.size()) {
    std::vector<std::pair<std::size_t, Child>> batch;
    for (int i = 0; i < std::max(1, parallel) && next < works.size(); ++i, ++next)
      batch.emplace_back(next, start_child(works[next]));
    for (const auto& [index, child] : batch) results[index] = finish_child(child);
  }
  return results;
}

std::vector<double> run_in_child(const std::function<std::vector<double>()>& work) {
  return finish_child(start_child(work));
}

ProcessId spawn_process(const std::vector<std::string>& argv, const std::string& stderr_path) {
  if (argv.empty()) throw std::runtime_error("cannot start a process without a program");
  std::vector<std::string> args = argv;
  std::vector<char*> c_argv;
  for (std::string& a : args) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, &attr, c_argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error(
        fmt::format("cannot start a simulation process ({}): error {}", args[0], rc));
  return pid;
}

std::optional<ExitStatus> poll_process(ProcessId process) {
  int status = 0;
  if (waitpid(process, &status, WNOHANG) != process) return std::nullopt;
  return exit_status(status);
}

ExitStatus wait_process(ProcessId process) {
  int status = 0;
  waitpid(process, &status, 0);
  return exit_status(status);
}

void terminate_process_group(ProcessId process) { kill(-process, SIGTERM); }

std::string signal_description(int signal) { return strsignal(signal); }

StopSignals::StopSignals() {
  g_stop = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

bool StopSignals::requested() const { return g_stop != 0; }

TempDir::TempDir(std::string_view prefix) {
  std::string pattern = (fs::temp_directory_path() / fmt::format("{}XXXXXX", prefix)).string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error(fmt::format("cannot create a temporary directory {}", pattern));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string self_executable() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the podsim executable (/proc/self/exe)");
  return exe.string();
}

int default_jobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

std::optional<double> available_memory_bytes() {
  if (const char* text = std::getenv("PODSIM_MEMORY_AVAILABLE"); text != nullptr && *text != 0)
    return static_cast<double>(parse_bytes(text, "PODSIM_MEMORY_AVAILABLE"));
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    std::istringstream fields(line);
    std::string name, unit;
    double value = 0;
    // /proc/meminfo gives "MemAvailable:   12345678 kB", kB meaning KiB (proc(5)).
    if (fields >> name >> value >> unit && name == "MemAvailable:")
      return value * (unit == "kB" ? 1024.0 : 1.0);
  }
  return std::nullopt;
}

}  // namespace podsim
