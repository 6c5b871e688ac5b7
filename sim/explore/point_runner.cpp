#include "sim/explore/point_runner.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "sim/config/scenario_loader.hpp"
#include "sim/core/env.hpp"
#include "sim/core/input_error.hpp"
#include "sim/explore/layout_search.hpp"
#include "sim/program/fold.hpp"
#include "sim/workload/memory_plan.hpp"
#include "sim/workload/trace_json.hpp"

namespace podsim {

namespace {

using Clock = std::chrono::steady_clock;

struct Running {
  ProcessId pid = 0;
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
        scenario.layout_undecided() ? layout_candidates(scenario) : std::vector<Scenario>{scenario};
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

// Starts `podsim run SCENARIO -j N --set ... --json JSON`, its stderr in `err_path`.
ProcessId spawn_run(const std::string& exe, const std::string& scenario_path,
                    const std::vector<std::string>& overrides, const std::string& json_path,
                    const std::string& err_path, int child_jobs) {
  // -j: the child's share of the simulation processes (run_points), so that the points running
  // at once and the simulations each forks add up to the sweep's -j.
  std::vector<std::string> args = {exe, "run", scenario_path, "-j", std::to_string(child_jobs)};
  // The child runs the replay this process was asked for (--replay, program/fold.hpp).
  if (process_replay_mode() != ReplayMode::automatic) {
    args.push_back("--replay");
    args.push_back(process_replay_mode() == ReplayMode::folded ? "folded" : "per-chip");
  }
  for (const std::string& o : overrides) {
    args.push_back("--set");
    args.push_back(o);
  }
  args.push_back("--json");
  args.push_back(json_path);
  // The simulation leads its own process group (spawn_process), so that stopping it also stops
  // the processes its fast path forks; Ctrl-C reaches only this process, which stops them all.
  return spawn_process(args, err_path);
}

PointResult collect(const PointTask& task, const PointRunOptions& options, const Running& run,
                    const ExitStatus& status) {
  PointResult r = base_result(task, options);
  r.scenario = describe_scenario(run.scenario);
  const std::string err = last_line(read_file(run.err_path));
  if (status.exited() && status.code == 0) {
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
  // Exit 2 is bad input, except when it is about this runner's own files (its temporary
  // directory on a full disk) or memory running out: those say nothing about the point, so it is
  // `failed` and a resumed sweep runs it again instead of keeping it `invalid` for good.
  const bool environment =
      err.starts_with(run.json_path + ":") || err.starts_with(kOutOfMemoryPrefix);
  if (status.exited() && status.code == 2 && !environment) {
    r.status = kStatusInvalid;
    r.reason = err.empty() ? "bad input (exit status 2)" : err;
    return r;
  }
  r.status = kStatusFailed;
  if (!status.exited())
    r.reason = fmt::format("the simulation process was killed by signal {} ({}){}", status.signal,
                           signal_description(status.signal), err.empty() ? "" : ": " + err);
  else
    r.reason = fmt::format("the simulation process exited with status {}{}", status.code,
                           err.empty() ? "" : ": " + err);
  return r;
}

}  // namespace

std::vector<PointResult> run_points(const std::vector<PointTask>& tasks,
                                    const PointRunOptions& options, PointObserver* observer,
                                    bool& interrupted) {
  interrupted = false;
  const std::string exe = self_executable();
  const TempDir tmp("podsim_points_");
  const StopSignals stop;
  std::vector<std::optional<PointResult>> results(tasks.size());
  std::vector<Running> running;
  // When an observer throws (a CSV write failed), the children still running are stopped and
  // reaped before the exception leaves, so that none outlives the sweep.
  struct StopOnUnwind {
    std::vector<Running>& running;
    ~StopOnUnwind() {
      for (const Running& run : running) terminate_process_group(run.pid);
      for (const Running& run : running) wait_process(run.pid);
    }
  } stop_on_unwind{running};
  std::size_t next = 0;
  auto last_tick = Clock::now();
  const std::size_t jobs = static_cast<std::size_t>(std::max(1, options.jobs));
  // Points at once times simulations per point stays within -j: with fewer points than jobs, each
  // point's fast path gets the spare processes.
  const std::size_t at_once = std::max<std::size_t>(1, std::min(jobs, tasks.size()));
  const int child_jobs = static_cast<int>(std::max<std::size_t>(1, jobs / at_once));

  const auto done = [&](std::size_t i, PointResult r, double seconds) {
    if (observer) observer->finished(r, seconds);
    results[i] = std::move(r);
  };

  while (!stop.requested() && (next < tasks.size() || !running.empty())) {
    while (!stop.requested() && running.size() < jobs && next < tasks.size()) {
      const std::size_t i = next++;
      Running run;
      if (auto finished = prepare(tasks[i], options, run.scenario)) {
        done(i, std::move(*finished), 0.0);
        continue;
      }
      run.task = i;
      if (observer) observer->started(i);
      run.json_path = tmp.file(fmt::format("point-{}.json", i));
      run.err_path = tmp.file(fmt::format("point-{}.err", i));
      run.start = Clock::now();
      run.pid = spawn_run(exe, options.scenario, tasks[i].overrides, run.json_path, run.err_path,
                          child_jobs);
      running.push_back(std::move(run));
    }
    bool reaped = false;
    for (std::size_t k = 0; k < running.size();) {
      const std::optional<ExitStatus> status = poll_process(running[k].pid);
      if (!status) {
        ++k;
        continue;
      }
      reaped = true;
      Running run = std::move(running[k]);
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
      const double seconds = std::chrono::duration<double>(Clock::now() - run.start).count();
      done(run.task, collect(tasks[run.task], options, run, *status), seconds);
    }
    if (!reaped && !running.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (observer && Clock::now() - last_tick > std::chrono::milliseconds(500)) {
      observer->tick();
      last_tick = Clock::now();
    }
  }
  if (stop.requested()) {
    interrupted = true;
    for (const Running& run : running) terminate_process_group(run.pid);
    for (const Running& run : running) wait_process(run.pid);
    running.clear();
  }
  std::vector<PointResult> out;
  for (auto& r : results)
    if (r) out.push_back(std::move(*r));
  return out;
}

}  // namespace podsim
