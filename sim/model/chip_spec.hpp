#pragma once
// ChipSpec: one accelerator chip and its interconnect links, as read from platforms/*.yaml.
// Platform: the chip plus the slice shapes used when a scenario gives only a chip count.
// Every value's source is cited in the platform file; no number is defaulted here.

#include <array>
#include <map>
#include <string>

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
};

struct Platform {
  std::string name;         // "tpu-v4"
  std::string source_file;  // where it was read from (for messages)
  ChipSpec chip;
  std::map<int, std::array<int, 3>> slice_dims;  // chip count -> XxYxZ
};

}  // namespace podsim
