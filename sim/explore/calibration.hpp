#pragma once
// Calibration of the chip model: the parameters a platform file marks as fitted are chosen to
// minimise the squared log errors of podsim against measured cases (least_squares.hpp). Log
// errors weigh a 0.03 s decode step and an 85 s prefill alike. A fit with more free parameters
// than cases is refused. Every simulation runs in a child process (simulate_trace's fast path).

#include <functional>
#include <string>
#include <vector>

#include "sim/workload/calibration_case.hpp"

namespace podsim {

// podsim's value of the case's metric under `chip`.
Seconds simulate_case(const CalibrationCase& c, const ChipSpec& chip);

struct CalibrationResult {
  std::vector<std::string> names;
  std::vector<double> values;            // fitted
  std::vector<Seconds> simulated_s;      // per case, with the fitted values
  double rms_log_error = 0;
  int evaluations = 0;
};

// Fits `names` (each in fittable_parameters()) starting from `chip`. Throws InputError (key
// `fit`) when there are more names than cases. `simulate` defaults to simulate_case. `progress`
// is told, after each iteration, its number, the rms log error and the evaluations so far.
using CalibrationProgress = std::function<void(int iteration, double rms_log_error, int evaluations)>;
CalibrationResult calibrate(
    const std::vector<CalibrationCase>& cases, const ChipSpec& chip,
    const std::vector<std::string>& names,
    const std::function<Seconds(const CalibrationCase&, const ChipSpec&)>& simulate = simulate_case,
    const CalibrationProgress& progress = {});

// The same result without fitting: `names` at their values in `chip`, every case simulated once.
CalibrationResult evaluate_calibration(
    const std::vector<CalibrationCase>& cases, const ChipSpec& chip,
    const std::vector<std::string>& names,
    const std::function<Seconds(const CalibrationCase&, const ChipSpec&)>& simulate = simulate_case);

// The text of a platform file `original` with each fitted parameter's line replaced (or added
// under `chip:`), marked as fitted to `source`.
std::string fitted_platform_text(const std::string& original, const CalibrationResult& fit,
                                 const std::string& source);

}  // namespace podsim
