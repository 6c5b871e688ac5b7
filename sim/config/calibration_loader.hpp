#pragma once
// Reads a calibration file (scenarios/calibration/*.yaml). Two kinds:
//   end-to-end (the default): measured cases, each a scenario (model, chips or topology, phase,
//     batch, lengths, layouts, weights; model and topology may be given once at the top level
//     for every case) with its measured latency_s (prefill latency, or the whole decode) or
//     step_s (one decode step);
//   network (`kind: network`): collectives measured on some TPU (op, shape, wrap, axes, bytes,
//     the chip's link_bytes_per_s) with their measured_s.

#include <string>
#include <vector>

#include "sim/workload/calibration_case.hpp"

namespace podsim::config {

struct CalibrationFile {
  std::string path;
  std::string source;  // the publication the measurements come from
  bool network = false;
  std::vector<CalibrationCase> cases;          // end-to-end
  std::vector<NetworkCase> network_cases;      // network
};

// Loads the file; each case's scenario uses `platform_path`. Throws InputError with
// file:line:col for anything malformed (unknown keys, missing measurement, bad values).
CalibrationFile load_calibration(const std::string& path, const std::string& platform_path,
                                 const std::string& search_root);

}  // namespace podsim::config
