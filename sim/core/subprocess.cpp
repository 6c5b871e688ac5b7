#include "sim/core/subprocess.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

namespace podsim {

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
}  // namespace

std::vector<double> run_in_child(const std::function<std::vector<double>()>& work) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("cannot create a pipe for a simulation process");
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
  std::size_t n = 0;
  std::vector<double> values;
  bool ok = read_all(fds[0], &n, sizeof n) && n < (std::size_t{1} << 32);
  if (ok) {
    values.resize(n);
    ok = read_all(fds[0], values.data(), n * sizeof(double));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("a simulation process failed (exit status " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  return values;
}

}  // namespace podsim
