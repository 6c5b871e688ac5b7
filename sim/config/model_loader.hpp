#pragma once
// Reads workloads/*.yaml into a ModelSpec, validating every field (file:line:col: key: problem).
//
// Keys: name (optional, default the file stem), layers, d_model, d_ff, heads, d_head, kv_heads
// (1 = multiquery, = heads for multihead), vocab, block (parallel | serial), activation
// (swiglu | gelu), padded_heads (optional: the head count to pad to where the heads do not split
// evenly over the chips that shard them) and pad_heads_from_chips (optional: pad on every slice
// of at least this many chips, as the paper does for PaLM 540B); see scenario key pad_heads.

#include <string>

#include "sim/model/model_spec.hpp"

namespace podsim::config {

ModelSpec load_model(const std::string& path);

// A model argument: a path to a .yaml file, or a bare name ("palm-540b") looked up in
// `workloads_dir`. Throws InputError when neither exists.
std::string resolve_model_path(const std::string& name_or_path, const std::string& workloads_dir);

}  // namespace podsim::config
