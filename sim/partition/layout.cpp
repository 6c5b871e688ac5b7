#include "sim/partition/layout.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "sim/core/check.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

namespace {

// The layout table. Columns: stored weight sharding (E, F), weight all-gather axes, batch axes
// and residual E axes. Sources: paper §3.2.1-3.2.3 and Figure 2; platforms/README.md §3.
//  - ws-1d (Megatron): W_in E F_xyz, W_out F_xyz E; residual BLE_xyz.
//  - ws-2d: W_in E_x F_yz, W_out F_yz E_x; residual BLE_xyz.
//  - wg-x / wg-xy / wg-xyz: weights stored E_x F_yz and all-gathered over x, xy, xyz; the batch
//    is split over the gathered axes and E of the residual over the others (B_xy L E_z for xy).
const std::vector<LayoutRule> kLayoutTable = {
    {FfnLayout::ws_1d, "ws-1d", "", "xyz", "", "", "xyz",
     "1D weight-stationary (Megatron): weights split over F on all chips"},
    {FfnLayout::ws_2d, "ws-2d", "x", "yz", "", "", "xyz",
     "2D weight-stationary: weights split over E on x and F on yz"},
    {FfnLayout::wg_x, "wg-x", "x", "yz", "x", "x", "yz",
     "weight-gathered over x: batch split over x"},
    {FfnLayout::wg_xy, "wg-xy", "x", "yz", "xy", "xy", "z",
     "weight-gathered over xy: batch split over xy"},
    {FfnLayout::wg_xyz, "wg-xyz", "x", "yz", "xyz", "xyz", "",
     "weight-gathered over xyz: batch split over all chips, weights fully gathered"},
};

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

Sharding sharding_for(FfnLayout layout, AttnSharding attention) {
  const LayoutRule& row = layout_rule(layout);
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
  s.residual_e = axes_of(row.residual_e);
  s.gather_in = axes_minus(s.residual_e, s.e_used);
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
  return s;
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
      fmt::format("{:<8} {:<12} {:<12} {:<10} {:<14} {:<10} {:<8}  {}\n", "layout", "W_in stored",
                  "W_in used", "gathered", "residual", "in AG/out RS", "middle", "summary");
  for (const auto& row : kLayoutTable) {
    const Sharding s = sharding_for(row.layout, AttnSharding::heads);
    const auto name_or_dash = [](const AxisSet& a) {
      return a.empty() ? std::string("-") : a.name();
    };
    out += fmt::format("{:<8} {:<12} {:<12} {:<10} {:<14} {:<10} {:<8}  {}\n", row.name,
                       tensor_notation("EF", {{'E', s.weight_e_stored}, {'F', s.weight_f_stored}}),
                       tensor_notation("EF", {{'E', s.e_used}, {'F', s.f_used}}),
                       name_or_dash(s.weight_gather),
                       tensor_notation("BLE", {{'B', s.batch}, {'E', s.residual_e}}),
                       name_or_dash(s.gather_in), name_or_dash(s.middle), row.summary);
  }
  return out;
}

}  // namespace podsim
