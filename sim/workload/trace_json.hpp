#pragma once
// Trace files: `podsim trace` writes them, `podsim replay` reads them (hand-edited ones too).
//
// Format (JSON, keys in this order; every key is required, unknown keys are errors):
//   { "format": "podsim-trace", "version": 1,
//     "scenario": { "name", "source_file",
//        "platform": { "name", "source_file",
//                      "chip": { "name", "peak_flops_per_s", "hbm_bytes", "hbm_bytes_per_s",
//                                "ici_link_bytes_per_s", "ici_hop_latency_s", "ici_links" },
//                      "slices": { "<chips>": [X, Y, Z], ... } },
//        "topology": { "dims": [X, Y, Z], "wraps": [bool, bool, bool] },
//        "model": { "name", "source_file", "layers", "d_model", "d_ff", "heads", "padded_heads",
//                   "pad_heads_from_chips", "d_head", "kv_heads", "vocab", "block", "activation" },
//        "pad_heads", "phase", "batch", "input_tokens", "generate_tokens", "weights",
//        "ffn_layout", "attention", "collective_einsum", "allow_oversubscribe", "exact" },
//     "memory": { "weights_bytes", "kv_bytes", "activation_bytes", "hbm_bytes", "fits" },
//     "steps": [ { "phase": "prefill"|"decode", "batch", "new_tokens", "context",
//                  "layers": [ { "name", "repeat",
//                                "ops": [ { "kind": "einsum"|"elementwise"|"collective", "name",
//                                           "equation", "shapes", "flops", "attention_flops",
//                                           "redundant_flops", "weight_bytes", "kv_bytes",
//                                           "activation_bytes", "matmul_mkn": [M, K, N],
//                                           "matmul_batch",
//                                           // collective ops only (and only they):
//                                           "collective": { "kind": "all-gather"|..., "axes": "yz",
//                                                           "bytes", "algorithm", "multi_axis" },
//                                           "looped_with": "<einsum name>" | "" } ] } ] } ] }
// Units: FLOPs per chip, bytes per chip, seconds, bytes per second (see trace.hpp). Output is
// deterministic: the same trace gives byte-identical text.

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <string>

#include "sim/workload/trace.hpp"

namespace podsim {

std::string trace_to_json(const Trace& trace);  // pretty-printed, ends with a newline
// The "scenario" object of a trace file, in the file's key order (reports embed it).
nlohmann::ordered_json scenario_to_json(const Scenario& scenario);
void write_trace_json(const Trace& trace, const std::string& path);  // InputError if unwritable

// Parse and validate. Every problem throws InputError `file: /json/pointer/of/field: problem`
// (nlohmann-json keeps no line numbers, so the JSON pointer locates the field).
Trace trace_from_json(const std::string& text, const std::string& name);
Trace read_trace_json(const std::string& path);
// The scenario of a "scenario" object (scenario_to_json's, as in trace files and run JSON),
// validated like a trace's; `name` names the file in errors.
Scenario scenario_from_json(const nlohmann::ordered_json& scenario, const std::string& name);

}  // namespace podsim
