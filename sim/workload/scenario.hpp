#pragma once
// Scenario: the resolved inputs of one run — the platform, the slice, the model, the phase and
// lengths, and the partitioning choices. Built by config/scenario_loader from YAML (or read back
// from a trace file); everything downstream (trace generator, memory planner, replay, reports)
// takes it as given. validate_scenario() checks what a layout needs of the shapes (divisibility)
// and names the scenario key and position of the offending value.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/core/input_error.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/model/model_spec.hpp"
#include "sim/partition/collective.hpp"
#include "sim/partition/layout.hpp"
#include "sim/topology/torus.hpp"

namespace podsim {

// prefill: one forward pass over B sequences of input_tokens; decode: generate_tokens steps of
// one new token per sequence, attending to input_tokens + i cached positions; generate: prefill,
// then the decode steps; mixed: the decode steps of a running batch, the first of which also
// prefill one new prompt of prompt_tokens, chunk_tokens per step, fused into the same pass
// (chunked prefill piggybacked on decode: Agrawal et al., "SARATHI", arXiv 2308.16369; the
// paper's low-latency serving, Pope et al. arXiv 2211.05102 §4.4). A step (StepTrace) has phase
// prefill, decode or mixed, never generate.
enum class Phase { prefill, decode, generate, mixed };
// Weights in HBM and in weight all-gathers. int8 halves their bytes; matmuls stay bf16
// (paper §4.4; TPU v4 has no int8 speed-up, platforms/README.md §1).
enum class WeightDtype { bf16, int8 };
// looped: all-gathers and reduce-scatters next to an einsum are cut into chunks that overlap it
// (Looped CollectiveEinsum, Wang et al., ASPLOS 2023); off: they run on their own.
enum class CollectiveEinsum { looped, off };

std::string_view phase_name(Phase phase);
std::string_view weight_dtype_name(WeightDtype dtype);
std::string_view collective_einsum_name(CollectiveEinsum mode);
Phase parse_phase(std::string_view text, const std::string& key, const SourceLocation& where = {});
WeightDtype parse_weight_dtype(std::string_view text, const std::string& key,
                               const SourceLocation& where = {});
CollectiveEinsum parse_collective_einsum(std::string_view text, const std::string& key,
                                         const SourceLocation& where = {});
Bytes weight_element_bytes(WeightDtype dtype);  // 2 (bf16) or 1 (int8)
// `pad_heads`: automatic pads where auto_pad_heads() says so (below), yes always, no never.
enum class PadHeadsRequest { automatic, yes, no };

// Every key of a scenario (sim/README.md §3 order) and where it may be written: `file` keys in a
// scenario file, in `--set` and in sweep grids; `trace` keys in the "scenario" object of a trace
// file (which holds the resolved slice as `topology` and the file it came from as `source_file`).
struct ScenarioKey {
  std::string_view name;
  bool file;
  bool trace;
};
inline constexpr std::array<ScenarioKey, 22> kScenarioKeys = {{
    {"name", true, true},
    {"source_file", false, true},
    {"platform", true, true},
    {"topology", true, true},
    {"chips", true, false},
    {"wrap", true, false},
    {"twist", true, false},
    {"model", true, true},
    {"phase", true, true},
    {"batch", true, true},
    {"input_tokens", true, true},
    {"generate_tokens", true, true},
    {"prompt_tokens", true, true},  // mixed only (written to traces of mixed runs only)
    {"chunk_tokens", true, true},   // mixed only
    {"weights", true, true},
    {"ffn_layout", true, true},
    {"attention", true, true},
    {"collective_einsum", true, true},
    {"ring_order", true, true},
    {"pad_heads", true, true},
    {"allow_oversubscribe", true, true},
    {"exact", true, true},
}};
// The names of the keys of a scenario file (`trace` false) or of a trace's scenario (true).
std::vector<std::string_view> scenario_key_names(bool trace);

struct Scenario {
  std::string name;
  std::string source_file;  // the scenario file (for messages); may be empty
  Platform platform;
  TorusShape shape;
  ModelSpec model;
  bool pad_heads = false;  // resolved: compute model.padded_heads instead of model.heads
  Phase phase = Phase::generate;
  long long batch = 0;            // B, sequences
  long long input_tokens = 0;     // prompt length (prefill) or cached context (decode)
  long long generate_tokens = 0;  // decode steps (decode, generate, mixed); 0 for prefill
  // Mixed only (0 otherwise): the new prompt's length, and how many of its tokens each of the
  // first mixed_steps() decode steps prefills (the last chunk may be shorter).
  long long prompt_tokens = 0;
  long long chunk_tokens = 0;
  WeightDtype weights = WeightDtype::bf16;
  FfnLayout ffn_layout = FfnLayout::ws_2d;
  AttnSharding attention = AttnSharding::heads;
  CollectiveEinsum collective_einsum = CollectiveEinsum::looped;
  // Order of the chips of multi-axis Looped CollectiveEinsum rings (partition/collective.hpp).
  RingOrder ring_order = RingOrder::hamiltonian;
  bool allow_oversubscribe = false;  // simulate even when the memory plan does not fit
  bool exact = false;                // replay every layer and step (no periodicity shortcut)
  // `ffn_layout: auto`, as requested: the layout is decided by explore/layout_search
  // (choose_layout, the only place that decides it) before anything that needs one. Until then
  // ffn_layout and pad_heads are placeholders and the layout's divisibility is unchecked.
  bool ffn_layout_auto = false;
  // Per-phase layouts (`ffn_layout: {prefill: wg-xyz, decode: ws-2d}`, `attention: {prefill:
  // heads, decode: batch}`; phase generate only): the decode steps' layout, where the scenario
  // gave one per phase. ffn_layout, attention and ffn_layout_auto above are then the prefill's.
  // Absent: one layout for both phases (a scalar `ffn_layout: auto` is then ranked by the run's
  // total; a per-phase `auto` is decided per phase, explore/layout_search).
  struct PhaseLayout {
    FfnLayout ffn_layout = FfnLayout::ws_2d;
    bool ffn_layout_auto = false;
    AttnSharding attention = AttnSharding::heads;
  };
  std::optional<PhaseLayout> decode_layout;
  PadHeadsRequest pad_heads_request = PadHeadsRequest::automatic;  // `pad_heads` as given

  // Where each key was given (scenario file position or `--set`), for messages raised after
  // loading (divisibility, memory). Keys absent here are reported without a position.
  std::map<std::string, SourceLocation> where;

  long long chips() const { return shape.chip_count(); }
  // The layout's name, or "auto" while ffn_layout_auto is undecided (the prefill's when the
  // layouts are per phase).
  std::string_view ffn_layout_label() const;
  bool per_phase() const { return decode_layout.has_value(); }
  // Whether any phase's layout is still `auto`.
  bool layout_undecided() const {
    return ffn_layout_auto || (decode_layout && decode_layout->ffn_layout_auto);
  }
  long long heads_used() const { return model.heads_used(pad_heads); }
  long long kv_heads_used() const { return model.kv_heads_used(pad_heads); }
  Bytes weight_bytes_per_element() const { return weight_element_bytes(weights); }
  // Largest number of cached positions per sequence during the run (KV-cache capacity; for
  // mixed, of the running batch's sequences).
  long long max_context() const;
  // Mixed: the steps that carry a chunk of the prompt, ceil(prompt_tokens / chunk_tokens); 0 for
  // the other phases.
  long long mixed_steps() const;
  // The vocabulary padded up to a multiple of the chips, so that the embedding table and the
  // logits split evenly (padded rows are zero and their logits ignored), as Megatron-LM pads the
  // vocabulary to its model-parallel degree. PaLM's 256128 = 2^7 x 2001 would otherwise stop
  // at 128 chips.
  long long vocab_used() const;
  SourceLocation location_of(const std::string& key) const;
};

// The scenario as one phase of it sees it: for a per-phase generate scenario, a copy with
// `phase`'s layout and attention in ffn_layout and attention and no decode_layout (the phase
// and lengths stay those of the whole run); otherwise the scenario itself. `phase` is
// Phase::prefill or Phase::decode.
Scenario phase_scenario(const Scenario& scenario, Phase phase);
// The scenario's layouts as "wg-xyz, batch-sharded attention" or, per phase, "prefill wg-xyz,
// batch-sharded attention; decode ws-2d, batch-sharded attention".
std::string layouts_text(const Scenario& scenario);

// Why the prefill's and the decode's layouts of a per-phase scenario cannot share one copy of
// the weights: the stored weight shardings differ (ws-1d stores E F_xyz, every other layout
// E_x F_yz; paper §3.2.3) or the embedding table's split does. std::nullopt when they share it
// (then no weight moves between the phases) or the scenario is not per phase.
std::optional<std::string> weight_layout_problem(const Scenario& scenario);

// The shardings of the scenario's layout and attention, with the residual batch axes that its
// model, batch and slice need (choose_residual_batch; empty where d_model divides over the
// residual stream and the embedding table, and when nothing makes it divide, which
// sharding_problem reports). Every user of a scenario's shardings takes them from here.
Sharding scenario_sharding(const Scenario& scenario);

// How the scenario's K/V heads shard (partition/layout.hpp kv_heads_for, with the heads used).
KvHeads scenario_kv_heads(const Scenario& scenario);

// For reports, where the scenario's residual batch axes are not empty: "B_zLE_xy, table V_zE_xy
// (d_model 18432 does not divide over the 4096 chips; the batch is split over z instead)".
// Empty where d_model divides (no residual batch axes).
std::string residual_batch_note(const Scenario& scenario);

// For reports, where the scenario's prefill splits tokens (Sharding::token_split): "BL_xyzE
// (batch 1 does not divide over the 64 chips of xyz): the tokens of each sequence split over
// xyz; attention all-gathers K/V over xyz (...); the KV cache lands BT_xyzQ". Empty otherwise.
std::string token_split_note(const Scenario& scenario);

// The first reason (layout, attention) cannot shard this model and batch on this slice: the
// scenario key to blame and a message that says which axis and what would divide. std::nullopt
// when it can. Used by validation and by `ffn_layout: auto` to skip layouts that do not apply.
struct ShardingProblem {
  std::string key;
  std::string message;
};
std::optional<ShardingProblem> sharding_problem(const Scenario& scenario);
// The same for the steps given: `decode_steps` says whether decode steps run with the scenario's
// layout (the one-argument form takes phase != prefill; a per-phase scenario's prefill view,
// phase_scenario(s, Phase::prefill), runs only the prefill). A token split (the batch does not
// divide over a weight-gathered layout's batch axes, partition/layout.hpp) applies to the prefill
// only, where the tokens divide into the zig-zag chunks and d_model needs no residual batch axes.
std::optional<ShardingProblem> sharding_problem(const Scenario& scenario, bool decode_steps);
// Whether padding heads (model.padded_heads) is what makes the heads divide over the chips.
bool heads_need_padding(const Scenario& scenario);
// The `pad_heads: auto` rule: pad when the model offers padded_heads and either the slice has at
// least model.pad_heads_from_chips chips (the paper's choice for PaLM 540B on >= 64 chips) or
// the layout could not split the unpadded heads.
bool auto_pad_heads(const Scenario& scenario);
// Sets scenario.pad_heads from pad_heads_request for the scenario's ffn_layout.
void resolve_pad_heads(Scenario& scenario);

// Throws InputError at the key's position for: non-positive batch or lengths, batch or heads or
// model dimensions that the layout cannot split evenly (naming the axis, the chip count and what
// would divide), batch-sharded attention with fewer sequences than chips.
// Throws InputError, naming the key (batch, input_tokens, generate_tokens or model), when a size
// the trace and the memory plan multiply out (weights, KV cache, activations, attention scores)
// would exceed kMaxSizeProduct elements (core/checked_math.hpp). Part of validate_scenario; also
// run on its own before the layout of `ffn_layout: auto` is chosen.
void check_size_products(const Scenario& scenario);
// Per-phase scenarios are checked per phase (phase_scenario), then for the weights'
// layout (weight_layout_problem, at ffn_layout). Mixed scenarios are checked for the decode
// part (the scenario's attention) and for the prompt's chunk (mixed_problem).
void validate_scenario(const Scenario& scenario);

// The scenario of a mixed step's prompt chunk: one sequence with head-sharded attention (a single
// sequence cannot split over batch axes; the paper's prefill shards attention over heads too,
// §3.3), the same layout and weights.
Scenario chunk_scenario(const Scenario& scenario);
// Why a mixed scenario's layout cannot fuse the decode batch and the prompt's chunk into one
// pass: a layout that splits the batch of its projections (weight-gathered), residual batch
// axes, or a chunk whose head-sharded attention projects K/V differently from the decode's. The
// key to blame and the message; std::nullopt when it can (or the scenario is not mixed). Used by
// validation and by `ffn_layout: auto` to skip layouts that do not apply.
std::optional<ShardingProblem> mixed_problem(const Scenario& scenario);

}  // namespace podsim
