#pragma once
// Partitioning layouts of the paper (Pope et al., arXiv 2211.05102, §3.2 and Figure 2;
// platforms/README.md
// §3) as ONE table from layout to the sharding of every weight and activation of a transformer
// block and the mesh axes of its collectives. The trace generator reads these axis sets and
// never branches on the layout's name.
//
// Notation (the paper's): a tensor's dimensions are letters (B batch, L tokens of this pass,
// E d_model, F d_ff, H heads, Q d_head, T attended positions, V vocab), each followed by the
// mesh axes it is split over: `BLE_xyz` splits E over x, y and z; `E_xF_yz` splits E over x and
// F over y and z; `{partialsum-x}` marks a tensor that still needs a sum over x.
//
// The block of every layout has the same skeleton (from the paper's data flows):
//   residual B_{batch} L E_{residual}
//   -> all-gather(gather_in)      -> B L E_{e_used}                (gather_in = residual \ e_used)
//   -> einsum with E_{e_used} F_{f_used}  -> B L F_{f_used} {partialsum-e_used}
//   -> reduce-scatter(e_used)     -> B L F_{f_used + e_used}       (the "middle" axes)
//   -> activation / attention on the local columns
//   -> all-gather(e_used)         -> B L F_{f_used}
//   -> einsum with F_{f_used} E_{e_used}  -> B L E_{e_used} {partialsum-f_used}
//   -> reduce-scatter(f_used)     -> residual sharding again
// and the weight-gathered layouts first all-gather the stored weights E_x F_yz over
// `weight_gather` into E_{e_used} F_{f_used} just before each einsum.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/input_error.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

enum class FfnLayout { ws_1d, ws_2d, wg_x, wg_xy, wg_xyz };
// Multiquery attention sharded over heads (K/V replicated) or over batch (with all-to-alls).
enum class AttnSharding { heads, batch };

inline constexpr std::array<FfnLayout, 5> kFfnLayouts = {
    FfnLayout::ws_1d, FfnLayout::ws_2d, FfnLayout::wg_x, FfnLayout::wg_xy, FfnLayout::wg_xyz};

std::string_view ffn_layout_name(FfnLayout layout);      // "ws-1d", ...
std::string_view attn_sharding_name(AttnSharding attn);  // "heads" | "batch"
// Throw InputError naming `key`, suggesting the closest valid name.
FfnLayout parse_ffn_layout(std::string_view text, const std::string& key,
                           const SourceLocation& where = {});
AttnSharding parse_attn_sharding(std::string_view text, const std::string& key,
                                 const SourceLocation& where = {});
const std::vector<std::string>& ffn_layout_names();

// One row of the layout table. Axis sets are given as text ("xyz", "yz", "") in the table and
// parsed once.
struct LayoutRule {
  FfnLayout layout;
  std::string_view name;
  std::string_view weight_e_stored;  // E of the stored weights W_in (E x F) and W_out (F x E)
  std::string_view weight_f_stored;  // F of the stored weights
  std::string_view weight_gather;    // axes the weights are all-gathered over before use
  std::string_view batch;            // axes the batch of the block's activations is split over
  std::string_view residual_e;       // axes E of the residual stream is split over
  std::string_view summary;          // one line for humans
};

// The table itself (paper §3.2; platforms/README.md §3 "Data flow of one feed-forward block per
// layout").
const std::vector<LayoutRule>& layout_table();
const LayoutRule& layout_rule(FfnLayout layout);

// Everything a trace generator needs about a (layout, attention) pair, as axis sets. Derived from
// the table row by the skeleton above; `attention` adds the attention rows (paper §3.3,
// Figure 5; platforms/README.md §3).
struct Sharding {
  FfnLayout layout;
  AttnSharding attention;

  // Weights.
  AxisSet weight_e_stored, weight_f_stored;  // stored W_in = E_{e}F_{f}, W_out = F_{f}E_{e}
  AxisSet weight_gather;                     // all-gathered over these before each einsum
  AxisSet e_used, f_used;                    // sharding of the weights inside the einsums
  // Multiquery K/V projection weight (E x Q each): E split like the used weights' E, stored
  // E_{weight_e_stored} and gathered over weight_gather ∩ weight_e_stored; replicated over the
  // other axes (a single head cannot be split over heads).
  AxisSet kv_weight_gather;

  // Activations of the feed-forward / projection part.
  AxisSet batch;       // B_{batch}
  AxisSet residual_e;  // residual stream B_{batch} L E_{residual_e}
  AxisSet gather_in;   // all-gather before the input einsum, reduce-scatter after the output one
  AxisSet middle;      // reduce-scatter after the input einsum and all-gather before the output
                       // one (= e_used)
  AxisSet columns;     // axes the F / head columns are split over between them (f_used + e_used)

  // Attention (multiquery K/V: one head).
  AxisSet attn_batch;  // batch axes of the attention core: `batch` (heads) or xyz (batch)
  AxisSet attn_heads;  // axes the query heads are split over in the attention core
  AxisSet all_to_all;  // all-to-all axes moving Q (and the output back): `columns` for batch
  // K/V projection of multiquery attention: batch split of its einsum (beyond `batch`), the
  // axes it computes redundantly, and how its partial sum over `e_used` is resolved.
  AxisSet kv_batch_split;  // batch sharding: f_used (each chip projects only its sequences)
  AxisSet kv_replicated;   // heads sharding: f_used (every chip needs every sequence's K/V)
  bool kv_all_reduce;      // heads: all-reduce over e_used; batch: reduce-scatter over e_used
};

Sharding sharding_for(FfnLayout layout, AttnSharding attention);

// Set operations on axis sets.
AxisSet axes_union(const AxisSet& a, const AxisSet& b);
AxisSet axes_minus(const AxisSet& a, const AxisSet& b);
AxisSet axes_intersection(const AxisSet& a, const AxisSet& b);
AxisSet all_axes();
// Number of chips spanned by `axes` on `shape` (1 for the empty set).
long long axes_size(const AxisSet& axes, const TorusShape& shape);
// `axes` without the axes of size 1 on `shape` (a collective over them is a no-op).
AxisSet nontrivial_axes(const AxisSet& axes, const TorusShape& shape);

// The paper's notation for one tensor: `dims` are dimension letters, `split` gives for each
// letter the axes it is split over. tensor_notation("BLE", {{'E', yz}}) == "BLE_yz".
struct DimSplit {
  char dim;
  AxisSet axes;
};
std::string tensor_notation(std::string_view dims, const std::vector<DimSplit>& split);

// A multi-line human-readable table of every layout's shardings (for `podsim layouts` and docs).
std::string describe_layouts();

}  // namespace podsim
