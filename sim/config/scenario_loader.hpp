#pragma once
// Reads scenarios/*.yaml into a resolved Scenario, validating everything (file:line:col: key:
// problem), with `--set key=value` overrides applied to the YAML before validation.
//
// Keys (sim/README.md §3): name (optional, default the file stem), platform, topology (XxYxZ)
// and/or
// chips (a count the platform maps to a slice), wrap (optional: auto | none | axes such as xy),
// model, phase (prefill | decode | generate | mixed), batch, input_tokens, generate_tokens (required for
// decode and generate), weights (bf16 | int8, default bf16), ffn_layout (ws-1d | ws-2d | wg-x |
// wg-xy | wg-xyz | auto), attention (heads | batch, default heads), collective_einsum (looped |
// off, default looped), pad_heads (auto | yes | no, default auto: use the model's padded_heads
// on slices of at least its pad_heads_from_chips chips, as the paper does for PaLM 540B on 64
// chips and more, and wherever the unpadded heads do not split evenly over the chips that shard
// them), allow_oversubscribe and exact (true | false, default false). Phase mixed only (refused
// elsewhere): prompt_tokens (required) and chunk_tokens (default prompt_tokens); ffn_layout and
// attention are then one value each (a mixed step is one fused pass).
//
// `platform` and `model` are names looked up in <root>/platforms and <root>/workloads, or paths
// to YAML files (relative to the working directory, else to the scenario's directory).
// `ffn_layout: auto` is recorded as a request (Scenario::ffn_layout_auto) and nothing more:
// explore/layout_search's choose_layout() decides it.
//
// Per phase: `ffn_layout` and `attention` may each be a map {prefill: v, decode: v} (`auto` per
// phase allowed); in a generate scenario both phases must be given and the decode's goes to
// Scenario::decode_layout, in a prefill or decode scenario only that phase's key is allowed.
// `--set ffn_layout.decode=ws-2d` (or .prefill, attention.*) sets one phase; in a generate
// scenario a text value already there stays the other phase's. Errors name the phase's key
// (`ffn_layout.decode`) at its position.

#include <string>
#include <vector>

#include "sim/workload/scenario.hpp"

namespace podsim::config {

struct ScenarioOverride {
  std::string key;
  std::string value;
};
// Parses "key=value" (as given to --set). Throws InputError naming `--set` when malformed.
ScenarioOverride parse_override(const std::string& text);

// The directory holding platforms/ and workloads/: `search_root` when not empty, else the first
// ancestor of the scenario file's directory that has a platforms/ or workloads/ directory, else
// podsim's source directory.
std::string find_project_root(const std::string& scenario_path, const std::string& search_root);

// Loads, resolves and validates a scenario (validate_scenario included, except for the layout's
// divisibility under `ffn_layout: auto`, which choose_layout checks per candidate; the memory
// plan is not checked here: generate_trace refuses what does not fit). `overrides` are "key=value" strings;
// errors about an overridden key name `--set key=value` instead of a file position.
Scenario load_scenario(const std::string& path, const std::vector<std::string>& overrides = {},
                       const std::string& search_root = "");

}  // namespace podsim::config
