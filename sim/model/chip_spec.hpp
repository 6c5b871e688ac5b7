#pragma once
// ChipSpec: one accelerator chip and its interconnect links, as read from platforms/*.yaml.
// Platform: the chip plus the slice shapes used when a scenario gives only a chip count.
// Every value's source is cited in the platform file; no number is defaulted here.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/core/units.hpp"

namespace podsim {

struct ChipSpec {
  std::string name;                          // "TPU v4"
  FlopsPerSecond peak_flops_per_s = 0;       // bf16 matmul peak of the whole chip
  Bytes hbm_bytes = 0;                       // HBM capacity
  BytesPerSecond hbm_bytes_per_s = 0;        // HBM bandwidth
  BytesPerSecond ici_link_bytes_per_s = 0;   // one direction of one ICI link
  Seconds ici_hop_latency_s = 0;             // per hop a transfer traverses
  int ici_links = 6;                         // +x, -x, +y, -y, +z, -z

  // Terms of the chip model beyond the roofline (FACTS.md §5). Defaults make a plain roofline.
  int mxu_tile = 128;                  // systolic array side: K and N are padded to it
  int mxu_row_granule = 8;             // M is processed in groups of this many rows
  double mxu_efficiency = 1.0;         // achieved fraction of peak on large aligned matmuls
  double hbm_efficiency = 1.0;         // achieved fraction of HBM bandwidth
  double ici_efficiency = 1.0;         // achieved fraction of ICI link bandwidth
  FlopsPerSecond vector_flops_per_s = 0;  // vector unit (norms, activations, softmax, dequant);
                                          // 0 = element-wise work is free beyond its HBM traffic
  Seconds op_overhead_s = 0;           // fixed cost of every einsum and element-wise op
  Seconds collective_overhead_s = 0;   // fixed cost of every collective (launch, synchronisation)
};

// Fraction of the MXU doing useful work on one M x K x N matmul: K and N padded to the systolic
// tile, M to the row granule (e.g. a decode matmul with few rows per chip wastes most of it).
double mxu_shape_efficiency(const ChipSpec& chip, long long m, long long k, long long n);

// One field of a chip as the platform YAML and the trace JSON spell it, with the range of values
// that a real accelerator can have. A value outside [min, max] is refused with a reason: such a
// value is almost always a unit slip (275 for 275e12 FLOP/s), and SimGrid would otherwise run it
// into a deadlock, a non-finite clock or a result that looks valid (issue 14).
struct ChipField {
  const char* key;                      // "peak_flops_per_s"
  double (*get)(const ChipSpec& chip);  // the field's value, as a double
  bool zero_means_off;                  // 0 is allowed and switches the term off
  double min;                           // smallest plausible value (above 0 when zero is off)
  double max;                           // largest plausible value
  const char* unit;                     // "FLOP/s", "B", "B/s", "s" or "" for a pure number
  const char* why_min;                  // the source of `min`, for the message
  const char* why_max;                  // the source of `max`
  int slip_exponent;                    // a likely unit slip: suggest value x 10^this (0: none)
};

// Every chip field, in the order of the platform file (name excluded: it is free text).
const std::vector<ChipField>& chip_fields();

// The reason `value` is implausible for `field` ("275 is below 1e12 FLOP/s, ...; did you mean
// 275e12?"), or nothing when it is within range. Requires a finite value (the loaders refuse NaN
// and infinities first, with their own messages).
std::optional<std::string> implausible(const ChipField& field, double value);

struct Platform {
  std::string name;         // "tpu-v4"
  std::string source_file;  // where it was read from (for messages)
  ChipSpec chip;
  std::map<int, std::array<int, 3>> slice_dims;  // chip count -> XxYxZ
  std::vector<std::string> fitted;  // chip parameters `podsim calibrate` may fit (`fit:` list)
};

}  // namespace podsim
