#include "sim/partition/layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "sim/core/check.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

namespace {

// The layout table. Columns: stored weight sharding (E, F), weight all-gather axes, batch axes,
// residual E axes and residual batch axes. Sources: paper §3.2.1-3.2.3 and Figure 2; platforms/README.md §3.
//  - ws-1d (Megatron): W_in E F_xyz, W_out F_xyz E; residual BLE_xyz.
//  - ws-2d: W_in E_x F_yz, W_out F_yz E_x; residual BLE_xyz.
//  - wg-x / wg-xy / wg-xyz: weights stored E_x F_yz and all-gathered over x, xy, xyz; the batch
//    is split over the gathered axes and E of the residual over the others (B_xy L E_z for xy).
// Residual batch axes (used only where E does not divide; see layout.hpp): z first, as the
// authors' 2D weight-stationary benchmark (residual_batch_sharding = z, residual_embed_sharding
// = x.y in google-research scaling_transformer_inference_efficiency, benchmarks.py), then the
// other axes of gather_in. Weight-gathered layouts first take their batch axes, which leaves
// the residual stream as it is and moves only the embedding table's split.
const std::vector<LayoutRule> kLayoutTable = {
    {FfnLayout::ws_1d, "ws-1d", "", "xyz", "", "", "xyz", "zyx",
     "1D weight-stationary (Megatron): weights split over F on all chips"},
    {FfnLayout::ws_2d, "ws-2d", "x", "yz", "", "", "xyz", "zy",
     "2D weight-stationary: weights split over E on x and F on yz"},
    {FfnLayout::wg_x, "wg-x", "x", "yz", "x", "x", "yz", "xzy",
     "weight-gathered over x: batch split over x"},
    {FfnLayout::wg_xy, "wg-xy", "x", "yz", "xy", "xy", "z", "xyz",
     "weight-gathered over xy: batch split over xy"},
    {FfnLayout::wg_xyz, "wg-xyz", "x", "yz", "xyz", "xyz", "", "xyz",
     "weight-gathered over xyz: batch split over all chips, weights fully gathered"},
};

// The axes of a column in the column's order ("zy" -> z, y).
std::vector<Axis> ordered_axes(std::string_view text) {
  std::vector<Axis> out;
  for (char c : text) {
    PODSIM_CHECK(c == 'x' || c == 'y' || c == 'z', "bad axis '{}' in the layout table", c);
    out.push_back(c == 'x' ? Axis::x : c == 'y' ? Axis::y : Axis::z);
  }
  return out;
}

AxisSet axes_of(std::string_view text) {
  if (text.empty()) return AxisSet{};
  return parse_axes(text, "layout table");
}

}  // namespace

std::string_view ffn_layout_name(FfnLayout layout) { return layout_rule(layout).name; }

std::string_view attn_sharding_name(AttnSharding attn) {
  return attn == AttnSharding::heads ? "heads" : "batch";
}

const std::vector<std::string>& ffn_layout_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& row : kLayoutTable) v.emplace_back(row.name);
    return v;
  }();
  return names;
}

FfnLayout parse_ffn_layout(std::string_view text, const std::string& key,
                           const SourceLocation& where) {
  for (const auto& row : kLayoutTable)
    if (row.name == text) return row.layout;
  std::string hint;
  if (auto close = closest_match(text, ffn_layout_names()))
    hint = fmt::format("did you mean '{}'? ", *close);
  throw InputError(where, key,
                   fmt::format("unknown layout '{}'; {}layouts are {}", text, hint,
                               fmt::join(ffn_layout_names(), ", ")));
}

AttnSharding parse_attn_sharding(std::string_view text, const std::string& key,
                                 const SourceLocation& where) {
  if (text == "heads") return AttnSharding::heads;
  if (text == "batch") return AttnSharding::batch;
  throw InputError(where, key,
                   fmt::format("unknown attention sharding '{}'; use heads (multiquery K/V "
                               "replicated, heads split) or batch (sequences split, all-to-alls)",
                               text));
}

const std::vector<LayoutRule>& layout_table() { return kLayoutTable; }

const LayoutRule& layout_rule(FfnLayout layout) {
  for (const auto& row : kLayoutTable)
    if (row.layout == layout) return row;
  PODSIM_CHECK(false, "layout {} missing from the layout table", static_cast<int>(layout));
  std::abort();
}

AxisSet axes_union(const AxisSet& a, const AxisSet& b) {
  AxisSet r;
  for (int i = 0; i < 3; ++i) r.has[i] = a.has[i] || b.has[i];
  return r;
}

AxisSet axes_minus(const AxisSet& a, const AxisSet& b) {
  AxisSet r;
  for (int i = 0; i < 3; ++i) r.has[i] = a.has[i] && !b.has[i];
  return r;
}

AxisSet axes_intersection(const AxisSet& a, const AxisSet& b) {
  AxisSet r;
  for (int i = 0; i < 3; ++i) r.has[i] = a.has[i] && b.has[i];
  return r;
}

AxisSet all_axes() { return AxisSet{{true, true, true}}; }

long long axes_size(const AxisSet& axes, const TorusShape& shape) {
  long long n = 1;
  for (Axis a : axes.axes()) n *= shape.size(a);
  return n;
}

AxisSet nontrivial_axes(const AxisSet& axes, const TorusShape& shape) {
  AxisSet r;
  for (Axis a : axes.axes()) r.has[static_cast<int>(a)] = shape.size(a) > 1;
  return r;
}

Sharding sharding_for(FfnLayout layout, AttnSharding attention, const AxisSet& residual_batch,
                      const AxisSet& tokens) {
  const LayoutRule& row = layout_rule(layout);
  PODSIM_CHECK(axes_minus(residual_batch, axes_of(row.residual_batch)).empty(),
               "residual batch axes {} are not in {}'s residual_batch column",
               residual_batch.name(), row.name);
  PODSIM_CHECK(axes_minus(tokens, axes_of(row.batch)).empty(),
               "token axes {} are not batch axes of {}", tokens.name(), row.name);
  PODSIM_CHECK(tokens.empty() || residual_batch.empty(),
               "{}: token axes and residual batch axes together", row.name);
  Sharding s;
  s.layout = layout;
  s.attention = attention;
  s.weight_e_stored = axes_of(row.weight_e_stored);
  s.weight_f_stored = axes_of(row.weight_f_stored);
  s.weight_gather = axes_of(row.weight_gather);
  s.e_used = axes_minus(s.weight_e_stored, s.weight_gather);
  s.f_used = axes_minus(s.weight_f_stored, s.weight_gather);
  s.kv_weight_gather = axes_intersection(s.weight_gather, s.weight_e_stored);
  s.batch = axes_of(row.batch);
  const AxisSet table_residual_e = axes_of(row.residual_e);
  s.gather_in = axes_minus(table_residual_e, s.e_used);
  PODSIM_CHECK(axes_minus(residual_batch, axes_union(s.gather_in, s.batch)).empty(),
               "{}: residual batch axes must be gathered by the input all-gather or carry the "
               "batch already",
               row.name);
  s.residual_batch = residual_batch;
  s.residual_b = axes_union(s.batch, residual_batch);
  s.residual_e = axes_minus(table_residual_e, residual_batch);
  s.embed_v = residual_batch;
  s.embed_e = axes_minus(all_axes(), residual_batch);
  s.middle = s.e_used;
  s.columns = axes_union(s.f_used, s.e_used);

  // Attention rows (paper §3.3, Figure 5): heads keeps the projection's sharding (heads over
  // `columns`, batch over `batch`, K/V replicated over `columns`); batch moves Q with an
  // all-to-all over `columns` so that every chip holds whole sequences of B / n.
  const bool by_batch = attention == AttnSharding::batch;
  s.attn_batch = by_batch ? all_axes() : s.batch;
  s.attn_heads = by_batch ? AxisSet{} : s.columns;
  s.all_to_all = by_batch ? s.columns : AxisSet{};
  s.kv_batch_split = by_batch ? s.f_used : AxisSet{};
  s.kv_replicated = by_batch ? AxisSet{} : s.f_used;
  s.kv_all_reduce = !by_batch;
  // Token split (layout.hpp): heads-sharded attention keeps the projections' token axes,
  // batch-sharded attention's all-to-all over the columns moves Q to tokens as well.
  s.tokens = tokens;
  s.attn_tokens = tokens.empty() ? AxisSet{} : by_batch ? axes_union(tokens, s.columns) : tokens;
  return s;
}

AxisSet choose_token_axes(FfnLayout layout, const TorusShape& shape, long long batch) {
  const AxisSet batch_axes = nontrivial_axes(axes_of(layout_rule(layout).batch), shape);
  if (batch % axes_size(batch_axes, shape) == 0) return AxisSet{};
  // The non-empty subsets, fewest chips first, then z before y before x (compared as the list
  // of positions in "zyx").
  const std::vector<Axis> order = ordered_axes("zyx");
  std::optional<AxisSet> best;
  long long best_chips = 0;
  std::vector<int> best_positions;
  for (unsigned mask = 1; mask < 8; ++mask) {
    AxisSet sub;
    std::vector<int> positions;
    for (int i = 0; i < 3; ++i)
      if (mask & (1u << i)) {
        sub.has[static_cast<int>(order[i])] = true;
        positions.push_back(i);
      }
    if (!axes_minus(sub, batch_axes).empty()) continue;
    if (batch % axes_size(axes_minus(batch_axes, sub), shape) != 0) continue;
    const long long chips = axes_size(sub, shape);
    if (!best || chips < best_chips || (chips == best_chips && positions < best_positions)) {
      best = sub;
      best_chips = chips;
      best_positions = positions;
    }
  }
  PODSIM_CHECK(best.has_value(), "the whole batch axes always leave the batch on one chip");
  return *best;
}

std::optional<AxisSet> choose_residual_batch(FfnLayout layout, const TorusShape& shape,
                                             long long d_model, long long batch) {
  const LayoutRule& row = layout_rule(layout);
  const Sharding base = sharding_for(layout, AttnSharding::heads);
  const auto e_divides = [&](const AxisSet& r) {
    return d_model % axes_size(axes_minus(base.residual_e, r), shape) == 0 &&
           d_model % axes_size(axes_minus(all_axes(), r), shape) == 0;
  };
  if (e_divides(AxisSet{})) return AxisSet{};
  // The non-empty subsets of the column's axes of size > 1, fewest chips first, then by the
  // column's order (compared as the list of positions in the column).
  const std::vector<Axis> column = ordered_axes(row.residual_batch);
  struct Candidate {
    AxisSet axes;
    long long chips;
    std::vector<int> positions;
  };
  std::vector<Candidate> candidates;
  for (unsigned mask = 1; mask < (1u << column.size()); ++mask) {
    Candidate c{AxisSet{}, 1, {}};
    bool trivial = false;
    for (int i = 0; i < static_cast<int>(column.size()); ++i)
      if (mask & (1u << i)) {
        c.axes.has[static_cast<int>(column[i])] = true;
        c.chips *= shape.size(column[i]);
        c.positions.push_back(i);
        trivial = trivial || shape.size(column[i]) == 1;
      }
    if (!trivial) candidates.push_back(std::move(c));
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.chips != b.chips ? a.chips < b.chips : a.positions < b.positions;
  });
  std::optional<AxisSet> first;
  for (const Candidate& c : candidates) {
    if (!e_divides(c.axes)) continue;
    if (batch % axes_size(axes_union(base.batch, c.axes), shape) == 0) return c.axes;
    if (!first) first = c.axes;
  }
  return first;
}

KvHeads kv_heads_for(const Sharding& s, const TorusShape& shape, long long heads,
                     long long kv_heads, long long d_head) {
  PODSIM_CHECK(heads >= 1 && kv_heads >= 1 && heads % kv_heads == 0,
               "kv_heads {} must divide heads {}", kv_heads, heads);
  KvHeads kv;
  const long long cols = axes_size(s.columns, shape);
  const bool multiquery = kv_heads == 1 && heads > 1;
  const bool by_batch = s.attention == AttnSharding::batch;
  // Fused where the K/V heads (head-sharded) or their columns (batch-sharded, whose all-to-all
  // then gathers whole heads) divide over the columns; multihead always (validate_scenario).
  kv.fused = !multiquery && (kv_heads == heads || (by_batch ? (kv_heads * d_head) % cols == 0
                                                            : kv_heads % cols == 0));
  if (kv.fused) {
    kv.attended = kv_heads / axes_size(s.attn_heads, shape);
    return kv;
  }
  if (!by_batch) {
    // The largest subset of f_used (axes of size > 1) whose chip count divides kv_heads.
    long long best = 1;
    const std::vector<Axis> f = nontrivial_axes(s.f_used, shape).axes();
    for (unsigned mask = 1; mask < (1u << f.size()); ++mask) {
      AxisSet sub;
      for (std::size_t i = 0; i < f.size(); ++i)
        if (mask & (1u << i)) sub.has[static_cast<int>(f[i])] = true;
      const long long k = axes_size(sub, shape);
      if (kv_heads % k == 0 && k > best) {
        best = k;
        kv.split = sub;
      }
    }
  }
  kv.projected = kv_heads / axes_size(kv.split, shape);
  // Head-sharded: a chip holds the query heads [j H / cols, (j + 1) H / cols); it caches the
  // distinct K/V heads (groups of H / kv_heads) they use. Batch-sharded: every K/V head.
  if (by_batch) {
    kv.attended = kv_heads;
  } else {
    const long long per_chip = heads / cols, group = heads / kv_heads;
    long long most = 0;
    for (long long j = 0; j < cols; ++j) {
      const long long first = j * per_chip / group, last = ((j + 1) * per_chip - 1) / group;
      most = std::max(most, last - first + 1);
    }
    kv.attended = most;
  }
  return kv;
}

std::string tensor_notation(std::string_view dims, const std::vector<DimSplit>& split) {
  std::string out;
  for (char d : dims) {
    out += d;
    for (const auto& s : split)
      if (s.dim == d && !s.axes.empty()) out += "_" + s.axes.name();
  }
  return out;
}

std::string describe_layouts() {
  std::string out =
      fmt::format("{:<8} {:<12} {:<12} {:<10} {:<14} {:<10} {:<8} {:<9}  {}\n", "layout",
                  "W_in stored", "W_in used", "gathered", "residual", "in AG/out RS", "middle",
                  "B for E", "summary");
  for (const auto& row : kLayoutTable) {
    const Sharding s = sharding_for(row.layout, AttnSharding::heads);
    const auto name_or_dash = [](const AxisSet& a) {
      return a.empty() ? std::string("-") : a.name();
    };
    out += fmt::format("{:<8} {:<12} {:<12} {:<10} {:<14} {:<10} {:<8} {:<9}  {}\n", row.name,
                       tensor_notation("EF", {{'E', s.weight_e_stored}, {'F', s.weight_f_stored}}),
                       tensor_notation("EF", {{'E', s.e_used}, {'F', s.f_used}}),
                       name_or_dash(s.weight_gather),
                       tensor_notation("BLE", {{'B', s.batch}, {'E', s.residual_e}}),
                       name_or_dash(s.gather_in), name_or_dash(s.middle), row.residual_batch,
                       row.summary);
  }
  out +=
      "B for E: the axes that carry the batch instead of E in the residual stream and the "
      "embedding table where d_model does not divide (taken fewest chips first, in this order)\n";
  return out;
}

}  // namespace podsim
