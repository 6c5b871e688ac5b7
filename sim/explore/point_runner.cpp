#include "sim/explore/point_runner.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/config/scenario_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/explore/layout_search.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/trace_json.hpp"

extern char** environ;

namespace podsim {

namespace fs = std::filesystem;

namespace {

volatile std::sig_atomic_t g_stop = 0;
void on_stop_signal(int) { g_stop = 1; }

using Clock = std::chrono::steady_clock;

struct Running {
  pid_t pid = 0;
  std::size_t task = 0;
  Scenario scenario;
  std::string json_path;
  std::string err_path;
  Clock::time_point start;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The last non-empty line of a process's stderr: where podsim prints its one-line error.
std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line))
    if (line.find_first_not_of(" \t\r") != std::string::npos) last = line;
  return last;
}

PointResult base_result(const PointTask& task, const PointRunOptions& options) {
  PointResult r;
  r.index = task.index;
  r.point = task.point;
  if (options.requested)
    for (const std::string& c : scenario_columns()) {
      const std::string v = options.requested(task, c);
      if (!v.empty()) r.scenario[c] = v;
    }
  return r;
}

// Loads the point and plans its memory here. Returns the finished result when the point cannot
// or need not be simulated (invalid, no-fit), else std::nullopt and the resolved scenario.
std::optional<PointResult> prepare(const PointTask& task, const PointRunOptions& options,
                                   Scenario& scenario) {
  PointResult r = base_result(task, options);
  try {
    scenario = config::load_scenario(options.scenario, task.overrides);
  } catch (const InputError& e) {
    r.status = kStatusInvalid;
    r.reason = e.what();
    return r;
  }
  r.scenario = describe_scenario(scenario);
  try {
    // `ffn_layout: auto` is decided by the simulation process (choose_layout); here a point is
    // refused only when no candidate layout applies or none fits (the first candidate's plan is
    // shown then).
    const std::vector<Scenario> candidates =
        scenario.ffn_layout_auto ? layout_candidates(scenario) : std::vector<Scenario>{scenario};
    std::optional<MemoryPlan> first_plan;
    for (const Scenario& c : candidates) {
      const MemoryPlan plan = plan_memory(c);
      if (plan.fits || scenario.allow_oversubscribe) return std::nullopt;
      if (!first_plan) first_plan = plan;
    }
    r.status = kStatusNoFit;
    r.fits = "no";
    set_memory_metrics(*first_plan, r.metrics);
    r.reason = memory_refusal_message(candidates.front(), *first_plan);
  } catch (const InputError& e) {
    r.status = kStatusInvalid;
    r.reason = e.what();
  }
  return r;
}

pid_t spawn_run(const std::string& exe, const std::string& scenario_path,
                const std::vector<std::string>& overrides, const std::string& json_path,
                const std::string& err_path) {
  std::vector<std::string> args = {exe, "run", scenario_path};
  for (const std::string& o : overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  args.push_back("--json");
  args.push_back(json_path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // Each simulation leads its own process group, so that stopping it also stops the processes
  // its fast path forks; Ctrl-C reaches only this process, which then stops them all.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw std::runtime_error(
        fmt::format("cannot start a simulation process ({}): error {}", exe, rc));
  return pid;
}

PointResult collect(const PointTask& task, const PointRunOptions& options, const Running& run,
                    int status) {
  PointResult r = base_result(task, options);
  r.scenario = describe_scenario(run.scenario);
  const std::string err = last_line(read_file(run.err_path));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    try {
      const nlohmann::json doc = nlohmann::json::parse(read_file(run.json_path));
      // The row describes the scenario the simulation ran, as its JSON reports it (with
      // `ffn_layout: auto` decided there).
      const Scenario ran =
          scenario_from_json(nlohmann::ordered_json(doc.at("scenario")), run.json_path);
      r.scenario = describe_scenario(ran);
      r.metrics = metrics_from_run_json(doc, ran);
      r.fits = doc.at("memory").at("fits").get<bool>() ? "yes" : "no";
      r.path = doc.value("path", "");
      r.status = kStatusOk;
      return r;
    } catch (const std::exception& e) {
      r.status = kStatusFailed;
      r.reason = fmt::format("the simulation's JSON output cannot be read: {}", e.what());
      return r;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
    r.status = kStatusInvalid;
    r.reason = err.empty() ? "bad input (exit status 2)" : err;
    return r;
  }
  r.status = kStatusFailed;
  if (WIFSIGNALED(status))
    r.reason =
        fmt::format("the simulation process was killed by signal {} ({}){}", WTERMSIG(status),
                    strsignal(WTERMSIG(status)), err.empty() ? "" : ": " + err);
  else
    r.reason = fmt::format("the simulation process exited with status {}{}", WEXITSTATUS(status),
                           err.empty() ? "" : ": " + err);
  return r;
}

// Installs the stop handlers for the duration of a run and restores the previous ones.
class StopSignals {
 public:
  StopSignals() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "podsim_points_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a temporary directory for the simulation outputs");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

}  // namespace

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

std::vector<PointResult> run_points(const std::vector<PointTask>& tasks,
                                    const PointRunOptions& options, PointObserver* observer,
                                    bool& interrupted) {
  interrupted = false;
  const std::string exe = self_executable();
  const TempDir tmp;
  const StopSignals signals;
  std::vector<std::optional<PointResult>> results(tasks.size());
  std::vector<Running> running;
  std::size_t next = 0;
  auto last_tick = Clock::now();
  const std::size_t jobs = static_cast<std::size_t>(std::max(1, options.jobs));

  const auto done = [&](std::size_t i, PointResult r, double seconds) {
    if (observer) observer->finished(r, seconds);
    results[i] = std::move(r);
  };

  while (!g_stop && (next < tasks.size() || !running.empty())) {
    while (!g_stop && running.size() < jobs && next < tasks.size()) {
      const std::size_t i = next++;
      Running run;
      if (auto finished = prepare(tasks[i], options, run.scenario)) {
        done(i, std::move(*finished), 0.0);
        continue;
      }
      run.task = i;
      run.json_path = tmp.file(fmt::format("point-{}.json", i));
      run.err_path = tmp.file(fmt::format("point-{}.err", i));
      run.start = Clock::now();
      run.pid = spawn_run(exe, options.scenario, tasks[i].overrides, run.json_path, run.err_path);
      running.push_back(std::move(run));
    }
    bool reaped = false;
    for (std::size_t k = 0; k < running.size();) {
      int status = 0;
      const pid_t pid = waitpid(running[k].pid, &status, WNOHANG);
      if (pid != running[k].pid) {
        ++k;
        continue;
      }
      reaped = true;
      Running run = std::move(running[k]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
      const double seconds = std::chrono::duration<double>(Clock::now() - run.start).count();
      done(run.task, collect(tasks[run.task], options, run, status), seconds);
    }
    if (!reaped && !running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (observer && Clock::now() - last_tick > std::chrono::milliseconds(500)) {
      observer->tick();
      last_tick = Clock::now();
    }
  }
  if (g_stop) {
    interrupted = true;
    for (const Running& run : running) kill(-run.pid, SIGTERM);
    for (const Running& run : running) {
      int status = 0;
      waitpid(run.pid, &status, 0);
    }
  }
  std::vector<PointResult> out;
  for (auto& r : results)
    if (r) out.push_back(std::move(*r));
  return out;
}

}  // namespace podsim
