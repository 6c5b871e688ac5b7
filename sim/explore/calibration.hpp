#pragma once
// Calibration of the chip model (issue 13): the parameters a platform file marks as fitted are
// chosen to minimise the squared log errors of podsim against measured cases (least_squares.hpp),
// each kept inside its documented range (ChipPrior, chip_spec.hpp) by a logistic map. Log errors
// weigh a 0.03 s decode step and an 85 s prefill alike.
//
// Two fits, kept separate by kind of data:
//   network   `fit_network:` parameters (ici_efficiency, ici_message_overhead_s,
//             collective_overhead_s) to measured collectives (NetworkCase), through the closed
//             forms of analytic/collective_cost, which equal the simulation of an uncontended
//             collective (test/analytic);
//   end-to-end `fit:` parameters (at most 6) to measured latencies (CalibrationCase), each case
//             simulated in a child process, two at a time.
// Each fit reports every parameter's standard error from the Jacobian at the optimum, and
// leave-one-out cross-validation: each case predicted by a refit without it (end to end: one
// Levenberg-Marquardt iteration from the full optimum by default, see loo_max_iterations).
// Simulations are cached by (case, parameter values), so that the leave-one-out refits, which all
// start at the full fit's optimum, share its residuals and Jacobian.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sim/workload/calibration_case.hpp"

namespace podsim {

// podsim's value of the case's metric under `chip`.
Seconds simulate_case(const CalibrationCase& c, const ChipSpec& chip);
// The closed-form time of a network case under `chip` (the case's link rate replaces the chip's):
// the collective's launch cost plus its closed form with the per-message cost.
Seconds network_case_time(const NetworkCase& c, const ChipSpec& chip);

struct ParameterFit {
  std::string name;
  double value = 0;    // fitted
  double initial = 0;  // where the fit started (the platform's value)
  double min = 0, max = 0;     // documented range
  std::string range_source;
  // Standard error from the Jacobian at the optimum: sqrt of the diagonal of
  // s^2 (J^T J)^-1 with s^2 = cost / (cases - parameters); NaN when there are no degrees of
  // freedom left or J^T J is singular (a parameter the cases do not determine).
  double standard_error = 0;
  bool at_bound() const;  // within 1% of the range's width of an end
};

struct CalibrationResult {
  std::vector<ParameterFit> parameters;
  std::vector<Seconds> simulated_s;  // per case, with the fitted values
  // Per case, the prediction of a refit without that case (end-to-end fits with
  // `leave_one_out`); empty otherwise.
  std::vector<Seconds> loo_predicted_s;
  double rms_log_error = 0;
  int evaluations = 0;   // case simulations (or closed forms) that were computed
  int cache_hits = 0;    // case simulations answered by the cache
  // Convenience views.
  std::vector<std::string> names() const;
  std::vector<double> values() const;
};

using CaseSimulator = std::function<Seconds(std::size_t case_index, const ChipSpec&)>;
// Told after each iteration of a fit: which fit ("fit", "leave out <id>"), the iteration, the rms
// log error and the evaluations so far.
using CalibrationProgress =
    std::function<void(const std::string& fit, int iteration, double rms_log_error, int evaluations)>;

struct CalibrationOptions {
  bool fit = true;             // false: evaluate at the platform's values (no fitting)
  bool leave_one_out = false;  // refit without each case and predict it
  int max_iterations = 8;      // Levenberg-Marquardt iterations of the full fit
  // Of each leave-one-out refit. They start at the full fit's optimum with its residuals and
  // Jacobian cached, so the first iteration costs only its trial simulations; each further one
  // simulates every remaining case once per parameter again (about 100 s for 10 cases and 4
  // parameters on 2 cores).
  int loo_max_iterations = 8;
  int parallel = 2;            // simulation processes in all (-j): cases at once, each case's
                               // fast path with parallel / cases of them
  CalibrationProgress progress;
};

// Fits `names` (each fittable, with a documented range) starting from `chip`. Throws InputError
// (key `fit`) when there are more names than cases, or more than 6 end-to-end parameters.
// `simulate` defaults to simulate_case in child processes.
CalibrationResult calibrate(const std::vector<CalibrationCase>& cases, const ChipSpec& chip,
                            const std::vector<std::string>& names,
                            const CalibrationOptions& options = {},
                            const CaseSimulator& simulate = {});
// The network fit (closed forms: no simulation, no children).
CalibrationResult calibrate_network(const std::vector<NetworkCase>& cases, const ChipSpec& chip,
                                    const std::vector<std::string>& names,
                                    const CalibrationOptions& options = {});

// The most end-to-end parameters `podsim calibrate` fits (issue 13).
inline constexpr std::size_t kMaxEndToEndParameters = 6;

// The text of a platform file `original` with each fitted parameter's line replaced (or added
// under `chip:`), marked as fitted to `source`, with its documented range.
std::string fitted_platform_text(const std::string& original, const CalibrationResult& fit,
                                 const std::string& source);

}  // namespace podsim
