#pragma once
// SimGrid allows one simulation per process. Tests that compare two simulations run each in a
// forked child and read back its numbers through a pipe.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <functional>
#include <vector>

namespace podsim::test {

// Runs `simulate` in a child process and returns the doubles it produced.
inline std::vector<double> run_isolated(const std::function<std::vector<double>()>& simulate) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    const std::vector<double> values = simulate();
    const std::size_t n = values.size();
    if (write(fds[1], &n, sizeof n) != sizeof n) _exit(3);
    const auto bytes = static_cast<ssize_t>(n * sizeof(double));
    if (write(fds[1], values.data(), bytes) != bytes) _exit(3);
    close(fds[1]);
    _exit(0);
  }
  close(fds[1]);
  std::size_t n = 0;
  std::vector<double> values;
  if (read(fds[0], &n, sizeof n) == sizeof n && n < 1'000'000) {
    values.resize(n);
    const auto bytes = static_cast<ssize_t>(n * sizeof(double));
    ssize_t got = 0;
    while (got < bytes) {
      const ssize_t r = read(fds[0], reinterpret_cast<char*>(values.data()) + got, bytes - got);
      if (r <= 0) break;
      got += r;
    }
    REQUIRE(got == bytes);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return values;
}

}  // namespace podsim::test
