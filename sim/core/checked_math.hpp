#pragma once
// Products of sizes (elements, bytes, tasks) that must never wrap around 2^64: a wrapped product
// looks like a small, valid size (a KV cache of 2^64 B shown as 0.00 GiB, issue 14). Callers turn
// an overflow into an InputError naming the key that made the product large.

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace podsim {

// The largest product of element counts podsim accepts. 2^60 elements are 2^61 bytes in bf16, so
// that the sums of a few such sizes (weights + KV cache + activations) stay below 2^63 as well;
// the largest real model here, PaLM 540B, has 5.4e11 < 2^40 parameters (arXiv 2211.05102).
inline constexpr std::uint64_t kMaxSizeProduct = 1ULL << 60;

// The product of `factors`, or nothing when it exceeds `limit` (each factor is taken as given; a
// negative count is the caller's bug, not an overflow).
inline std::optional<std::uint64_t> product_within(std::initializer_list<std::uint64_t> factors,
                                                   std::uint64_t limit = kMaxSizeProduct) {
  std::uint64_t product = 1;
  for (const std::uint64_t f : factors)
    if (__builtin_mul_overflow(product, f, &product) || product > limit) return std::nullopt;
  return product;
}

}  // namespace podsim
