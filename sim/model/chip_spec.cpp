#include "sim/model/chip_spec.hpp"

namespace podsim {

namespace {
double padded(long long size, long long granule) {
  return static_cast<double>((size + granule - 1) / granule * granule);
}
}  // namespace

const std::vector<ChipField>& chip_fields() {
  using C = ChipSpec;
  static const std::vector<ChipField> kFields = {
      {"name", &C::name, ChipRange::name, true},
      {"peak_flops_per_s", &C::peak_flops_per_s, ChipRange::positive, true},
      {"hbm_bytes", &C::hbm_bytes, ChipRange::size, true},
      {"hbm_bytes_per_s", &C::hbm_bytes_per_s, ChipRange::positive, true},
      {"ici_link_bytes_per_s", &C::ici_link_bytes_per_s, ChipRange::positive, true},
      {"ici_hop_latency_s", &C::ici_hop_latency_s, ChipRange::non_negative, true},
      // Read up to 64 so that a plausible other count gets the reason rather than a range error.
      {"ici_links", &C::ici_links, ChipRange::count, false, ChipFit::none, 64, 6,
       "podsim models a 3D torus with 6 links per chip"},
      // 4096: a sanity bound far above any systolic array (TPU v4's is 128, platforms/tpu-v4.yaml).
      {"mxu_tile", &C::mxu_tile, ChipRange::count, false, ChipFit::none, 4096},
      {"mxu_row_granule", &C::mxu_row_granule, ChipRange::count, false, ChipFit::none, 4096},
      {"mxu_efficiency", &C::mxu_efficiency, ChipRange::fraction, false, ChipFit::logistic},
      {"hbm_efficiency", &C::hbm_efficiency, ChipRange::fraction, false, ChipFit::logistic},
      {"ici_efficiency", &C::ici_efficiency, ChipRange::fraction, false, ChipFit::logistic},
      {"vector_flops_per_s", &C::vector_flops_per_s, ChipRange::non_negative, false},
      {"op_overhead_s", &C::op_overhead_s, ChipRange::non_negative, false, ChipFit::exp},
      {"collective_overhead_s", &C::collective_overhead_s, ChipRange::non_negative, false,
       ChipFit::exp},
  };
  return kFields;
}

std::vector<std::string_view> chip_field_keys() {
  std::vector<std::string_view> keys;
  for (const ChipField& f : chip_fields()) keys.push_back(f.key);
  return keys;
}

const ChipField* find_chip_field(std::string_view key) {
  for (const ChipField& f : chip_fields())
    if (f.key == key) return &f;
  return nullptr;
}

const std::vector<std::string>& fittable_chip_fields() {
  static const std::vector<std::string> kKeys = [] {
    std::vector<std::string> out;
    for (const ChipField& f : chip_fields())
      if (f.fit != ChipFit::none) out.emplace_back(f.key);
    return out;
  }();
  return kKeys;
}

double mxu_shape_efficiency(const ChipSpec& chip, long long m, long long k, long long n) {
  if (m <= 0 || k <= 0 || n <= 0) return 1.0;  // no shape recorded: assume aligned
  return static_cast<double>(m) / padded(m, chip.mxu_row_granule) * static_cast<double>(k) /
         padded(k, chip.mxu_tile) * static_cast<double>(n) / padded(n, chip.mxu_tile);
}

}  // namespace podsim
