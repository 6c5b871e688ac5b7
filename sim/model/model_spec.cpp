#include "sim/model/model_spec.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/checked_math.hpp"

namespace podsim {

std::string_view block_kind_name(BlockKind kind) {
  return kind == BlockKind::parallel ? "parallel" : "serial";
}

std::string_view activation_name(Activation kind) {
  return kind == Activation::swiglu ? "swiglu" : "gelu";
}

BlockKind parse_block_kind(std::string_view text, const std::string& key,
                           const SourceLocation& where) {
  if (text == "parallel") return BlockKind::parallel;
  if (text == "serial") return BlockKind::serial;
  throw InputError(where, key,
                   fmt::format("'{}' is not a block kind; use parallel or serial", text));
}

Activation parse_activation(std::string_view text, const std::string& key,
                            const SourceLocation& where) {
  if (text == "swiglu") return Activation::swiglu;
  if (text == "gelu") return Activation::gelu;
  throw InputError(where, key, fmt::format("'{}' is not an activation; use swiglu or gelu", text));
}

long long ModelSpec::heads_used(bool padded) const {
  return padded && padded_heads > 0 ? padded_heads : heads;
}

long long ModelSpec::kv_heads_used(bool padded) const {
  return kv_heads == heads ? heads_used(padded) : kv_heads;
}

double ModelSpec::layer_parameters(bool padded) const {
  const double e = double(d_model);
  const double q = double(d_head);
  return 2 * e * double(heads_used(padded)) * q + 2 * e * double(kv_heads_used(padded)) * q +
         double(ffn_matrices()) * e * double(d_ff);
}

double ModelSpec::embedding_parameters() const { return double(vocab) * double(d_model); }

double ModelSpec::parameters(bool padded) const {
  return double(layers) * layer_parameters(padded) + embedding_parameters();
}

Flops ModelSpec::matmul_flops_per_token(bool padded) const { return 2 * parameters(padded); }

Flops ModelSpec::attention_flops_per_token(long long context, bool padded) const {
  return double(layers) * 2 * 2 * double(heads_used(padded)) * double(d_head) * double(context);
}

Bytes ModelSpec::kv_cache_bytes_per_token(bool padded) const {
  return Bytes(2) * Bytes(kv_heads_used(padded)) * Bytes(d_head) * kBf16Bytes * Bytes(layers);
}

void validate_model(const ModelSpec& m, const std::string& key, const SourceLocation& where) {
  const auto positive = [&](long long v, std::string_view field) {
    if (v <= 0)
      throw InputError(where, key, fmt::format("{} must be at least 1, not {}", field, v));
  };
  positive(m.layers, "layers");
  positive(m.d_model, "d_model");
  positive(m.d_ff, "d_ff");
  positive(m.heads, "heads");
  positive(m.d_head, "d_head");
  positive(m.kv_heads, "kv_heads");
  positive(m.vocab, "vocab");
  if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0)
    throw InputError(
        where, key,
        fmt::format("kv_heads {} must divide heads {} (1 = multiquery, {} = multihead)", m.kv_heads,
                    m.heads, m.heads));
  // Grouped-query attention pads only the query heads: the padded heads must still form whole
  // groups of the (unpadded) K/V heads.
  if (m.kv_heads != 1 && m.kv_heads != m.heads && m.padded_heads != 0 &&
      m.padded_heads % m.kv_heads != 0)
    throw InputError(where, key,
                     fmt::format("padded_heads {} must be a multiple of kv_heads {} (grouped-query "
                                 "attention pads whole groups)",
                                 m.padded_heads, m.kv_heads));
  // Each dimension is bounded by its loader (2^24 for widths, 2^16 for counts), but their
  // products are not: 2^16 layers of 2^24 x 2^24 matrices are 2^64 parameters. Bound the total so
  // that weight sizes in bytes cannot wrap (core/checked_math.hpp).
  const double padded = double(std::max(m.padded_heads, m.heads));
  const double layer = 2 * double(m.d_model) * padded * double(m.d_head) +
                       2 * double(m.d_model) * double(m.kv_heads) * double(m.d_head) +
                       double(m.ffn_matrices()) * double(m.d_model) * double(m.d_ff);
  const double total = double(m.layers) * layer + m.embedding_parameters();
  if (total > double(kMaxSizeProduct))
    throw InputError(where, key,
                     fmt::format("has {:.3g} parameters, more than the 2^60 podsim counts in 64 "
                                 "bits; PaLM 540B has 5.4e11",
                                 total));
  if (m.pad_heads_from_chips < 0)
    throw InputError(where, key, "pad_heads_from_chips must not be negative");
  if (m.padded_heads != 0 && m.padded_heads < m.heads)
    throw InputError(where, key,
                     fmt::format("padded_heads {} is below heads {}; padding only adds heads",
                                 m.padded_heads, m.heads));
}

}  // namespace podsim
