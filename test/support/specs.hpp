#pragma once
// Specs the unit tests build by hand: the TPU v4 chip of platforms/README.md §1 (275e12 flop/s
// bf16,
// 32 GiB of HBM at 1.2e12 B/s, 45e9 B/s per ICI link direction, 1 us per hop) and collectives.

#include "sim/model/chip_spec.hpp"
#include "sim/partition/collective.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::test {

inline ChipSpec tpu_v4_chip() {
  ChipSpec chip;
  chip.name = "TPU v4";
  chip.peak_flops_per_s = 275e12;
  chip.hbm_bytes = 32 * kGiB;
  chip.hbm_bytes_per_s = 1.2e12;
  chip.ici_link_bytes_per_s = 45e9;
  chip.ici_hop_latency_s = 1e-6;
  return chip;
}

inline TorusShape shape_of(const char* text) { return parse_shape(text, "shape"); }

inline CollectiveSpec collective_spec(CollectiveKind kind, const char* axes, Bytes bytes,
                                      RingAlgorithm algorithm = RingAlgorithm::automatic,
                                      MultiAxis multi = MultiAxis::concurrent) {
  CollectiveSpec spec;
  spec.kind = kind;
  spec.axes = parse_axes(axes, "axes");
  spec.bytes = bytes;
  spec.algorithm = algorithm;
  spec.multi_axis = multi;
  return spec;
}

}  // namespace podsim::test
