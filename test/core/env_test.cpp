// The process environment (env.hpp): forked children, spawned processes and their exit statuses,
// stop signals, temporary directories and the machine queries, checked against what the system
// itself reports (the shell's exit codes, signal numbers, the file system).

#include "sim/core/env.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sim/core/input_error.hpp"

namespace podsim {

namespace fs = std::filesystem;

TEST_CASE("a TempDir is a fresh directory removed with its content", "[env]") {
  fs::path kept;
  {
    const TempDir a("podsim_env_test_");
    const TempDir b("podsim_env_test_");
    kept = a.path();
    REQUIRE(fs::is_directory(a.path()));
    REQUIRE(a.path() != b.path());
    REQUIRE(a.path().parent_path() == fs::temp_directory_path());
    REQUIRE(a.path().filename().string().rfind("podsim_env_test_", 0) == 0);
    REQUIRE(a.file("x.json") == (a.path() / "x.json").string());
    std::ofstream(a.file("x.json")) << "{}";
    fs::create_directory(a.path() / "sub");
    std::ofstream((a.path() / "sub" / "y").string()) << "y";
  }
  REQUIRE_FALSE(fs::exists(kept));
}

TEST_CASE("run_in_children returns every child's numbers in the order of the works", "[env]") {
  std::vector<std::function<std::vector<double>()>> works;
  for (int i = 0; i < 5; ++i)
    works.push_back([i]() {
      // Later works finish first, so that order by completion would differ from order by index.
      std::this_thread::sleep_for(std::chrono::milliseconds(10 * (5 - i)));
      return std::vector<double>(static_cast<std::size_t>(i), 1.5 * i);
    });
  for (int parallel : {0, 1, 2, 8}) {
    INFO("parallel " << parallel);
    const auto results = run_in_children(works, parallel);
    REQUIRE(results.size() == 5);
    for (int i = 0; i < 5; ++i)
      REQUIRE(results[static_cast<std::size_t>(i)] ==
              std::vector<double>(static_cast<std::size_t>(i), 1.5 * i));
  }
}

TEST_CASE("run_in_child runs in another process and reports a failing child", "[env]") {
  const double parent = getpid();
  REQUIRE(run_in_child([] { return std::vector<double>{double(getpid())}; })[0] != parent);
  REQUIRE_THROWS_AS(run_in_child([]() -> std::vector<double> { throw std::runtime_error("x"); }),
                    std::runtime_error);
  REQUIRE_THROWS_AS(run_in_child([]() -> std::vector<double> { _exit(0); }), std::runtime_error);
}

TEST_CASE("a spawned process's exit code, signal and stderr come back", "[env]") {
  const TempDir dir("podsim_env_test_");
  const std::string err = dir.file("err");
  const ProcessId exits = spawn_process({"/bin/sh", "-c", "echo to-stdout; echo oops >&2; exit 3"}, err);
  const ExitStatus exited = wait_process(exits);
  REQUIRE(exited.exited());
  REQUIRE(exited.code == 3);
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  REQUIRE(text.str() == "oops\n");  // stdout went to /dev/null

  const ExitStatus killed =
      wait_process(spawn_process({"/bin/sh", "-c", "kill -KILL $$"}, dir.file("err2")));
  REQUIRE_FALSE(killed.exited());
  REQUIRE(killed.signal == SIGKILL);
  REQUIRE(killed.code == -1);
  REQUIRE_FALSE(signal_description(SIGKILL).empty());

  REQUIRE_THROWS_AS(spawn_process({"/nonexistent/podsim"}, dir.file("err3")), std::runtime_error);
}

// Whether process `pid` still runs: gone, or a zombie nobody reaped yet, counts as ended.
bool running(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string id, name, state;
  if (!(stat >> id >> name >> state)) return false;
  return state != "Z" && state != "X";
}

TEST_CASE("terminate_process_group stops a spawned process and the processes it forked",
          "[env]") {
  const TempDir dir("podsim_env_test_");
  // The shell forks a sleep, writes its pid and waits for it: both are in the spawned group.
  const std::string pid_file = dir.file("pid");
  const ProcessId shell = spawn_process(
      {"/bin/sh", "-c", "sleep 30 & echo $! > " + pid_file + "; wait"}, dir.file("err"));
  long child = 0;
  for (int i = 0; i < 500 && child == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream(pid_file) >> child;
  }
  REQUIRE(child > 0);
  REQUIRE(running(child));
  REQUIRE_FALSE(poll_process(shell).has_value());
  const auto start = std::chrono::steady_clock::now();
  terminate_process_group(shell);
  const ExitStatus status = wait_process(shell);
  REQUIRE(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  REQUIRE(status.signal == SIGTERM);
  for (int i = 0; i < 500 && running(child); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE_FALSE(running(child));
}

TEST_CASE("poll_process returns the status once the process has ended", "[env]") {
  const TempDir dir("podsim_env_test_");
  const ProcessId p = spawn_process({"/bin/sh", "-c", "exit 7"}, dir.file("err"));
  std::optional<ExitStatus> status;
  for (int i = 0; i < 500 && !status; ++i) {
    status = poll_process(p);
    if (!status) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(status.has_value());
  REQUIRE(status->code == 7);
}

TEST_CASE("StopSignals turns SIGINT and SIGTERM into a flag and restores the handlers", "[env]") {
  // Whatever handlers were there before (Catch2 installs its own) are there again after.
  struct sigaction int_before {}, term_before {};
  sigaction(SIGINT, nullptr, &int_before);
  sigaction(SIGTERM, nullptr, &term_before);
  {
    const StopSignals stop;
    REQUIRE_FALSE(stop.requested());
    raise(SIGTERM);
    REQUIRE(stop.requested());
  }
  {
    const StopSignals stop;  // a new one starts cleared
    REQUIRE_FALSE(stop.requested());
    raise(SIGINT);
    REQUIRE(stop.requested());
  }
  struct sigaction now {};
  sigaction(SIGTERM, nullptr, &now);
  REQUIRE(now.sa_handler == term_before.sa_handler);
  sigaction(SIGINT, nullptr, &now);
  REQUIRE(now.sa_handler == int_before.sa_handler);
}

TEST_CASE("the machine queries answer", "[env]") {
  REQUIRE(default_jobs() >= 1);
  REQUIRE(default_jobs() == std::max(1, int(std::thread::hardware_concurrency())));
  // ctest runs this test binary (test/CMakeLists.txt names it podsim_<module>_tests).
  REQUIRE(fs::path(self_executable()).filename() == "podsim_core_tests");
  REQUIRE(fs::path(self_executable()).is_absolute());
}

TEST_CASE("available memory comes from $PODSIM_MEMORY_AVAILABLE, else /proc/meminfo", "[env]") {
  setenv("PODSIM_MEMORY_AVAILABLE", "512MiB", 1);
  REQUIRE(available_memory_bytes() == 512.0 * 1024 * 1024);
  setenv("PODSIM_MEMORY_AVAILABLE", "123456", 1);
  REQUIRE(available_memory_bytes() == 123456.0);
  setenv("PODSIM_MEMORY_AVAILABLE", "lots", 1);
  REQUIRE_THROWS_AS(available_memory_bytes(), InputError);
  unsetenv("PODSIM_MEMORY_AVAILABLE");
  // Linux always has MemAvailable (since 3.14); it is at most the machine's physical memory.
  const std::optional<double> bytes = available_memory_bytes();
  REQUIRE(bytes.has_value());
  REQUIRE(*bytes > 0);
  REQUIRE(*bytes <= double(sysconf(_SC_PHYS_PAGES)) * double(sysconf(_SC_PAGESIZE)));
}

}  // namespace podsim
