#include "sim/explore/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <regex>

#include "sim/explore/least_squares.hpp"
#include "sim/core/check.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/env.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

namespace {

using Parameter = FittableParameter;

// Cases simulated at once during a fit (the machines podsim targets have 2 cores or more).
constexpr int kParallelCases = 2;

}  // namespace

Seconds simulate_case(const CalibrationCase& c, const ChipSpec& chip) {
  Scenario scenario = c.scenario;
  scenario.platform.chip = chip;
  scenario.exact = false;
  const Trace trace = generate_trace(scenario);
  const TraceTiming timing = simulate_trace(trace, false);
  Seconds prefill = 0, decode = 0;
  std::size_t decode_steps = 0;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    if (trace.steps[i].phase == Phase::prefill) {
      prefill += timing.step_s[i];
    } else {
      decode += timing.step_s[i];
      ++decode_steps;
    }
  }
  switch (c.metric) {
    case CaseMetric::prefill_latency:
      return prefill;
    case CaseMetric::decode_latency:
      return decode;
    case CaseMetric::decode_step:
      return decode_steps > 0 ? decode / static_cast<double>(decode_steps) : 0.0;
  }
  return 0;
}

CalibrationResult calibrate(
    const std::vector<CalibrationCase>& cases, const ChipSpec& chip,
    const std::vector<std::string>& names,
    const std::function<Seconds(const CalibrationCase&, const ChipSpec&)>& simulate,
    const CalibrationProgress& progress) {
  if (names.size() > cases.size())
    throw InputError("fit", fmt::format("{} parameters cannot be fitted to {} cases: fit at most "
                                        "as many parameters as there are measured cases",
                                        names.size(), cases.size()));
  if (names.empty()) throw InputError("fit", "no parameter is marked as fitted");
  std::vector<const Parameter*> params;
  std::vector<double> x0;
  for (const std::string& name : names) {
    params.push_back(&fittable_parameter(name));
    x0.push_back(to_free(*params.back(), chip.*(params.back()->field)));
  }
  const auto chip_at = [&](const std::vector<double>& x) {
    ChipSpec trial = chip;
    for (std::size_t k = 0; k < params.size(); ++k) trial.*(params[k]->field) = from_free(*params[k], x[k]);
    return trial;
  };
  int evaluations = 0;
  const auto residuals = [&](const std::vector<double>& x) {
    const ChipSpec trial = chip_at(x);
    // The cases are independent simulations: run them side by side in child processes.
    std::vector<std::function<std::vector<double>()>> works;
    for (const CalibrationCase& c : cases)
      works.push_back([&simulate, &c, trial]() { return std::vector<double>{simulate(c, trial)}; });
    const auto out = run_in_children(works, kParallelCases);
    std::vector<double> r;
    for (std::size_t i = 0; i < cases.size(); ++i) r.push_back(std::log(out[i].at(0) / cases[i].measured_s));
    ++evaluations;
    return r;
  };
  LeastSquaresOptions options;
  // Each evaluation simulates every case; a few iterations from plausible starting values
  // converge (the cost stops improving by 0.01%) within minutes on 2 cores.
  options.max_iterations = 10;
  options.step = 1e-2;  // 1% in log (or logit) space: well above the fast path's 1e-4 noise
  options.tolerance = 1e-4;
  if (progress)
    options.progress = [&](int iteration, double cost, int evaluations) {
      progress(iteration, std::sqrt(cost / static_cast<double>(cases.size())), evaluations);
    };
  const LeastSquaresResult fit = least_squares(residuals, x0, options);

  CalibrationResult result;
  result.names = names;
  const ChipSpec fitted = chip_at(fit.x);
  for (const std::string& name : names) result.values.push_back(get_parameter(fitted, name));
  for (const CalibrationCase& c : cases) result.simulated_s.push_back(simulate(c, fitted));
  result.rms_log_error = std::sqrt(fit.cost / static_cast<double>(cases.size()));
  result.evaluations = evaluations;
  return result;
}

CalibrationResult evaluate_calibration(
    const std::vector<CalibrationCase>& cases, const ChipSpec& chip,
    const std::vector<std::string>& names,
    const std::function<Seconds(const CalibrationCase&, const ChipSpec&)>& simulate) {
  CalibrationResult fit;
  fit.names = names;
  double sum = 0;
  for (const std::string& name : fit.names) fit.values.push_back(get_parameter(chip, name));
  for (const CalibrationCase& c : cases) {
    fit.simulated_s.push_back(simulate(c, chip));
    sum += std::pow(std::log(fit.simulated_s.back() / c.measured_s), 2);
  }
  fit.rms_log_error = std::sqrt(sum / static_cast<double>(cases.size()));
  return fit;
}

std::string fitted_platform_text(const std::string& original, const CalibrationResult& fit,
                                 const std::string& source) {
  std::string text = original;
  for (std::size_t k = 0; k < fit.names.size(); ++k) {
    const std::string line = fmt::format("  {}: {:.6g}   # fitted by podsim calibrate to {}",
                                         fit.names[k], fit.values[k], source);
    const std::regex existing("^  " + fit.names[k] + ":.*$", std::regex::multiline);
    if (std::regex_search(text, existing))
      text = std::regex_replace(text, existing, line);
    else
      text = std::regex_replace(text, std::regex("^chip:[^\n]*$", std::regex::multiline),
                                "$&\n" + line);
  }
  return text;
}

}  // namespace podsim
