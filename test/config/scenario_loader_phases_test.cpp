// Per-phase layouts in scenario files and --set (issue 16 item 1): `ffn_layout` and `attention`
// as {prefill: ..., decode: ...} maps, their errors with positions.
#include <catch2/catch.hpp>

#include "sim/config/scenario_loader.hpp"
#include "sim/config/sweep_loader.hpp"
#include "test/config/config_test_files.hpp"

using namespace podsim;
using podsim::test::write_temp;

namespace {
const std::string kRoot = PODSIM_SOURCE_DIR;

// Toy model on 2x2x2: every layout shards it (test/inputs/bad/scenario uses the same).
std::string base(const std::string& phase, const std::string& layout,
                 const std::string& attention) {
  return "name: test\nplatform: tpu-v4\ntopology: 2x2x2\nmodel: toy\nphase: " + phase +
         "\nbatch: 8\ninput_tokens: 16\ngenerate_tokens: 4\nffn_layout: " + layout +
         "\nattention: " + attention + "\n";
}

Scenario load_text(const std::string& name, const std::string& text,
                   const std::vector<std::string>& sets = {}) {
  return config::load_scenario(write_temp(name, text), sets, kRoot);
}

std::string error_of(const std::string& name, const std::string& text,
                     const std::vector<std::string>& sets = {}) {
  try {
    load_text(name, text, sets);
  } catch (const InputError& e) {
    const std::string what = e.what();
    const auto at = what.find(name);
    return at == std::string::npos ? what : what.substr(at);
  }
  return "";
}
}  // namespace

TEST_CASE("a scalar ffn_layout and attention keep meaning both phases") {
  const Scenario s = load_text("scalar.yaml", base("generate", "ws-2d", "batch"));
  CHECK_FALSE(s.per_phase());
  CHECK(phase_scenario(s, Phase::decode).ffn_layout == FfnLayout::ws_2d);
  CHECK(phase_scenario(s, Phase::decode).attention == AttnSharding::batch);
}

TEST_CASE("a generate scenario takes ffn_layout and attention per phase") {
  const Scenario s = load_text("maps.yaml", base("generate", "{prefill: wg-xyz, decode: ws-2d}",
                                                 "{prefill: heads, decode: batch}"));
  REQUIRE(s.per_phase());
  const Scenario pre = phase_scenario(s, Phase::prefill), dec = phase_scenario(s, Phase::decode);
  CHECK(pre.ffn_layout == FfnLayout::wg_xyz);
  CHECK(pre.attention == AttnSharding::heads);
  CHECK(dec.ffn_layout == FfnLayout::ws_2d);
  CHECK(dec.attention == AttnSharding::batch);
  CHECK_FALSE(pre.per_phase());
  CHECK(layouts_text(s) ==
        "prefill wg-xyz, heads-sharded attention; decode ws-2d, batch-sharded attention");
}

TEST_CASE("a map for attention alone makes the layouts per phase with one ffn_layout") {
  const Scenario s =
      load_text("attn.yaml", base("generate", "ws-2d", "{prefill: heads, decode: batch}"));
  REQUIRE(s.per_phase());
  CHECK(phase_scenario(s, Phase::prefill).ffn_layout == FfnLayout::ws_2d);
  CHECK(phase_scenario(s, Phase::decode).ffn_layout == FfnLayout::ws_2d);
  CHECK(phase_scenario(s, Phase::prefill).attention == AttnSharding::heads);
  CHECK(phase_scenario(s, Phase::decode).attention == AttnSharding::batch);
}

TEST_CASE("auto may be given per phase") {
  const Scenario s =
      load_text("auto.yaml", base("generate", "{prefill: auto, decode: ws-2d}", "batch"));
  REQUIRE(s.per_phase());
  CHECK(s.ffn_layout_auto);
  CHECK_FALSE(s.decode_layout->ffn_layout_auto);
  CHECK(s.layout_undecided());
  const Scenario both =
      load_text("auto2.yaml", base("generate", "{prefill: auto, decode: auto}", "batch"));
  CHECK(both.decode_layout->ffn_layout_auto);
}

TEST_CASE("a prefill or decode scenario takes a map of its own phase only") {
  const Scenario s = load_text("own.yaml", base("prefill", "{prefill: wg-xyz}", "batch"));
  CHECK_FALSE(s.per_phase());
  CHECK(s.ffn_layout == FfnLayout::wg_xyz);
  CHECK(error_of("other.yaml", base("prefill", "{decode: ws-2d}", "batch")) ==
        "other.yaml:9:22: ffn_layout.decode: a prefill scenario has no decode phase; give "
        "ffn_layout: <value> or {prefill: <value>}, or use phase: generate for a layout per phase");
  CHECK(error_of("other2.yaml", base("decode", "ws-2d", "{prefill: heads, decode: batch}")) ==
        "other2.yaml:10:22: attention.prefill: a decode scenario has no prefill phase; give "
        "attention: <value> or {decode: <value>}, or use phase: generate for a layout per phase");
}

TEST_CASE("per-phase maps refuse unknown phases and missing ones") {
  CHECK(error_of("unknown.yaml", base("generate", "{prefil: wg-xyz, decode: ws-2d}", "batch")) ==
        "unknown.yaml:9:14: ffn_layout.prefil: unknown key; did you mean 'prefill'?");
  CHECK(error_of("half.yaml", base("generate", "{decode: ws-2d}", "batch")) ==
        "half.yaml:9:13: ffn_layout: a map per phase needs both prefill and decode, e.g. "
        "{prefill: ..., decode: ws-2d}");
  CHECK(error_of("bad.yaml", base("generate", "{prefill: wg-xyz, decode: ws-3d}", "batch")) ==
        "bad.yaml:9:39: ffn_layout.decode: unknown layout 'ws-3d'; did you mean 'ws-1d'? layouts "
        "are ws-1d, ws-2d, wg-x, wg-xy, wg-xyz");
}

TEST_CASE("layouts per phase that store the weights differently are refused") {
  CHECK(error_of("ws1d.yaml", base("generate", "{prefill: ws-1d, decode: ws-2d}", "batch")) ==
        "ws1d.yaml:9:13: ffn_layout: prefill ws-1d stores the weights as EF_xyz (table VE_xyz) "
        "and decode ws-2d as E_xF_yz (table VE_xyz); podsim does not re-lay out the weights "
        "between the phases: give both phases layouts that store them alike (ws-2d and the "
        "weight-gathered layouts all store E_xF_yz, paper §3.2.3)");
}

TEST_CASE("set overrides reach one phase of ffn_layout and attention") {
  const std::string file = base("generate", "ws-2d", "heads");
  const Scenario s = load_text("set.yaml", file, {"ffn_layout.prefill=wg-xyz"});
  REQUIRE(s.per_phase());
  CHECK(s.ffn_layout == FfnLayout::wg_xyz);
  CHECK(s.decode_layout->ffn_layout == FfnLayout::ws_2d);
  const Scenario a = load_text("set2.yaml", file, {"attention.decode=batch"});
  REQUIRE(a.per_phase());
  CHECK(a.attention == AttnSharding::heads);
  CHECK(a.decode_layout->attention == AttnSharding::batch);
  // A scalar --set replaces a map: both phases again.
  const Scenario b = load_text(
      "set3.yaml", base("generate", "{prefill: wg-xyz, decode: ws-2d}", "batch"), {"ffn_layout=ws-2d"});
  CHECK_FALSE(b.per_phase());
  CHECK(error_of("set4.yaml", file, {"ffn_layout.decod=ws-2d"}) ==
        "--set ffn_layout.decod=ws-2d: ffn_layout.decod: 'decod' is not a phase; use "
        "ffn_layout.prefill or ffn_layout.decode");
  CHECK(error_of("set5.yaml", file, {"ffn_layout.decode=ws-1d"}) ==
        "--set ffn_layout.decode=ws-1d: ffn_layout.decode: prefill ws-2d stores the weights as E_xF_yz (table VE_xyz) "
        "and decode ws-1d as EF_xyz (table VE_xyz); podsim does not re-lay out the weights "
        "between the phases: give both phases layouts that store them alike (ws-2d and the "
        "weight-gathered layouts all store E_xF_yz, paper §3.2.3)");
  CHECK(error_of("set6.yaml", base("prefill", "ws-2d", "heads"), {"ffn_layout.decode=ws-2d"}) ==
        "--set ffn_layout.decode=ws-2d: ffn_layout.decode: a prefill scenario has no decode "
        "phase; give ffn_layout: <value> or {prefill: <value>}, or use phase: generate for a "
        "layout per phase");
}

TEST_CASE("sweeps and compare may vary one phase of a per-phase key") {
  CHECK(config::is_scenario_key("ffn_layout"));
  CHECK(config::is_scenario_key("ffn_layout.decode"));
  CHECK(config::is_scenario_key("attention.prefill"));
  CHECK_FALSE(config::is_scenario_key("ffn_layout.mixed"));
  CHECK_FALSE(config::is_scenario_key("batch.decode"));
}
