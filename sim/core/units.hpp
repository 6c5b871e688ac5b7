#pragma once
// Units of podsim. Every quantity is decimal SI and carries its unit in its type name or in its
// variable name (`_s`, `_bytes`, `_bytes_per_s`). The aliases document intent; arithmetic stays
// plain double / uint64 so that formulas read like the paper's.

#include <cstdint>

namespace podsim {

using Seconds = double;
using Bytes = std::uint64_t;         // payload sizes are whole bytes (SimGrid wants integers)
using BytesPerSecond = double;
using Flops = double;                // floating-point operations (a multiply-add counts as 2)
using FlopsPerSecond = double;

inline constexpr Bytes kKiB = 1024;
inline constexpr Bytes kMiB = 1024 * kKiB;
inline constexpr Bytes kGiB = 1024 * kMiB;

}  // namespace podsim
