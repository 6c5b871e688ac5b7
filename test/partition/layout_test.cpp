// The layout table against the paper's shardings (paper §3.2, Figure 2; platforms/README.md §3).
#include "sim/partition/layout.hpp"

#include <catch2/catch.hpp>

using namespace podsim;

namespace {
std::string weights_stored(const Sharding& s) {
  return tensor_notation("EF", {{'E', s.weight_e_stored}, {'F', s.weight_f_stored}});
}
std::string weights_used(const Sharding& s) {
  return tensor_notation("EF", {{'E', s.e_used}, {'F', s.f_used}});
}
std::string residual(const Sharding& s) {
  return tensor_notation("BLE", {{'B', s.batch}, {'E', s.residual_e}});
}
AxisSet axes(const char* text) { return *text ? parse_axes(text, "test") : AxisSet{}; }
}  // namespace

TEST_CASE("the layout table gives the paper's shardings") {
  struct Expect {
    FfnLayout layout;
    const char *stored, *used, *residual, *gather_in, *middle;
  };
  // platforms/README.md §3: ws-1d EF_xyz and BLE_xyz with all-gather / reduce-scatter over xyz;
  // ws-2d
  // E_xF_yz with all-gather(yz), reduce-scatter(x), all-gather(x), reduce-scatter(yz); wg-xy
  // B_xyLE_z with weights E_xF_yz gathered over xy to EF_z and a pair over z.
  for (const Expect& x : {Expect{FfnLayout::ws_1d, "EF_xyz", "EF_xyz", "BLE_xyz", "xyz", ""},
                          Expect{FfnLayout::ws_2d, "E_xF_yz", "E_xF_yz", "BLE_xyz", "yz", "x"},
                          Expect{FfnLayout::wg_x, "E_xF_yz", "EF_yz", "B_xLE_yz", "yz", ""},
                          Expect{FfnLayout::wg_xy, "E_xF_yz", "EF_z", "B_xyLE_z", "z", ""},
                          Expect{FfnLayout::wg_xyz, "E_xF_yz", "EF", "B_xyzLE", "", ""}}) {
    INFO(ffn_layout_name(x.layout));
    const Sharding s = sharding_for(x.layout, AttnSharding::heads);
    CHECK(weights_stored(s) == x.stored);
    CHECK(weights_used(s) == x.used);
    CHECK(residual(s) == x.residual);
    CHECK(s.gather_in == axes(x.gather_in));
    CHECK(s.middle == axes(x.middle));
  }
}

TEST_CASE("every layout's block returns to the sharding it started from") {
  for (FfnLayout layout : kFfnLayouts)
    for (AttnSharding attention : {AttnSharding::heads, AttnSharding::batch}) {
      INFO(ffn_layout_name(layout) << " " << attn_sharding_name(attention));
      const Sharding s = sharding_for(layout, attention);
      // The output reduce-scatter over f_used turns BLE_{e_used} into the residual sharding.
      CHECK(axes_union(s.e_used, s.f_used) == s.residual_e);
      CHECK(s.gather_in == s.f_used);
      // Batch, E and F splits of the einsums cover the slice exactly once.
      CHECK(axes_union(s.batch, s.columns) == all_axes());
      CHECK(axes_intersection(s.batch, s.columns).empty());
      CHECK(axes_union(s.batch, s.residual_e) == all_axes());
      // Stored weights are split over every chip.
      CHECK(axes_union(s.weight_e_stored, s.weight_f_stored) == all_axes());
      // Attention: batch-sharded holds whole sequences of B/n, head-sharded keeps the block's.
      if (attention == AttnSharding::batch) {
        CHECK(s.attn_batch == all_axes());
        CHECK(s.all_to_all == s.columns);
        CHECK(s.attn_heads.empty());
      } else {
        CHECK(s.attn_batch == s.batch);
        CHECK(s.attn_heads == s.columns);
        CHECK(s.all_to_all.empty());
      }
    }
}

TEST_CASE("layout names parse and unknown names suggest the closest") {
  for (const std::string& name : ffn_layout_names())
    CHECK(ffn_layout_name(parse_ffn_layout(name, "ffn_layout")) == name);
  try {
    parse_ffn_layout("ws-2", "ffn_layout", SourceLocation{"s.yaml", 3, 13});
    FAIL("expected an error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).rfind("s.yaml:3:13: ffn_layout: unknown layout 'ws-2'; did you "
                                      "mean 'ws-2d'?",
                                      0) == 0);
  }
  CHECK_THROWS_AS(parse_attn_sharding("sequence", "attention"), InputError);
}

TEST_CASE("tensor notation follows the paper") {
  const AxisSet x = axes("x"), yz = axes("yz"), xyz = axes("xyz");
  CHECK(tensor_notation("BLE", {{'E', xyz}}) == "BLE_xyz");
  CHECK(tensor_notation("EF", {{'E', x}, {'F', yz}}) == "E_xF_yz");
  CHECK(tensor_notation("BLHQ", {{'H', yz}}) == "BLH_yzQ");
  CHECK(tensor_notation("BLE", {{'B', axes("xy")}, {'E', axes("z")}}) == "B_xyLE_z");
  CHECK(tensor_notation("BLE", {}) == "BLE");
}

TEST_CASE("axis set arithmetic and sizes") {
  TorusShape shape;
  shape.dims = {4, 2, 1};
  CHECK(axes_size(axes("xyz"), shape) == 8);
  CHECK(axes_size(AxisSet{}, shape) == 1);
  CHECK(nontrivial_axes(axes("xyz"), shape) == axes("xy"));
  CHECK(axes_minus(axes("xyz"), axes("x")) == axes("yz"));
  CHECK(describe_layouts().find("wg-xyz") != std::string::npos);
}
