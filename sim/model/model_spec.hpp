#pragma once
// ModelSpec: the shape of a decoder-only transformer (PaLM style), as read from workloads/*.yaml,
// and the counts derived from it: parameters, matmul FLOPs per token, attention FLOPs, KV-cache
// bytes. Counts are computed from the shape, never written down (platforms/README.md §2).
//
// Conventions: no biases, layer-norm scales are not counted (E per norm, under 0.001% of any
// model here), the embedding is shared with the unembedding and counted once (vocab x E).

#include <string>
#include <string_view>

#include "sim/core/input_error.hpp"
#include "sim/core/units.hpp"

namespace podsim {

// Parallel: attention and FFN read the same normalised input and their projections can be fused
// (PaLM). Serial: attention, then FFN, each with its own norm (GPT, Megatron-Turing NLG).
enum class BlockKind { parallel, serial };
// SwiGLU has three E x F matrices (gate, up, down); GeLU two (in, out).
enum class Activation { swiglu, gelu };

std::string_view block_kind_name(BlockKind kind);   // "parallel" | "serial"
std::string_view activation_name(Activation kind);  // "swiglu" | "gelu"
BlockKind parse_block_kind(std::string_view text, const std::string& key,
                           const SourceLocation& where = {});
Activation parse_activation(std::string_view text, const std::string& key,
                            const SourceLocation& where = {});

// Bytes of one bf16 element: activations, the KV cache and bf16 weights.
inline constexpr Bytes kBf16Bytes = 2;

struct ModelSpec {
  std::string name;         // "palm-540b"
  std::string source_file;  // where it was read from (for messages); may be empty
  long long layers = 0;
  long long d_model = 0;       // E
  long long d_ff = 0;          // F
  long long heads = 0;         // H, query heads
  long long padded_heads = 0;  // heads after padding for partitioning (0 = no padding offered)
  // Slices of at least this many chips use padded_heads whenever they are offered, as the paper
  // does for PaLM 540B on 64 chips and more (0 = pad only where the heads would not split).
  long long pad_heads_from_chips = 0;
  long long d_head = 0;    // Q in the paper's notation (the per-head width)
  long long kv_heads = 0;  // 1 = multiquery; == heads = multihead; else grouped (divides heads)
  long long vocab = 0;     // V
  BlockKind block = BlockKind::parallel;
  Activation activation = Activation::swiglu;

  bool multiquery() const { return kv_heads == 1 && heads > 1; }
  // Grouped-query attention: 1 < kv_heads < heads, each K/V head shared by heads / kv_heads.
  bool grouped() const { return kv_heads > 1 && kv_heads < heads; }
  // Query heads actually computed: padded_heads when `padded` (and padding is offered), else heads.
  long long heads_used(bool padded) const;
  // K/V heads actually computed: multihead models pad K/V with Q; multiquery and grouped keep
  // kv_heads (grouped padding adds query heads to the groups).
  long long kv_heads_used(bool padded) const;
  // Number of E x F matrices per layer: 3 for SwiGLU, 2 for GeLU.
  long long ffn_matrices() const { return activation == Activation::swiglu ? 3 : 2; }
  // Columns of the FFN input projection: gate and up for SwiGLU (2F), F for GeLU.
  long long ffn_in_width() const { return (ffn_matrices() - 1) * d_ff; }

  // Parameters of one transformer layer: 2 E H d_head (Q, O) + 2 E kv d_head (K, V) + m E F.
  double layer_parameters(bool padded = false) const;
  // The shared embedding, vocab x E.
  double embedding_parameters() const;
  // All parameters: layers x layer + embedding. `padded` counts the padded heads (the work the
  // chips do); MFU uses the unpadded count (platforms/README.md §2).
  double parameters(bool padded = false) const;
  // Matmul FLOPs per token through the whole model (every layer + unembedding), without
  // attention: 2 x parameters (a multiply-add is 2 FLOPs).
  Flops matmul_flops_per_token(bool padded = false) const;
  // Attention FLOPs per token of one full forward pass, all layers, for a token attending to
  // `context` positions: QK^T and AV, each 2 H d_head context per layer.
  Flops attention_flops_per_token(long long context, bool padded = false) const;
  // KV-cache bytes per token, all layers, before sharding: 2 (K and V) kv d_head x 2 B x layers
  // (platforms/README.md §3: PaLM 540B = 120,832 B).
  Bytes kv_cache_bytes_per_token(bool padded = false) const;
};

// Throws InputError (naming `key`, at `where`) for a shape that cannot be a model: non-positive
// sizes, kv_heads not dividing heads, padded_heads below heads or (grouped) not a multiple of
// kv_heads.
void validate_model(const ModelSpec& model, const std::string& key = "model",
                    const SourceLocation& where = {});

}  // namespace podsim
