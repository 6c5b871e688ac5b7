#pragma once
// Reads a calibration file (scenarios/calibration/*.yaml): measured cases of one model on one
// slice, each a scenario (phase, batch, lengths, layouts, weights) with its measured latency_s
// (prefill latency, or the whole decode) or step_s (one decode step).

#include <string>
#include <vector>

#include "sim/workload/calibration_case.hpp"

namespace podsim::config {

struct CalibrationFile {
  std::string source;  // the publication the measurements come from
  std::vector<CalibrationCase> cases;
};

// Loads the file; each case's scenario uses `platform_path`. Throws InputError with
// file:line:col for anything malformed (unknown keys, missing measurement, bad values).
CalibrationFile load_calibration(const std::string& path, const std::string& platform_path,
                                 const std::string& search_root);

}  // namespace podsim::config
