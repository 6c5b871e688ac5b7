#include "sim/explore/calibration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <regex>
#include <tuple>

#include "sim/analytic/collective_cost.hpp"
#include "sim/core/check.hpp"
#include "sim/core/env.hpp"
#include "sim/core/input_error.hpp"
#include "sim/explore/least_squares.hpp"
#include "sim/explore/trace_replay.hpp"
#include "sim/workload/trace_generator.hpp"

namespace podsim {

Seconds simulate_case(const CalibrationCase& c, const ChipSpec& chip) {
  Scenario scenario = c.scenario;
  scenario.platform.chip = chip;
  scenario.exact = false;
  const Trace trace = generate_trace(scenario);
  const TraceTiming timing = simulate_trace(trace, false);
  Seconds prefill = 0, decode = 0;
  std::size_t decode_steps = 0;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    if (trace.steps.phase(i) == Phase::prefill) {
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

Seconds network_case_time(const NetworkCase& c, const ChipSpec& chip) {
  ChipSpec measured = chip;
  measured.ici_link_bytes_per_s = c.link_bytes_per_s;
  CollectiveSpec spec = c.spec;
  spec.launch_overhead_s = chip.collective_overhead_s;
  return collective_estimate(spec, c.shape, measured).time_s;
}

bool ParameterFit::at_bound() const {
  const double margin = 0.01 * (max - min);
  return value <= min + margin || value >= max - margin;
}

std::vector<std::string> CalibrationResult::names() const {
  std::vector<std::string> out;
  for (const ParameterFit& p : parameters) out.push_back(p.name);
  return out;
}
std::vector<double> CalibrationResult::values() const {
  std::vector<double> out;
  for (const ParameterFit& p : parameters) out.push_back(p.value);
  return out;
}

namespace {

// Inverse of a small symmetric matrix by Gauss-Jordan elimination; empty when singular.
std::vector<std::vector<double>> inverse(std::vector<std::vector<double>> a) {
  const std::size_t n = a.size();
  std::vector<std::vector<double>> inv(n, std::vector<double>(n, 0.0));
  for (std::size_t i = 0; i < n; ++i) inv[i][i] = 1;
  double scale = 0;
  for (std::size_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(a[i][i]));
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t row = col + 1; row < n; ++row)
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    if (std::abs(a[pivot][col]) <= 1e-12 * scale) return {};
    std::swap(a[col], a[pivot]);
    std::swap(inv[col], inv[pivot]);
    const double d = a[col][col];
    for (std::size_t k = 0; k < n; ++k) {
      a[col][k] /= d;
      inv[col][k] /= d;
    }
    for (std::size_t row = 0; row < n; ++row) {
      if (row == col) continue;
      const double f = a[row][col];
      for (std::size_t k = 0; k < n; ++k) {
        a[row][k] -= f * a[col][k];
        inv[row][k] -= f * inv[col][k];
      }
    }
  }
  return inv;
}

// One fitting problem: cases (by index), their measurements, the fitted parameters and a cached
// evaluator of case times.
class Problem {
 public:
  using Times = std::function<std::vector<Seconds>(const std::vector<std::size_t>& cases,
                                                   const ChipSpec& chip)>;
  Problem(const ChipSpec& chip, const std::vector<std::string>& names,
          std::vector<Seconds> measured, Times times)
      : chip_(chip), measured_(std::move(measured)), times_(std::move(times)) {
    for (const std::string& name : names) params_.push_back(&fittable_parameter(name));
  }

  std::size_t size() const { return params_.size(); }
  const FittableParameter& parameter(std::size_t k) const { return *params_[k]; }

  ChipSpec chip_at_values(const std::vector<double>& values) const {
    ChipSpec trial = chip_;
    for (std::size_t k = 0; k < params_.size(); ++k) trial.*(params_[k]->field) = values[k];
    return trial;
  }
  std::vector<double> values_of_free(const std::vector<double>& x) const {
    std::vector<double> v;
    for (std::size_t k = 0; k < params_.size(); ++k) v.push_back(from_free(*params_[k], x[k]));
    return v;
  }
  std::vector<double> free_of_values(const std::vector<double>& v) const {
    std::vector<double> x;
    for (std::size_t k = 0; k < params_.size(); ++k) x.push_back(to_free(*params_[k], v[k]));
    return x;
  }
  std::vector<double> initial_values() const {
    std::vector<double> v;
    for (const FittableParameter* p : params_) v.push_back(chip_.*(p->field));
    return v;
  }

  // Times of `cases` at parameter values `v`, from the cache where possible.
  std::vector<Seconds> times(const std::vector<std::size_t>& cases, const std::vector<double>& v) {
    std::vector<std::size_t> missing;
    for (std::size_t i : cases)
      if (!cache_.count({i, v})) missing.push_back(i);
    hits_ += static_cast<int>(cases.size() - missing.size());
    if (!missing.empty()) {
      const std::vector<Seconds> got = times_(missing, chip_at_values(v));
      for (std::size_t j = 0; j < missing.size(); ++j) cache_[{missing[j], v}] = got.at(j);
      evaluations_ += static_cast<int>(missing.size());
    }
    std::vector<Seconds> out;
    for (std::size_t i : cases) out.push_back(cache_.at({i, v}));
    return out;
  }
  std::vector<double> residuals(const std::vector<std::size_t>& cases, const std::vector<double>& v) {
    const std::vector<Seconds> t = times(cases, v);
    std::vector<double> r;
    for (std::size_t j = 0; j < cases.size(); ++j) r.push_back(std::log(t[j] / measured_[cases[j]]));
    return r;
  }

  // Least squares over `cases` from free coordinates `x0`; returns the fitted free coordinates
  // and the cost.
  std::pair<std::vector<double>, double> fit(const std::vector<std::size_t>& cases,
                                             const std::vector<double>& x0, int iterations,
                                             const std::string& what,
                                             const CalibrationProgress& progress) {
    LeastSquaresOptions options;
    options.max_iterations = iterations;
    options.step = kStep;
    options.tolerance = 1e-4;
    options.max_step = 2;
    if (progress)
      options.progress = [&](int iteration, double cost, int) {
        progress(what, iteration, std::sqrt(cost / static_cast<double>(cases.size())), evaluations_);
      };
    const auto r = [&](const std::vector<double>& x) { return residuals(cases, values_of_free(x)); };
    const LeastSquaresResult out = least_squares(r, x0, options);
    return {out.x, out.cost};
  }

  // Standard errors at free coordinates `x` over `cases` (see ParameterFit::standard_error). The
  // Jacobian is least_squares's own forward difference in the free coordinates (so that the
  // leave-one-out refits, which start at the same point, find it in the cache), turned into the
  // parameters' own units by the chain rule: dr/dv = (dr/dx) / (dv/dx).
  std::vector<double> standard_errors(const std::vector<std::size_t>& cases,
                                      const std::vector<double>& x, double cost) {
    const std::size_t n = params_.size(), m = cases.size();
    std::vector<double> out(n, std::numeric_limits<double>::quiet_NaN());
    if (m <= n) return out;
    const std::vector<double> r0 = residuals(cases, values_of_free(x));
    std::vector<std::vector<double>> j(m, std::vector<double>(n));
    const std::vector<double> v = values_of_free(x);
    for (std::size_t k = 0; k < n; ++k) {
      std::vector<double> w = x;
      w[k] += kStep;
      const double dv = from_free(*params_[k], w[k]) - from_free(*params_[k], x[k]);
      const double width = params_[k]->max - params_[k]->min;
      if (std::abs(dv) > 1e-6 * width) {
        const std::vector<double> rk = residuals(cases, values_of_free(w));
        for (std::size_t i = 0; i < m; ++i) j[i][k] = (rk[i] - r0[i]) / dv;
      } else {
        // At an end of the range the logistic is flat: step 1% of the range inward instead.
        std::vector<double> u = v;
        const double h = u[k] + 0.01 * width <= params_[k]->max ? 0.01 * width : -0.01 * width;
        u[k] += h;
        const std::vector<double> rk = residuals(cases, u);
        for (std::size_t i = 0; i < m; ++i) j[i][k] = (rk[i] - r0[i]) / h;
      }
    }
    // In units of each parameter's range width, so that J^T J is well scaled (FLOP/s and
    // seconds differ by 19 orders of magnitude); the errors are scaled back at the end.
    std::vector<double> width(n);
    for (std::size_t k = 0; k < n; ++k) width[k] = params_[k]->max - params_[k]->min;
    std::vector<std::vector<double>> jtj(n, std::vector<double>(n, 0.0));
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t a = 0; a < n; ++a)
        for (std::size_t b = 0; b < n; ++b) jtj[a][b] += j[i][a] * width[a] * j[i][b] * width[b];
    const auto inv = inverse(jtj);
    if (inv.empty()) return out;
    const double s2 = cost / static_cast<double>(m - n);
    for (std::size_t k = 0; k < n; ++k)
      if (inv[k][k] >= 0) out[k] = std::sqrt(s2 * inv[k][k]) * width[k];
    return out;
  }

  // 1% in logit space: well above the fast path's 1e-4 noise, small against the ranges.
  static constexpr double kStep = 1e-2;

  int evaluations() const { return evaluations_; }
  int hits() const { return hits_; }

 private:
  ChipSpec chip_;
  std::vector<const FittableParameter*> params_;
  std::vector<Seconds> measured_;
  Times times_;
  std::map<std::pair<std::size_t, std::vector<double>>, Seconds> cache_;
  int evaluations_ = 0;
  int hits_ = 0;
};

void check_names(const std::vector<std::string>& names, std::size_t cases) {
  if (names.empty()) throw InputError("fit", "no parameter is marked as fitted");
  if (names.size() > cases)
    throw InputError("fit", fmt::format("{} parameters cannot be fitted to {} cases: fit at most "
                                        "as many parameters as there are measured cases",
                                        names.size(), cases));
}

CalibrationResult run(Problem& problem, std::size_t case_count, const CalibrationOptions& options) {
  std::vector<std::size_t> all;
  for (std::size_t i = 0; i < case_count; ++i) all.push_back(i);
  // A start outside the documented range is moved inside it (to_free clamps).
  std::vector<double> x = problem.free_of_values(problem.initial_values());
  double cost = 0;
  std::vector<double> v;
  if (options.fit) {
    std::tie(x, cost) = problem.fit(all, x, options.max_iterations, "fit", options.progress);
    v = problem.values_of_free(x);
  } else {
    // Exactly the platform's values (x, moved inside the range, only starts the refits and
    // places the Jacobian).
    v = problem.initial_values();
    for (double r : problem.residuals(all, v)) cost += r * r;
  }
  CalibrationResult result;
  const std::vector<double> errors = problem.standard_errors(all, x, cost);
  for (std::size_t k = 0; k < problem.size(); ++k) {
    const FittableParameter& p = problem.parameter(k);
    result.parameters.push_back(ParameterFit{std::string(p.name), v[k],
                                             problem.initial_values()[k], p.min, p.max,
                                             std::string(p.source), errors[k]});
  }
  result.simulated_s = problem.times(all, v);
  result.rms_log_error = std::sqrt(cost / static_cast<double>(case_count));
  if (options.leave_one_out && case_count > problem.size()) {
    // Each refit starts at the full fit's optimum, whose residuals and Jacobian are cached: a
    // refit of one iteration costs only its trial steps.
    for (std::size_t left = 0; left < case_count; ++left) {
      std::vector<std::size_t> rest;
      for (std::size_t i : all)
        if (i != left) rest.push_back(i);
      const auto refit = problem.fit(rest, x, options.loo_max_iterations,
                                     fmt::format("leave out case {}", left + 1), options.progress);
      result.loo_predicted_s.push_back(problem.times({left}, problem.values_of_free(refit.first)).at(0));
    }
  }
  result.evaluations = problem.evaluations();
  result.cache_hits = problem.hits();
  return result;
}

}  // namespace

CalibrationResult calibrate(const std::vector<CalibrationCase>& cases, const ChipSpec& chip,
                            const std::vector<std::string>& names,
                            const CalibrationOptions& options, const CaseSimulator& simulate) {
  check_names(names, cases.size());
  if (names.size() > kMaxEndToEndParameters)
    throw InputError("fit", fmt::format("{} end-to-end parameters: fit at most {}", names.size(),
                                        kMaxEndToEndParameters));
  std::vector<Seconds> measured;
  for (const CalibrationCase& c : cases) measured.push_back(c.measured_s);
  const int parallel = std::max(1, options.parallel);
  Problem problem(chip, names, measured,
                  [&](const std::vector<std::size_t>& which, const ChipSpec& trial) {
                    std::vector<Seconds> out;
                    if (simulate) {
                      for (std::size_t i : which) out.push_back(simulate(i, trial));
                      return out;
                    }
                    // The cases are independent simulations: side by side in child processes,
                    // each case's fast path with its share of the processes (-j N = N
                    // simulation processes in all, as in a sweep: trace_replay.hpp).
                    const int at_once = std::max<int>(
                        1, std::min<int>(parallel, static_cast<int>(which.size())));
                    const int share = std::max(1, parallel / at_once);
                    std::vector<std::function<std::vector<double>()>> works;
                    for (std::size_t i : which)
                      works.push_back([&cases, i, trial, share]() {
                        set_parallel_simulations(share);
                        return std::vector<double>{simulate_case(cases[i], trial)};
                      });
                    for (const auto& r : run_in_children(works, parallel)) out.push_back(r.at(0));
                    return out;
                  });
  return run(problem, cases.size(), options);
}

CalibrationResult calibrate_network(const std::vector<NetworkCase>& cases, const ChipSpec& chip,
                                    const std::vector<std::string>& names,
                                    const CalibrationOptions& options) {
  check_names(names, cases.size());
  std::vector<Seconds> measured;
  for (const NetworkCase& c : cases) measured.push_back(c.measured_s);
  Problem problem(chip, names, measured,
                  [&](const std::vector<std::size_t>& which, const ChipSpec& trial) {
                    std::vector<Seconds> out;
                    for (std::size_t i : which) out.push_back(network_case_time(cases[i], trial));
                    return out;
                  });
  CalibrationOptions network = options;
  network.max_iterations = std::max(options.max_iterations, 50);  // closed forms are cheap
  network.loo_max_iterations = std::max(options.loo_max_iterations, 50);
  return run(problem, cases.size(), network);
}

std::string fitted_platform_text(const std::string& original, const CalibrationResult& fit,
                                 const std::string& source) {
  std::string text = original;
  for (const ParameterFit& p : fit.parameters) {
    // A time term fitted below SimGrid's time precision, with 0 in its range, is written as 0:
    // the replays cannot resolve it, and the platform loader refuses it (chip_spec.hpp).
    const bool below_precision = p.name.ends_with("_s") && p.min == 0 && p.value > 0 &&
                                 p.value < kSimTimePrecision_s;
    const std::string line =
        below_precision
            ? fmt::format("  {}: 0   # fitted by podsim calibrate to {}: {:.3g} +- {:.2g} s, "
                          "written as 0 (below SimGrid's 1e-9 s time precision); documented "
                          "range {:.3g}-{:.3g}",
                          p.name, source, p.value, p.standard_error, p.min, p.max)
            : fmt::format("  {}: {:.6g}   # fitted by podsim calibrate to {}; documented range "
                          "{:.3g}-{:.3g}",
                          p.name, p.value, source, p.min, p.max);
    const std::regex existing("^  " + p.name + ":.*$", std::regex::multiline);
    if (std::regex_search(text, existing))
      text = std::regex_replace(text, existing, line);
    else
      text = std::regex_replace(text, std::regex("^chip:[^\n]*$", std::regex::multiline),
                                "$&\n" + line);
  }
  return text;
}

}  // namespace podsim
