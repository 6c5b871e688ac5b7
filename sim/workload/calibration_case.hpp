#pragma once
// The pieces of calibration that are plain data: which chip-model parameters can be fitted (and
// how to read and write them), and a measured case. The fitting itself is in
// sim/explore/calibration.hpp (it simulates); the fittable fields come from the chip-field table
// (model/chip_spec.hpp).

#include <string>
#include <vector>

#include "sim/partition/collective.hpp"
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
  std::string source;  // the publication the measurement comes from
  Scenario scenario;  // resolved, with the platform to be fitted
  CaseMetric metric = CaseMetric::prefill_latency;
  Seconds measured_s = 0;
};

// A network measurement (platforms/README.md §7): one collective on a slice of some TPU, with that chip's
// link rate, and its measured time. The network sub-model (ici_efficiency,
// ici_message_overhead_s, collective_overhead_s) is fitted to these, not to end-to-end latencies.
struct NetworkCase {
  std::string id;
  std::string source;
  TorusShape shape;
  CollectiveSpec spec;
  BytesPerSecond link_bytes_per_s = 0;  // one direction of one link of the measured chip
  Seconds measured_s = 0;
};

// A fittable parameter: its ChipSpec member and its documented range [min, max] (ChipPrior in
// the chip field table, chip_spec.hpp), fitted through a logistic map onto that range so that the
// fit is unconstrained and can never leave the range.
struct FittableParameter {
  std::string_view name;
  double ChipSpec::*field;
  double min;
  double max;
  std::string_view source;  // of the range
};
const FittableParameter& fittable_parameter(const std::string& name);  // requires a valid name
double to_free(const FittableParameter& p, double value);
double from_free(const FittableParameter& p, double x);

}  // namespace podsim
