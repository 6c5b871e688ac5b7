#include "sim/core/env.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
#include <new>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sim/core/quantity_parse.hpp"

extern char** environ;

namespace podsim {

namespace fs = std::filesystem;

namespace {

// Set by spawn_process in its children's environment, read by die_with_parent.
constexpr const char* kParentPidVariable = "PODSIM_PARENT_PID";

// Set in a forked child of run_in_child (start_child).
volatile std::sig_atomic_t g_in_child = 0;

// The line of out_of_memory_message(), formatted by install_out_of_memory_handler; it starts with
// kOutOfMemoryPrefix.
char g_oom_message[256] = "memory: podsim ran out of memory; simulate a smaller scenario\n";

// std::terminate after an allocation failed: one line (none in a child: its parent says it) and
// exit, without allocating, instead of SimGrid's CRITICAL lines and abort().
[[noreturn]] void on_terminate_out_of_memory() { exit_out_of_memory(); }

// Formats g_oom_message for the address-space limit, if one is set (snprintf into a static
// buffer: usable before main, see below).
void format_out_of_memory_message() {
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    std::snprintf(g_oom_message, sizeof g_oom_message,
                  "memory: podsim ran out of memory under the address-space limit of %.1f MiB "
                  "(ulimit -v %llu); raise the limit or simulate a smaller scenario\n",
                  static_cast<double>(limit.rlim_cur) / (1 << 20),
                  static_cast<unsigned long long>(limit.rlim_cur / 1024));
}

// The terminate handler in place before on_new_failure: an uncaught std::bad_alloc is the one
// line and exit 2; any other uncaught exception goes to the handler it replaced (libstdc++'s,
// which names the exception and aborts).
std::terminate_handler g_previous_terminate = nullptr;
[[noreturn]] void on_terminate() {
  if (const std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::bad_alloc&) {
      exit_out_of_memory();
    } catch (...) {
    }
  }
  if (g_previous_terminate != nullptr) g_previous_terminate();
  std::abort();
}

// Runs before every shared library's initialisers (an executable's .preinit_array, ELF gABI):
// under `ulimit -v 50000` the static initialisers of ns-3 (a dependency of Debian's SimGrid)
// throw std::bad_alloc before main(), which ended in "terminate called after throwing an
// instance of 'std::bad_alloc'" and SIGABRT. Only the executable's array runs, so linking this
// file into a test binary changes nothing there but the same handler.
void preinit_out_of_memory(int, char**, char**) {
  format_out_of_memory_message();
  g_previous_terminate = std::set_terminate(on_terminate);
}
__attribute__((section(".preinit_array"), used)) void (*const g_preinit)(int, char**, char**) =
    preinit_out_of_memory;

// operator new failed: from now on an escaping exception ends the process cleanly; this failure
// is the usual std::bad_alloc (main() or run_in_child catch it after unwinding).
void on_new_failure() {
  std::set_terminate(on_terminate_out_of_memory);
  throw std::bad_alloc();
}

// (VmSize - VmRSS) of /proc/self/status in bytes: mapped but not resident.
std::optional<double> read_mapped_not_resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::optional<double> size, rss;
  for (std::string line; std::getline(status, line);) {
    std::istringstream fields(line);
    std::string name;
    double kib = 0;
    // "VmSize:  123456 kB" (proc(5)), kB meaning KiB.
    if (!(fields >> name >> kib)) continue;
    if (name == "VmSize:") size = kib * 1024.0;
    if (name == "VmRSS:") rss = kib * 1024.0;
  }
  if (!size || !rss) return std::nullopt;
  return std::max(0.0, *size - *rss);
}

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
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("cannot fork a simulation process");
  if (pid == 0) {
    g_in_child = 1;
    // A simulation dies with the process that waits for its result (even a SIGKILLed one).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(128 + SIGKILL);
    close(fds[0]);
    int status = 0;
    try {
      const std::vector<double> values = work();
      const std::size_t n = values.size();
      if (!write_all(fds[1], &n, sizeof n) ||
          !write_all(fds[1], values.data(), n * sizeof(double)))
        status = 3;
    } catch (const std::bad_alloc&) {
      status = kOutOfMemoryExit;  // the parent says so, once
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
  if (WIFEXITED(status) && WEXITSTATUS(status) == kOutOfMemoryExit) throw std::bad_alloc();
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
  // This process's environment, plus its pid for die_with_parent() in the child.
  std::string parent = fmt::format("{}={}", kParentPidVariable, ::getpid());
  std::vector<char*> c_env;
  for (char** e = environ; *e != nullptr; ++e)
    if (std::string_view(*e).rfind(std::string(kParentPidVariable) + "=", 0) != 0)
      c_env.push_back(*e);
  c_env.push_back(parent.data());
  c_env.push_back(nullptr);

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
  const int rc = posix_spawn(&pid, args[0].c_str(), &actions, &attr, c_argv.data(), c_env.data());
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
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no watchdog: the destructor still removes it
  std::cout.flush();  // a child would print what is buffered a second time
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The watchdog: only the read end of the pipe stays open (not the parent's outputs or
    // locks); read() returns 0 once the parent has closed or lost the write end.
    ::close(fds[1]);
    ::close_range(0, static_cast<unsigned>(fds[0]) - 1, 0);
    ::close_range(static_cast<unsigned>(fds[0]) + 1, ~0U, 0);
    ::setpgid(0, 0);  // out of the terminal's Ctrl-C: the parent decides when to stop
    char byte;
    while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
    }
    std::error_code ec;
    fs::remove_all(path_, ec);
    ::_exit(0);
  }
  ::close(fds[0]);
  if (pid < 0) {
    ::close(fds[1]);
    return;
  }
  watchdog_pipe_ = fds[1];
  watchdog_ = pid;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (watchdog_pipe_ >= 0) ::close(watchdog_pipe_);
  if (watchdog_ > 0) ::waitpid(watchdog_, nullptr, 0);
}

FileLock::FileLock(std::string path) : path_(std::move(path)) {
  // Retry when the file was removed by its previous holder between our open and our flock: the
  // lock must be on the file that is at `path` now.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      error_ = errno;
      return;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      char text[32] = {};
      const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
      holder_ = n > 0 ? std::string(text, static_cast<std::size_t>(n)) : "";
      while (!holder_.empty() && (holder_.back() == '\n' || holder_.back() == ' ')) holder_.pop_back();
      ::close(fd);
      return;
    }
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &now) == 0 && held.st_ino == now.st_ino &&
        held.st_dev == now.st_dev) {
      // The pid is only for the message of a refused second process: a failed write is harmless.
      const std::string pid = fmt::format("{}\n", ::getpid());
      if (::ftruncate(fd, 0) == 0) (void)!::pwrite(fd, pid.data(), pid.size(), 0);
      fd_ = fd;
      return;
    }
    ::close(fd);
  }
}

FileLock::~FileLock() {
  if (fd_ < 0) return;
  // Unlink before unlocking: a process waiting on the old file then sees it gone and retries.
  ::unlink(path_.c_str());
  ::close(fd_);
}

void die_with_parent() {
  const char* text = std::getenv(kParentPidVariable);
  if (text == nullptr || *text == 0) return;
  const long parent = std::strtol(text, nullptr, 10);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  // The parent may have died before prctl: then this process was already reparented.
  if (parent > 0 && ::getppid() != static_cast<pid_t>(parent)) ::_exit(128 + SIGTERM);
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
  std::optional<double> available;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    std::istringstream fields(line);
    std::string name, unit;
    double value = 0;
    // /proc/meminfo gives "MemAvailable:   12345678 kB", kB meaning KiB (proc(5)).
    if (fields >> name >> value >> unit && name == "MemAvailable:") {
      available = value * (unit == "kB" ? 1024.0 : 1.0);
      break;
    }
  }
  if (const std::optional<double> limit = address_space_limit_bytes()) {
    const double left = std::max(0.0, *limit - mapped_not_resident_bytes());
    available = available ? std::min(*available, left) : left;
  }
  return available;
}

std::optional<double> address_space_limit_bytes() {
  if (const char* text = std::getenv("PODSIM_MEMORY_AVAILABLE"); text != nullptr && *text != 0)
    return std::nullopt;
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<double>(limit.rlim_cur);
}

double mapped_not_resident_bytes() { return read_mapped_not_resident_bytes().value_or(0); }

void exit_out_of_memory() {
  if (g_in_child) _exit(kOutOfMemoryExit);
  const ssize_t ignored = ::write(STDERR_FILENO, g_oom_message, std::strlen(g_oom_message));
  (void)ignored;
  _exit(2);
}

void install_out_of_memory_handler() {
  format_out_of_memory_message();
  std::set_new_handler(on_new_failure);
}

const char* out_of_memory_message() { return g_oom_message; }

}  // namespace podsim
