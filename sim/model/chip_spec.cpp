#include "sim/model/chip_spec.hpp"

namespace podsim {

namespace {
double padded(long long size, long long granule) {
  return static_cast<double>((size + granule - 1) / granule * granule);
}
}  // namespace

double mxu_shape_efficiency(const ChipSpec& chip, long long m, long long k, long long n) {
  if (m <= 0 || k <= 0 || n <= 0) return 1.0;  // no shape recorded: assume aligned
  return static_cast<double>(m) / padded(m, chip.mxu_row_granule) * static_cast<double>(k) /
         padded(k, chip.mxu_tile) * static_cast<double>(n) / padded(n, chip.mxu_tile);
}

}  // namespace podsim
