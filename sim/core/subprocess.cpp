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

namespace {
struct Child {
  pid_t pid;
  int fd;
};

Child start_child(const std::function<std::vector<double>()>& work) {
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
  return Child{pid, fds[0]};
}

std::vector<double> finish_child(const Child& child) {
  std::size_t n = 0;
  std::vector<double> values;
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

}  // namespace podsim
