#pragma once
// The pieces of calibration that are plain data: which chip-model parameters can be fitted (and
// how to read and write them), and a measured case. The fitting itself is in
// sim/explore/calibration.hpp (it simulates); the fittable fields come from the chip-field table
// (model/chip_spec.hpp).

#include <string>
#include <vector>

#include "sim/workload/scenario.hpp"

namespace podsim {

// The chip-model parameters podsim can fit (fittable_chip_fields(), chip_spec.hpp), and how each
// is kept in range while fitting.
const std::vector<std::string>& fittable_parameters();
double get_parameter(const ChipSpec& chip, const std::string& name);
void set_parameter(ChipSpec& chip, const std::string& name, double value);

// What a case measures: the prefill latency, the latency of all decode steps, or one decode step.
enum class CaseMetric { prefill_latency, decode_latency, decode_step };

struct CalibrationCase {
  std::string id;
  Scenario scenario;  // resolved, with the platform to be fitted
  CaseMetric metric = CaseMetric::prefill_latency;
  Seconds measured_s = 0;
};

// A fittable parameter: its ChipSpec member and its range, (0, 1] for fractions (fitted through
// a logistic map) or > 0 (fitted through exp), so that the fit is unconstrained. Made from the
// chip field table (chip_spec.hpp).
struct FittableParameter {
  std::string_view name;
  double ChipSpec::*field;
  bool fraction;
};
const FittableParameter& fittable_parameter(const std::string& name);  // requires a valid name
double to_free(const FittableParameter& p, double value);
double from_free(const FittableParameter& p, double x);

}  // namespace podsim
