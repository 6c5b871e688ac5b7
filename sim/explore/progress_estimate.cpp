#include "sim/explore/progress_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/config/scenario_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/explore/layout_search.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

double predicted_point_work(const std::string& scenario,
                            const std::vector<std::string>& overrides) {
  try {
    const Scenario s = config::load_scenario(scenario, overrides);
    // `auto` simulates every candidate once on the fast path, then the winner is reused.
    const std::vector<Scenario> candidates =
        s.layout_undecided() ? layout_candidates(s) : std::vector<Scenario>{s};
    double tasks = 0;
    for (const Scenario& c : candidates)
      tasks += replay_memory_need(generate_trace(c), c.exact).tasks;
    return tasks;
  } catch (const InputError&) {
    return 0;  // refused before simulating: costs nothing
  }
}

EtaEstimate::EtaEstimate(std::vector<double> work, int parallel)
    : work_(std::move(work)),
      start_s_(work_.size(), -1.0),
      done_(work_.size(), false),
      parallel_(std::max(1, parallel)) {}

void EtaEstimate::started(std::size_t i, double at_s) {
  if (i < start_s_.size()) start_s_[i] = at_s;
}

void EtaEstimate::finished(std::size_t i, double at_s) {
  if (i >= done_.size() || done_[i]) return;
  done_[i] = true;
  if (start_s_[i] >= 0 && work_[i] > 0) {
    done_work_ += work_[i];
    done_seconds_ += at_s - start_s_[i];
  }
}

double EtaEstimate::seconds_per_work() const {
  return done_work_ > 0 ? done_seconds_ / done_work_ : kPriorSecondsPerTask;
}

double EtaEstimate::remaining_s(double now_s) const {
  const double rate = seconds_per_work();
  double left = 0;
  bool any = false;
  for (std::size_t i = 0; i < work_.size(); ++i) {
    if (done_[i]) continue;
    any = true;
    const double predicted = work_[i] * rate;
    left += start_s_[i] >= 0 ? std::max(0.0, predicted - (now_s - start_s_[i])) : predicted;
  }
  if (!any) return 0;
  return left / parallel_;
}

std::string clock_text(double seconds) {
  const long long s = static_cast<long long>(std::max(0.0, seconds) + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace podsim
