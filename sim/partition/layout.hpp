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
//
// Residual batch axes. Where d_model does not divide over the residual stream's E axes (PaLM
// 540B's E = 18432 = 2^11 x 9 over the 4096 chips of 16x16x16), a set R of axes carries the batch
// instead of E, as the authors' code does (google-research scaling_transformer_inference_
// efficiency, benchmarks.py: residual_embed_sharding = x.y, residual_batch_sharding = z). Then
//   residual  B_{batch + R} L E_{residual_e - R}           (R \ batch is a subset of gather_in)
//   embedding table V_R E_{xyz - R}, the lookup giving BLE_{xyz - R} {partialsum-R}
// The all-gather over gather_in then gathers B over R and E over the rest, the reduce-scatter
// back scatters them the same way: the same per-chip bytes as with R empty, and the same residual
// elements per chip. R is chosen per scenario (choose_residual_batch) from the table's
// `residual_batch` column, and is empty wherever E divides: those scenarios are unchanged.
//
// Token split (weight-gathered layouts at small batch; paper §3.2.3 and Figure 2/3 write the
// prefill activations B_xyz L E; with B too small to split, the rows split over L instead,
// B L_xyz E). Where the batch does not divide over the layout's batch axes, a set S of them
// (choose_token_axes) carries the tokens of every sequence instead: the projections' rows
// B_{batch} L become B_{batch - S} L_S, the same B L / |batch| rows per chip, so every einsum and
// collective of the feed-forward part keeps its size. Only attention sees the difference: a
// chip's queries are a part of each sequence, and causal attention needs the K/V of the earlier
// positions, which live on other chips. They are all-gathered over the attention's token axes
// before the attention core (all-gather context parallelism as in Llama 3, Dubey et al., arXiv
// 2407.21783, §3.3.2: "we first all-gather the K and V tensors, and then compute attention
// output for the local query tensor chunk"; cheap where K/V are few heads, multiquery or
// grouped). The positions are assigned zig-zag, as there: the sequence is cut into 2 |S| chunks
// and chip i of the token group holds chunks i and 2 |S| - 1 - i, so each chip's causal share
// of QK^T is the same (chunk c attends to c + 1/2 chunks on average; i + (2|S| - 1 - i) is the
// same for every i). podsim counts the full L x L in prefill anyway (causal masking skips no work
// in the paper's implementation, step_generator.hpp), so per-chip attention work is the same
// either way. Decode steps have one new token per sequence and are never token-split. The KV
// cache a token-split prefill leaves is each chip's own positions, B_{batch - S} T_S Q (the
// gathered K/V are a per-layer working buffer).

#include <array>
#include <optional>
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
  // Axes that may carry the batch instead of E in the residual stream and the embedding table
  // where E does not divide, in the order they are taken (the authors take z first). Each is in
  // gather_in (the residual's E axes the input all-gather covers) or in `batch`.
  std::string_view residual_batch;
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
  AxisSet batch;       // B_{batch} of the einsums' activations
  // Residual stream B_{residual_b} L E_{residual_e}: residual_b = batch + R, residual_e = the
  // table's residual E axes - R (R = residual_batch, empty where E divides).
  AxisSet residual_batch;  // R
  AxisSet residual_b;
  AxisSet residual_e;
  // Embedding table (shared with the unembedding) V_{embed_v} E_{embed_e}: V over R, E over the
  // other axes (VE_xyz when R is empty).
  AxisSet embed_v, embed_e;
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

  // Token split (S above; empty otherwise): the axes of `batch` that carry L instead of B in the
  // projections and the residual stream, and those of `attn_batch` that carry it in the
  // attention core (S for heads-sharded attention; S and the columns for batch-sharded, whose
  // all-to-all then moves Q from heads to tokens). The K/V all-gather runs over attn_tokens.
  AxisSet tokens;
  AxisSet attn_tokens;
  bool token_split() const { return !tokens.empty(); }
};

// `residual_batch` (R) must be a subset of the row's `residual_batch` column; `tokens` (S) a
// subset of its batch axes, and not both non-empty.
Sharding sharding_for(FfnLayout layout, AttnSharding attention, const AxisSet& residual_batch = {},
                      const AxisSet& tokens = {});

// The token axes S of `layout` on `shape` for a batch of `batch` sequences: empty when the batch
// divides over the layout's batch axes (axes of size 1 ignored); otherwise the subset of them
// with the fewest chips such that the batch divides over the others (ties: z before y before x,
// as the residual batch axes; the whole set always qualifies). Whether the tokens divide is
// sharding_problem's to check (workload/scenario.hpp).
AxisSet choose_token_axes(FfnLayout layout, const TorusShape& shape, long long batch);

// The residual batch axes R of `layout` on `shape` for a model of `d_model` and a batch of
// `batch` sequences: empty when E divides over the residual stream's E axes and over every chip
// (the embedding table); otherwise the first non-empty subset of the row's `residual_batch`
// column (fewest chips first, then the column's order; axes of size 1 are never taken) that
// makes E divide over both residual_e - R and xyz - R and whose batch axes batch + R divide the
// batch; failing the batch, the first that makes E divide. std::nullopt when no subset makes E
// divide.
std::optional<AxisSet> choose_residual_batch(FfnLayout layout, const TorusShape& shape,
                                             long long d_model, long long batch);

// How the K/V heads of attention shard (paper §3.3 for multiquery; grouped-query attention,
// Ainslie et al., arXiv 2305.13245, generalises it to G K/V heads of H/G query heads each).
//  - fused: the K/V columns join the input einsum and split like Q over `columns` (multihead
//    always; grouped where the K/V heads divide over the columns for head-sharded attention, or
//    their columns G x d_head do for batch-sharded attention).
//  - otherwise (multiquery, and grouped where they do not divide) a K/V projection of its own:
//    its weight E_{e_used} x (G / |split|) heads, the K/V heads split over `split` (the largest
//    subset of f_used whose chip count divides G; empty for batch-sharded attention, whose chips
//    need every head of their sequences) and replicated in groups over the rest of the columns.
//    The query heads are laid out with the split axes most significant, so a chip's query heads
//    fall in its group's K/V heads.
struct KvHeads {
  bool fused = false;
  AxisSet split;            // not fused: axes the K/V heads split over in the projection
  long long projected = 0;  // not fused: K/V heads each chip projects (G / |split|)
  long long attended = 0;   // K/V heads each chip caches and reads in the attention core
};
// `heads` and `kv_heads` as computed (padded where the scenario pads); d_head is Q.
KvHeads kv_heads_for(const Sharding& sharding, const TorusShape& shape, long long heads,
                     long long kv_heads, long long d_head);

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
