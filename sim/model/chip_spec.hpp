#pragma once
// ChipSpec: one accelerator chip and its interconnect links, as read from platforms/*.yaml.
// Platform: the chip plus the slice shapes used when a scenario gives only a chip count.
// Every value's source is cited in the platform file; no number is defaulted here.

#include <array>
#include <map>
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

  // What the chip achieves: a peak times its efficiency, in this order (peak * efficiency) so
  // that every caller gets the same bits.
  FlopsPerSecond effective_peak_flops_per_s() const { return peak_flops_per_s * mxu_efficiency; }
  BytesPerSecond effective_hbm_bytes_per_s() const { return hbm_bytes_per_s * hbm_efficiency; }
  BytesPerSecond effective_ici_link_bytes_per_s() const {
    return ici_link_bytes_per_s * ici_efficiency;
  }
};

// Fraction of the MXU doing useful work on one M x K x N matmul: K and N padded to the systolic
// tile, M to the row granule (e.g. a decode matmul with few rows per chip wastes most of it).
double mxu_shape_efficiency(const ChipSpec& chip, long long m, long long k, long long n);

struct Platform {
  std::string name;         // "tpu-v4"
  std::string source_file;  // where it was read from (for messages)
  ChipSpec chip;
  std::map<int, std::array<int, 3>> slice_dims;  // chip count -> XxYxZ
  std::vector<std::string> fitted;  // chip parameters `podsim calibrate` may fit (`fit:` list)
};

}  // namespace podsim
