#include "sim/workload/step_generator.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/check.hpp"

namespace podsim {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::einsum:
      return "einsum";
    case OpKind::elementwise:
      return "elementwise";
    case OpKind::collective:
      return "collective";
  }
  return "?";
}

OpKind parse_op_kind(std::string_view text, const std::string& key, const SourceLocation& where) {
  if (text == "einsum") return OpKind::einsum;
  if (text == "elementwise") return OpKind::elementwise;
  if (text == "collective") return OpKind::collective;
  throw InputError(
      where, key, fmt::format("unknown op kind '{}'; use einsum, elementwise or collective", text));
}

namespace {

// Vector-unit operations per element of the elementwise ops. Estimates (no published per-op
// counts exist for TPU v4): they only rank the vector work against itself; its speed is a chip
// model parameter calibrated against the paper's measurements (platforms/README.md §5).
constexpr double kLayerNormOpsPerElement = 8;  // mean, variance, centre, scale, shift
constexpr double kRopeOpsPerElement = 6;       // two products and a sum per rotated pair, + sin/cos
constexpr double kSoftmaxOpsPerElement = 5;    // max, subtract, exp, sum, divide
constexpr double kSwigluOpsPerElement = 8;     // swish (exp, add, divide, multiply) x up
constexpr double kGeluOpsPerElement = 10;      // tanh approximation
constexpr double kResidualAddOpsPerElement = 1;

// One projection block of the layer: the parallel block has one (attention + FFN fused), the
// serial block two (attention, then FFN).
struct BlockShape {
  std::string prefix;    // "" | "attn_" | "ffn_"
  std::string in_name;   // input einsum
  std::string out_name;  // output einsum
  std::string col_dims;  // letters of the input einsum's columns in the notation ("F", "HQ")
  char col_split;        // which of them carries the split
  long long in_cols;     // columns of W_in (before sharding)
  long long out_rows;    // rows of W_out
  bool attention;
  bool ffn;
};

std::vector<BlockShape> block_shapes(const Scenario& s) {
  const ModelSpec& m = s.model;
  const long long hq = s.heads_used() * m.d_head;
  // Multihead K/V (and grouped K/V that divide over the columns) are sharded like Q and fused
  // into the input einsum; the single multiquery K/V head, and grouped K/V heads that do not
  // divide, get their own einsum (kv_heads_for).
  const bool fused = scenario_kv_heads(s).fused;
  const long long kv_cols = fused ? 2 * s.kv_heads_used() * m.d_head : 0;
  const std::string qkv = fused ? "qkv" : "q";
  if (m.block == BlockKind::parallel)
    return {{"", qkv + "_ffn_in", "o_ffn_out", "F", 'F', m.ffn_in_width() + hq + kv_cols,
             m.d_ff + hq, true, true}};
  return {{"attn_", qkv + "_in", "o_out", "HQ", 'H', hq + kv_cols, hq, true, false},
          {"ffn_", "ffn_in", "ffn_out", "F", 'F', m.ffn_in_width(), m.d_ff, false, true}};
}

class LayerBuilder {
 public:
  // `chunk_tokens` > 0: a mixed step, which also prefills that many tokens of one prompt whose
  // first `chunk_context` positions are cached (`chunk_last`: the chunk ends the prompt).
  LayerBuilder(const Scenario& s, long long new_tokens, long long context,
               long long chunk_tokens = 0, long long chunk_context = 0, bool chunk_last = false)
      : s_(s),
        sh_(scenario_sharding(s)),
        L_(new_tokens),
        T_(context + new_tokens),
        C_(chunk_tokens),
        TC_(chunk_context + chunk_tokens),
        chunk_last_(chunk_last),
        act_(kBf16Bytes),
        wb_(s.weight_bytes_per_element()),
        looped_(s.collective_einsum == CollectiveEinsum::looped) {
    // Token split (partition/layout.hpp): prefill only (sharding_problem refuses decode steps).
    PODSIM_CHECK(!sh_.token_split() ||
                     (context == 0 && new_tokens % (2 * size(sh_.attn_tokens)) == 0),
                 "a token split needs a prefill whose tokens divide into the zig-zag chunks");
  }

  // The table is V_R E_{xyz-R} (R = sh_.embed_v, the residual batch axes; VE_xyz when R is
  // empty). Token ids are on every chip (B L integers); each chip looks up the tokens whose ids
  // fall in its vocabulary rows and writes zeros for the others, so the lookup's output is
  // BLE_{xyz-R} {partialsum-R} and a reduce-scatter over R gives B_R L E_{xyz-R}. This is the
  // vocabulary-parallel embedding of Megatron-LM (Shoeybi et al., arXiv 1909.08053, §3: masked
  // lookup, then a sum over the vocabulary shards; a reduce-scatter where the result is split,
  // Korthikanti et al., arXiv 2205.05198, §4.2.2). Assumption: the ids are spread evenly over
  // the vocabulary shards, so a chip reads B L / |R| rows of E / |xyz-R| (= B L E / n elements,
  // as for R empty). Weight-gathered layouts then all-to-all over their other batch axes.
  LayerTrace embedding() {
    LayerTrace layer{"embedding", 1, {}};
    const long long B = s_.batch, E = s_.model.d_model, n = s_.chips();
    const long long tokens = B * L_ + C_;  // a mixed step's chunk is looked up with the batch
    const long long rows = tokens * E / n;
    const AxisSet& vocab_axes = sh_.embed_v;
    const long long lookup_out = tokens * E / size(sh_.embed_e);
    const std::string looked_up = tensor("BLE", {{'E', sh_.embed_e}});
    const std::string partial = partialsum(nontrivial_axes(vocab_axes, s_.shape));
    const std::string gathered = tensor("BLE", {{'B', vocab_axes}, {'E', sh_.embed_e}});
    Op lookup = elementwise("embed_lookup", 0, 0);
    lookup.shapes = fmt::format("BL, {} -> {}{}", table(), looked_up, partial);
    lookup.weight_bytes = Bytes(rows) * wb_;
    lookup.activation_bytes = Bytes(lookup_out) * act_;
    layer.ops.push_back(lookup);
    add_collective(layer, "reducescatter_{}_embed", CollectiveKind::reduce_scatter, vocab_axes,
                   Bytes(lookup_out) * act_, "",
                   fmt::format("{}{} -> {}", looked_up, partial, gathered));
    // Weight-gathered layouts keep sequences whole on the batch axes: move B_R L E_{xyz-R} there.
    add_collective(layer, "alltoall_{}_embed", CollectiveKind::all_to_all,
                   axes_minus(sh_.batch, vocab_axes), Bytes(rows) * act_, "",
                   fmt::format("{} -> {}", gathered, residual("BLE")));
    return layer;
  }

  LayerTrace transformer() {
    LayerTrace layer{"transformer", static_cast<int>(s_.model.layers), {}};
    for (const BlockShape& block : block_shapes(s_)) add_block(layer, block);
    return layer;
  }

  // The logits against the table V_R E_{xyz-R}: the final norm's B_{residual_b} E_{residual_e}
  // moves to B_R E_{xyz-R} (all-to-all over the batch axes outside R), the batch is all-gathered
  // over R, the einsum gives BV_R {partialsum-(xyz-R)} and a reduce-scatter over xyz - R leaves
  // BV_xyz. With R empty: all-to-all to BE_xyz, the einsum and a reduce-scatter over xyz.
  // A mixed step adds the prompt's last position to the logits in the step whose chunk ends the
  // prompt: its first generated token (what the time to first token waits for).
  LayerTrace final_layer() {
    LayerTrace layer{"final", 1, {}};
    const long long B = s_.batch + (chunk_last_ ? 1 : 0), E = s_.model.d_model,
                    V = s_.vocab_used(), n = s_.chips();
    const AxisSet& vocab_axes = sh_.embed_v;
    const long long e_local = E / size(sh_.embed_e), v_local = V / size(vocab_axes);
    // Only the last position of each sequence reaches the logits. With a token split it lies on
    // one chip of the sequence's token group (chunk 2|S| - 1, chip 0's); the others contribute
    // zeros and a reduce-scatter over the token axes S leaves B_{batch-S} E_{residual_e+S} (the
    // masked sum of the embedding lookup, above).
    const AxisSet& tok = sh_.tokens;
    const AxisSet seq_axes = axes_minus(sh_.residual_b, tok);
    const AxisSet norm_e = axes_union(sh_.residual_e, tok);
    const long long b = B / size(seq_axes);
    add_collective(layer, "reducescatter_{}_last", CollectiveKind::reduce_scatter, tok,
                   Bytes(b * E / size(sh_.residual_e)) * act_, "",
                   fmt::format("{}{} -> {}",
                               tensor("BE", {{'B', seq_axes}, {'E', sh_.residual_e}}),
                               partialsum(nontrivial_axes(tok, s_.shape)),
                               tensor("BE", {{'B', seq_axes}, {'E', norm_e}})));
    const long long norm_elems = b * E / size(norm_e);
    Op norm = elementwise("final_layernorm", norm_elems * kLayerNormOpsPerElement, 2 * norm_elems);
    norm.shapes = tensor("BE", {{'B', seq_axes}, {'E', norm_e}});
    layer.ops.push_back(norm);
    const std::string moved = tensor("BE", {{'B', vocab_axes}, {'E', sh_.embed_e}});
    const std::string gathered = tensor("BE", {{'E', sh_.embed_e}});
    add_collective(layer, "alltoall_{}_final", CollectiveKind::all_to_all,
                   axes_minus(axes_minus(sh_.batch, tok), vocab_axes), Bytes(B * E / n) * act_, "",
                   fmt::format("{} -> {}", norm.shapes, moved));
    add_collective(layer, "allgather_{}_final", CollectiveKind::all_gather, vocab_axes,
                   Bytes(B * e_local) * act_, "logits", fmt::format("{} -> {}", moved, gathered));
    Op logits = einsum("logits", "BE,VE->BV", B, e_local, v_local, 1);
    logits.weight_bytes = Bytes(V * E / n) * wb_;
    logits.activation_bytes = Bytes(B * e_local + B * v_local) * act_;
    // The sum runs over the table's E axes as written (xyz - R), like the paper's notation.
    const std::string logits_partial =
        fmt::format("{{partialsum-{}}}", axes_minus(all_axes(), vocab_axes).name());
    const std::string logits_v = tensor("BV", {{'V', vocab_axes}});
    logits.shapes =
        fmt::format("{}, {} -> {} {}", gathered, table(), logits_v, logits_partial);
    layer.ops.push_back(logits);
    add_collective(layer, "reducescatter_{}_logits", CollectiveKind::reduce_scatter,
                   sh_.embed_e, Bytes(B * v_local) * act_, "logits",
                   fmt::format("{} {} -> {}", logits_v, logits_partial,
                               tensor("BV", {{'V', all_axes()}})));
    const long long probs = B * V / n;
    Op sampling = elementwise("sampling", probs * kSoftmaxOpsPerElement, 2 * probs);
    sampling.shapes = tensor("BV", {{'V', all_axes()}});
    layer.ops.push_back(sampling);
    return layer;
  }

 private:
  long long size(const AxisSet& axes) const { return axes_size(axes, s_.shape); }
  // With a token split, the B split of a tensor with tokens (L) gives its token axes to L
  // (B_xyz L -> B L_xyz), and of one with attended positions (T, the gathered K/V) drops them.
  std::string tensor(std::string_view dims, const std::vector<DimSplit>& split) const {
    std::vector<DimSplit> kept;
    const bool has_l = dims.find('L') != std::string_view::npos;
    const bool has_t = dims.find('T') != std::string_view::npos;
    for (const auto& d : split) {
      AxisSet axes = d.axes;
      if (d.dim == 'B' && sh_.token_split() && (has_l || has_t)) {
        if (has_l)
          kept.push_back(
              {'L', nontrivial_axes(axes_intersection(axes, sh_.attn_tokens), s_.shape)});
        axes = axes_minus(axes, sh_.attn_tokens);
      }
      kept.push_back({d.dim, nontrivial_axes(axes, s_.shape)});
    }
    return tensor_notation(dims, kept);
  }
  std::string residual(std::string_view dims) const {
    return tensor(dims, {{'B', sh_.residual_b}, {'E', sh_.residual_e}});
  }
  std::string table() const { return tensor("VE", {{'V', sh_.embed_v}, {'E', sh_.embed_e}}); }
  static std::string partialsum(const AxisSet& axes) {
    return axes.empty() ? "" : fmt::format(" {{partialsum-{}}}", axes.name());
  }

  Op einsum(std::string name, std::string equation, long long m, long long k, long long n,
            long long batch) const {
    Op op;
    op.kind = OpKind::einsum;
    op.name = std::move(name);
    op.equation = std::move(equation);
    op.matmul_mkn = {m, k, n};
    op.matmul_batch = batch;
    op.flops = 2.0 * double(m) * double(k) * double(n) * double(batch);
    return op;
  }

  Op elementwise(std::string name, double flops, long long elements_moved) const {
    Op op;
    op.kind = OpKind::elementwise;
    op.name = std::move(name);
    op.flops = flops;
    op.activation_bytes = Bytes(elements_moved) * act_;
    return op;
  }

  // Appends a collective unless its axes are all of size 1 on this slice (then it is a no-op).
  // `name_pattern` gets the axes' name in place of "{}".
  void add_collective(LayerTrace& layer, std::string_view name_pattern, CollectiveKind kind,
                      const AxisSet& axes, Bytes bytes, const std::string& looped_with,
                      std::string shapes, bool weights = false) const {
    const AxisSet used = nontrivial_axes(axes, s_.shape);
    if (used.empty()) return;
    Op op;
    op.kind = OpKind::collective;
    op.name = fmt::format(fmt::runtime(name_pattern), used.name());
    op.shapes = std::move(shapes);
    op.collective.kind = kind;
    op.collective.axes = used;
    op.collective.bytes = bytes;
    op.collective.multi_axis = s_.platform.multi_axis;
    op.looped_with = looped_ ? looped_with : "";
    // HBM traffic of the collective: the smaller side is read or written once, the larger once.
    const Bytes smaller =
        kind == CollectiveKind::all_gather || kind == CollectiveKind::reduce_scatter
            ? bytes / Bytes(size(used))
            : bytes;
    (weights ? op.weight_bytes : op.activation_bytes) = bytes + smaller;
    layer.ops.push_back(std::move(op));
  }

  void add_block(LayerTrace& layer, const BlockShape& blk) {
    const ModelSpec& m = s_.model;
    const long long B = s_.batch, E = m.d_model;
    const long long n_eu = size(sh_.e_used), n_fu = size(sh_.f_used), n_c = size(sh_.columns);
    // Rows per chip in the projections: B / |batch| sequences of L tokens, or with a token split
    // B / |batch - S| sequences of L / |S| tokens (the same B L / |batch|); a mixed step's chunk
    // joins them (mixed_problem: the batch is not split in its projections, and a mixed step
    // never splits tokens).
    const long long M = B / size(axes_minus(sh_.batch, sh_.tokens)) * (L_ / size(sh_.tokens)) +
                        C_ / size(sh_.batch);
    const long long k_in = E / n_eu, n_in = blk.in_cols / n_fu;
    const long long k_out = blk.out_rows / n_fu;
    const std::string& p = blk.prefix;
    const std::string cols = blk.col_dims;
    const auto cols_split = [&](const AxisSet& a) {
      return tensor("BL" + cols, {{'B', sh_.batch}, {blk.col_split, a}});
    };
    const std::string w_in_used =
        tensor("E" + cols, {{'E', sh_.e_used}, {blk.col_split, sh_.f_used}});
    const std::string w_out_used =
        tensor(cols + "E", {{blk.col_split, sh_.f_used}, {'E', sh_.e_used}});
    const std::string x_used = tensor("BLE", {{'B', sh_.batch}, {'E', sh_.e_used}});

    // Residual elements per chip: B L E / (|batch + R| |residual_e - R|), the same for any R.
    const long long res_elems = (B / size(axes_minus(sh_.residual_b, sh_.tokens)) *
                                     (L_ / size(sh_.tokens)) +
                                 C_) *
                                E / size(sh_.residual_e);
    Op norm = elementwise(p + "layernorm", res_elems * kLayerNormOpsPerElement, 2 * res_elems);
    norm.shapes = residual("BLE");
    layer.ops.push_back(norm);

    // Weight-gathered layouts: the stored E_xF_yz shards are all-gathered just before use.
    add_collective(layer, p + "weight_allgather_{}_in", CollectiveKind::all_gather,
                   sh_.weight_gather, Bytes(k_in * n_in) * wb_, blk.in_name,
                   fmt::format("{} -> {}",
                               tensor("E" + cols, {{'E', sh_.weight_e_stored},
                                                   {blk.col_split, sh_.weight_f_stored}}),
                               w_in_used),
                   true);
    add_collective(layer, p + "allgather_{}", CollectiveKind::all_gather, sh_.gather_in,
                   Bytes(M * k_in) * act_, blk.in_name,
                   fmt::format("{} -> {}", residual("BLE"), x_used));

    Op in = einsum(blk.in_name, fmt::format("BLE,E{}->BL{}", cols, cols), M, k_in, n_in, 1);
    in.weight_bytes = Bytes(k_in * n_in) * wb_;
    in.activation_bytes = Bytes(M * k_in + M * n_in) * act_;
    in.shapes = fmt::format("{}, {} -> {}{}", x_used, w_in_used, cols_split(sh_.f_used),
                            partialsum(nontrivial_axes(sh_.e_used, s_.shape)));
    layer.ops.push_back(in);
    add_collective(
        layer, p + "reducescatter_{}", CollectiveKind::reduce_scatter, sh_.middle,
        Bytes(M * n_in) * act_, blk.in_name,
        fmt::format("{}{} -> {}", cols_split(sh_.f_used),
                    partialsum(nontrivial_axes(sh_.e_used, s_.shape)), cols_split(sh_.columns)));

    if (blk.attention) add_attention(layer, M);

    if (blk.ffn) {
      const long long out_elems = M * m.d_ff / n_c;
      const bool swiglu = m.activation == Activation::swiglu;
      Op act = elementwise(std::string(activation_name(m.activation)),
                           out_elems * (swiglu ? kSwigluOpsPerElement : kGeluOpsPerElement),
                           out_elems * (m.ffn_matrices() - 1) + out_elems);
      act.shapes = tensor("BLF", {{'B', sh_.batch}, {'F', sh_.columns}});
      layer.ops.push_back(act);
    }

    add_collective(layer, p + "allgather_{}", CollectiveKind::all_gather, sh_.middle,
                   Bytes(M * k_out) * act_, blk.out_name,
                   fmt::format("{} -> {}", cols_split(sh_.columns), cols_split(sh_.f_used)));
    add_collective(layer, p + "weight_allgather_{}_out", CollectiveKind::all_gather,
                   sh_.weight_gather, Bytes(k_out * k_in) * wb_, blk.out_name,
                   fmt::format("{} -> {}",
                               tensor(cols + "E", {{blk.col_split, sh_.weight_f_stored},
                                                   {'E', sh_.weight_e_stored}}),
                               w_out_used),
                   true);
    Op out = einsum(blk.out_name, fmt::format("BL{},{}E->BLE", cols, cols), M, k_out, k_in, 1);
    out.weight_bytes = Bytes(k_out * k_in) * wb_;
    out.activation_bytes = Bytes(M * k_out + M * k_in) * act_;
    out.shapes = fmt::format("{}, {} -> {}{}", cols_split(sh_.f_used), w_out_used, x_used,
                             partialsum(nontrivial_axes(sh_.f_used, s_.shape)));
    layer.ops.push_back(out);
    add_collective(layer, p + "reducescatter_{}", CollectiveKind::reduce_scatter, sh_.gather_in,
                   Bytes(M * k_in) * act_, blk.out_name,
                   fmt::format("{}{} -> {}", x_used,
                               partialsum(nontrivial_axes(sh_.f_used, s_.shape)), residual("BLE")));

    Op add = elementwise(p + "residual_add", res_elems * kResidualAddOpsPerElement, 3 * res_elems);
    add.shapes = residual("BLE");
    layer.ops.push_back(add);
  }

  // One part of a pass's attention: the batch's new tokens, or (mixed steps) the prompt's chunk.
  // Each has its own sequences, lengths and attention sharding; the projections before and after
  // the attention core see the rows of every part at once.
  struct AttnPart {
    std::string prefix;  // "" when the pass has one part; "decode_" / "chunk_" in mixed steps
    Sharding sh;
    KvHeads kvh;
    long long sequences;  // B of the part
    long long L;          // new tokens per sequence
    long long T;          // attended positions per sequence
    long long M;          // rows per chip of the projections
  };

  // The attention of the layer (M rows per chip in the projections). One part, or in a mixed
  // step two: the decode batch over its KV cache with the scenario's attention sharding, and the
  // prompt's chunk, causally over the prompt so far, head-sharded (chunk_scenario). Parts with
  // the same sharding share the K/V projection and RoPE (one op over all their rows), as a
  // chunked-prefill kernel does (SARATHI, arXiv 2308.16369: the linear layers of one fused pass
  // take the prefill chunk's and the decodes' rows together, the attention handles them
  // separately); parts with different shardings each have their own.
  void add_attention(LayerTrace& layer, long long M) {
    std::vector<AttnPart> parts;
    const long long m_decode = M - C_;
    parts.push_back({C_ > 0 ? "decode_" : "", sh_, scenario_kv_heads(s_), s_.batch, L_, T_,
                     m_decode});
    if (C_ > 0) {
      const Scenario c = chunk_scenario(s_);
      parts.push_back({"chunk_", scenario_sharding(c), scenario_kv_heads(c), 1, C_, TC_, C_});
    }
    if (parts.size() == 2 && parts[0].sh.attention == parts[1].sh.attention) {
      project(layer, parts[0], M, "");
      for (const AttnPart& part : parts) attention_core(layer, part);
      return;
    }
    for (const AttnPart& part : parts) {
      project(layer, part, part.M, part.prefix);
      attention_core(layer, part);
    }
  }

  // K/V projection (multiquery or grouped, unless fused), RoPE and, for batch-sharded attention,
  // the all-to-all of Q (and fused K, V) to the batch split, over M rows per chip with the
  // sharding of `part`. Their names carry no block prefix (a layer has one attention), only the
  // part's `prefix`.
  void project(LayerTrace& layer, const AttnPart& part, long long M, const std::string& prefix) {
    const Sharding& sh = part.sh;
    const ModelSpec& m = s_.model;
    const long long Q = m.d_head, H = s_.heads_used(), KV = s_.kv_heads_used();
    const long long E = m.d_model;
    const long long n_eu = size(sh.e_used), n_c = size(sh.columns);
    const KvHeads& kvh = part.kvh;
    const bool own_kv = !kvh.fused;  // a K/V projection of its own
    const bool mq = m.multiquery();
    // The K/V heads of the own projection, in the notation: multiquery has one (no H letter),
    // grouped K/V heads split over kvh.split.
    const long long g = own_kv ? kvh.projected : 0;
    const auto kv_t = [&](std::string_view mq_dims, std::string_view gq_dims, const AxisSet& b,
                          const AxisSet& e) {
      return mq ? tensor(mq_dims, {{'B', b}, {'E', e}})
                : tensor(gq_dims, {{'B', b}, {'E', e}, {'H', kvh.split}});
    };

    // Local head columns (H x d_head / n_c): whole heads for head-sharded attention, possibly a
    // part of a head for batch-sharded attention (validate_scenario checks they divide).
    long long k_elems = M * (KV * Q / n_c);  // K of local heads for RoPE (fused)
    if (own_kv) {
      // The K/V heads' weight: E_{e_used} x g heads, replicated over the other axes. Head-sharded
      // attention needs every sequence's K/V on every chip of a head group, so those chips
      // compute it redundantly and all-reduce the partial sums; batch-sharded attention gives
      // each chip only its own sequences (paper §3.3, Figure 5).
      add_collective(layer, prefix + "weight_allgather_{}_kv", CollectiveKind::all_gather,
                     sh.kv_weight_gather, Bytes(E / n_eu * 2 * g * Q) * wb_, prefix + "kv_proj",
                     fmt::format("{} -> {}", kv_t("EQ", "EHQ", {}, sh.weight_e_stored),
                                 kv_t("EQ", "EHQ", {}, sh.e_used)),
                     true);
      const AxisSet kv_batch = axes_union(sh.batch, sh.kv_batch_split);
      const long long m_kv = M / size(sh.kv_batch_split);
      Op kv = einsum(prefix + "kv_proj", mq ? "BLE,EQ->BLQ" : "BLE,EHQ->BLHQ", m_kv, E / n_eu,
                     2 * g * Q, 1);
      kv.redundant_flops =
          kv.flops * (1.0 - 1.0 / double(size(axes_minus(sh.kv_replicated, kvh.split))));
      kv.weight_bytes = Bytes(E / n_eu * 2 * g * Q) * wb_;
      kv.activation_bytes = Bytes(m_kv * E / n_eu + m_kv * 2 * g * Q) * act_;
      const std::string kv_out = kv_t("BLQ", "BLHQ", kv_batch, {});
      const AxisSet eu = nontrivial_axes(sh.e_used, s_.shape);
      kv.shapes = fmt::format("{}, {} -> {}{} (K and V)",
                              tensor("BLE", {{'B', kv_batch}, {'E', sh.e_used}}),
                              kv_t("EQ", "EHQ", {}, sh.e_used), kv_out, partialsum(eu));
      layer.ops.push_back(kv);
      if (sh.kv_all_reduce) {
        add_collective(layer, prefix + "allreduce_{}_kv", CollectiveKind::all_reduce, sh.e_used,
                       Bytes(m_kv * 2 * g * Q) * act_, "",
                       fmt::format("{}{} -> {}", kv_out, partialsum(eu), kv_out));
        k_elems = m_kv * g * Q;
      } else {
        add_collective(layer, prefix + "reducescatter_{}_kv", CollectiveKind::reduce_scatter,
                       sh.e_used, Bytes(m_kv * 2 * g * Q) * act_, "",
                       fmt::format("{}{} -> {}", kv_out, partialsum(eu),
                                   kv_t("BLQ", "BLHQ", axes_union(kv_batch, sh.e_used), {})));
        k_elems = m_kv / n_eu * g * Q;
      }
    }

    const long long q_elems = M * (H * Q / n_c);
    Op rope = elementwise(prefix + "rope", double(q_elems + k_elems) * kRopeOpsPerElement,
                          2 * (q_elems + k_elems));
    rope.shapes = tensor("BLHQ", {{'B', sh.batch}, {'H', sh.columns}});
    layer.ops.push_back(rope);

    // Batch-sharded attention: Q (and fused K, V) move from heads-split to batch-split.
    const long long a2a_elems = q_elems + (own_kv ? 0 : 2 * M * (KV * Q / n_c));
    add_collective(layer, prefix + "alltoall_{}_q", CollectiveKind::all_to_all, sh.all_to_all,
                   Bytes(a2a_elems) * act_, "",
                   fmt::format("{} -> {}", heads_split(sh), batch_split(sh)));
  }

  std::string heads_split(const Sharding& sh) const {
    return tensor("BLHQ", {{'B', sh.batch}, {'H', sh.columns}});
  }
  std::string batch_split(const Sharding& sh) const {
    return tensor("BLHQ", {{'B', sh.attn_batch}, {'H', sh.attn_heads}});
  }

  // The attention core of one part (QK^T, softmax, AV over its T attended positions) and, for
  // batch-sharded attention, the all-to-all of its output back to the heads split.
  void attention_core(LayerTrace& layer, const AttnPart& part) {
    const Sharding& sh = part.sh;
    const ModelSpec& m = s_.model;
    const long long Q = m.d_head, H = s_.heads_used();
    const bool mq = m.multiquery();
    const std::string& prefix = part.prefix;
    const long long L = part.L, T = part.T;
    // Sequences and queries per chip: whole sequences over attn_batch, or with a token split
    // (never in a mixed step) sequences over attn_batch - attn_tokens of L / |attn_tokens|
    // queries each.
    const long long ba = part.sequences / size(axes_minus(sh.attn_batch, sh.attn_tokens));
    const long long lq = L / size(sh.attn_tokens);
    const long long ha = H / size(sh.attn_heads);
    const long long kva = part.kvh.attended;  // K/V heads cached and read per chip
    const Bytes kv_read = Bytes(ba * T * kva * Q) * act_;  // K (or V) of every attended position
    // The query heads sharing one K/V head fold into the matmul's M dimension (multiquery: all
    // local heads; grouped: ha / kva each; multihead: none).
    const long long group = ha % kva == 0 ? ha / kva : 1;
    const long long mm_m = lq * group;
    const long long mm_batch = ba * (ha / group);
    const std::string k_cache = mq ? tensor("BTQ", {{'B', sh.attn_batch}})
                                   : tensor("BTHQ", {{'B', sh.attn_batch}, {'H', sh.attn_heads}});
    const std::string scores_t = tensor("BLHT", {{'B', sh.attn_batch}, {'H', sh.attn_heads}});

    // Token split: a chip's queries need the K/V of the earlier positions of their sequences,
    // computed by the other chips of the token group: an all-gather of K and V over the
    // attention's token axes (all-gather context parallelism, Llama 3, arXiv 2407.21783,
    // §3.3.2; partition/layout.hpp). Each chip then holds all T positions of its sequences' K/V
    // heads, of which causality uses the earlier ones (zig-zag chunks: the same share on every
    // chip). Not overlapped: its latency is exposed, as there.
    if (sh.token_split()) {
      const std::string kv_local =
          mq ? tensor("BLQ", {{'B', sh.attn_batch}})
             : tensor("BLHQ", {{'B', sh.attn_batch}, {'H', sh.attn_heads}});
      add_collective(layer, prefix + "allgather_{}_kv_positions", CollectiveKind::all_gather,
                     sh.attn_tokens, 2 * kv_read, "",
                     fmt::format("{} -> {} (K and V of every position; zig-zag chunks)", kv_local,
                                 k_cache));
    }

    Op scores = einsum(prefix + "attn_scores", mq ? "BLHQ,BTQ->BLHT" : "BLHQ,BTHQ->BLHT", mm_m, Q,
                       T, mm_batch);
    scores.attention_flops = scores.flops;
    scores.kv_bytes = kv_read;
    scores.activation_bytes = Bytes(ba * lq * ha * Q + ba * lq * ha * T) * act_;
    scores.shapes = fmt::format("{}, {} -> {}", batch_split(sh), k_cache, scores_t);
    layer.ops.push_back(scores);

    const long long score_elems = ba * lq * ha * T;
    Op softmax = elementwise(prefix + "softmax", double(score_elems) * kSoftmaxOpsPerElement,
                             2 * score_elems);
    softmax.shapes = scores_t;
    layer.ops.push_back(softmax);

    Op values = einsum(prefix + "attn_values", mq ? "BLHT,BTQ->BLHQ" : "BLHT,BTHQ->BLHQ", mm_m, T,
                       Q, mm_batch);
    values.attention_flops = values.flops;
    values.kv_bytes = kv_read;
    values.activation_bytes = Bytes(score_elems + ba * lq * ha * Q) * act_;
    values.shapes = fmt::format("{}, {} -> {}", scores_t, k_cache, batch_split(sh));
    layer.ops.push_back(values);

    const long long q_elems = part.M * (H * Q / size(sh.columns));
    add_collective(layer, prefix + "alltoall_{}_out", CollectiveKind::all_to_all, sh.all_to_all,
                   Bytes(q_elems) * act_, "",
                   fmt::format("{} -> {}", batch_split(sh), heads_split(sh)));
  }

  const Scenario& s_;
  Sharding sh_;
  long long L_;  // new tokens per sequence
  long long T_;  // attended positions per sequence
  long long C_ = 0;   // mixed steps: tokens of the prompt's chunk (0 otherwise)
  long long TC_ = 0;  // mixed steps: the chunk's attended positions (the prompt so far)
  bool chunk_last_ = false;  // mixed steps: the chunk ends the prompt (its logits are computed)
  Bytes act_;
  Bytes wb_;
  bool looped_;
};

}  // namespace

StepTrace generate_step(const Scenario& scenario, Phase step_phase, long long new_tokens,
                        long long context) {
  PODSIM_CHECK(step_phase == Phase::prefill || step_phase == Phase::decode,
               "a step is a prefill or a decode pass");
  PODSIM_CHECK(new_tokens >= 1 && context >= 0, "bad step lengths {} {}", new_tokens, context);
  StepTrace step;
  step.phase = step_phase;
  step.batch = scenario.batch;
  step.new_tokens = new_tokens;
  step.context = context;
  LayerBuilder builder(scenario, new_tokens, context);
  step.layers.push_back(builder.embedding());
  step.layers.push_back(builder.transformer());
  step.layers.push_back(builder.final_layer());
  return step;
}

StepTrace generate_mixed_step(const Scenario& scenario, long long context,
                              long long chunk_tokens, long long chunk_context) {
  PODSIM_CHECK(context >= 0 && chunk_tokens >= 0 && chunk_context >= 0,
               "bad mixed step lengths {} {} {}", context, chunk_tokens, chunk_context);
  StepTrace step;
  step.phase = Phase::mixed;
  step.batch = scenario.batch;
  step.new_tokens = 1;
  step.context = context;
  step.chunk_tokens = chunk_tokens;
  step.chunk_context = chunk_context;
  const bool last =
      chunk_tokens > 0 && chunk_context + chunk_tokens == scenario.prompt_tokens;
  LayerBuilder builder(scenario, 1, context, chunk_tokens, chunk_context, last);
  step.layers.push_back(builder.embedding());
  step.layers.push_back(builder.transformer());
  step.layers.push_back(builder.final_layer());
  return step;
}

std::string_view kv_transition_kind_name(KvTransition::Kind kind) {
  switch (kind) {
    case KvTransition::Kind::none:
      return "none";
    case KvTransition::Kind::local:
      return "local";
    case KvTransition::Kind::all_to_all:
      return "all-to-all";
    case KvTransition::Kind::all_gather:
      return "all-gather";
  }
  return "?";
}

namespace {

// The KV cache of one phase's layout after the prefill: per chip and layer.
struct CacheLayout {
  AxisSet sequences;  // the batch axes of the attention core (whole sequences)
  AxisSet positions;  // a token-split prefill's: the axes its positions split over
  AxisSet heads;      // the axes its K/V heads split over (none for multiquery)
  long long kv_heads = 0;  // K/V heads per chip
  Bytes bytes_per_layer = 0;
  std::string notation;
};

CacheLayout cache_layout(const Scenario& p) {
  const Sharding sh = scenario_sharding(p);
  const KvHeads kvh = scenario_kv_heads(p);
  CacheLayout c;
  c.sequences = nontrivial_axes(axes_minus(sh.attn_batch, sh.attn_tokens), p.shape);
  c.positions = nontrivial_axes(sh.attn_tokens, p.shape);
  c.heads = p.model.multiquery() ? AxisSet{}
                                 : nontrivial_axes(kvh.fused ? sh.attn_heads : kvh.split, p.shape);
  c.kv_heads = kvh.attended;
  // 2 (K and V) x positions x K/V heads x d_head, in bf16 (memory_plan.hpp), per sequence.
  // A token-split prefill leaves each chip its own positions (zig-zag chunks, layout.hpp).
  c.bytes_per_layer = Bytes(p.batch / axes_size(c.sequences, p.shape)) *
                      Bytes(p.input_tokens / axes_size(c.positions, p.shape)) * 2 *
                      Bytes(c.kv_heads) * Bytes(p.model.d_head) * kBf16Bytes;
  // Grouped K/V heads that do not divide over the head-sharded columns are cached in groups
  // (kv_heads_for): a chip holds the KvHeads::attended heads its query heads use.
  const DimSplit b{'B', c.sequences}, t{'T', c.positions};
  c.notation = p.model.multiquery() ? tensor_notation("BTQ", {b, t})
               : kvh.fused          ? tensor_notation("BTHQ", {b, t, {'H', c.heads}})
                                    : fmt::format("{} ({} of {} K/V heads per chip)",
                                                  tensor_notation("BTHQ", {b, t}),
                                                  c.kv_heads, p.kv_heads_used());
  return c;
}

bool subset(const AxisSet& a, const AxisSet& b) { return axes_minus(a, b).empty(); }

}  // namespace

KvTransition kv_transition(const Scenario& s) {
  KvTransition t;
  if (!s.per_phase()) return t;
  PODSIM_CHECK(!s.layout_undecided(), "kv_transition needs both phases' layouts decided");
  const CacheLayout a = cache_layout(phase_scenario(s, Phase::prefill));
  const CacheLayout b = cache_layout(phase_scenario(s, Phase::decode));
  const Bytes layers = Bytes(s.model.layers);
  t.cache_bytes_prefill = a.bytes_per_layer * layers;
  t.cache_bytes_decode = b.bytes_per_layer * layers;
  t.from = a.notation;
  t.to = b.notation;
  if (a.sequences == b.sequences && a.positions == b.positions && a.heads == b.heads &&
      a.kv_heads == b.kv_heads)
    return t;
  // What the decode needs of a chip is a part of what the prefill left there.
  if (subset(a.sequences, b.sequences) && subset(a.positions, b.positions) &&
      b.kv_heads <= a.kv_heads && b.bytes_per_layer <= a.bytes_per_layer) {
    t.kind = KvTransition::Kind::local;
    return t;
  }
  const auto changed = [](const AxisSet& x, const AxisSet& y) {
    return axes_union(axes_minus(x, y), axes_minus(y, x));
  };
  if (a.bytes_per_layer == b.bytes_per_layer) {
    const AxisSet moved = nontrivial_axes(
        axes_union(axes_union(changed(a.sequences, b.sequences), changed(a.heads, b.heads)),
                   changed(a.positions, b.positions)),
        s.shape);
    if (!moved.empty()) {
      t.kind = KvTransition::Kind::all_to_all;
      t.axes = moved;
      t.bytes_per_layer = a.bytes_per_layer;
      return t;
    }
  }
  // A batch-sharded multiquery cache that the decode replicates, or a token-split prefill's
  // positions that the decode needs whole: gathered over the axes they leave.
  const AxisSet gathered = nontrivial_axes(
      axes_union(axes_minus(a.sequences, b.sequences), axes_minus(a.positions, b.positions)),
      s.shape);
  if (b.bytes_per_layer > a.bytes_per_layer && subset(b.sequences, a.sequences) &&
      subset(b.positions, a.positions) && !gathered.empty() &&
      b.bytes_per_layer == a.bytes_per_layer * Bytes(axes_size(gathered, s.shape))) {
    t.kind = KvTransition::Kind::all_gather;
    t.axes = gathered;
    t.bytes_per_layer = b.bytes_per_layer;
    return t;
  }
  const std::string key = s.where.contains("attention.decode") ? "attention.decode" : "attention";
  throw InputError(s.location_of(key), key,
                   fmt::format("the KV cache would move from {} (prefill) to {} (decode), which "
                               "podsim cannot lower as one all-to-all or all-gather; give both "
                               "phases the same attention sharding",
                               a.notation, b.notation));
}

std::optional<StepTrace> transition_step(const Scenario& s) {
  const KvTransition t = kv_transition(s);
  if (t.kind != KvTransition::Kind::all_to_all && t.kind != KvTransition::Kind::all_gather)
    return std::nullopt;
  StepTrace step;
  step.phase = Phase::prefill;
  step.transition = true;
  step.batch = s.batch;
  step.new_tokens = 0;
  step.context = s.input_tokens;
  LayerTrace layer{"kv_transition", static_cast<int>(s.model.layers), {}};
  Op op;
  op.kind = OpKind::collective;
  const bool a2a = t.kind == KvTransition::Kind::all_to_all;
  op.name = fmt::format("{}_{}_kv_cache", a2a ? "alltoall" : "allgather", t.axes.name());
  op.shapes = fmt::format("{} -> {} (K and V of one layer, {} positions)", t.from, t.to,
                          s.input_tokens);
  op.collective.kind = a2a ? CollectiveKind::all_to_all : CollectiveKind::all_gather;
  op.collective.axes = t.axes;
  op.collective.bytes = t.bytes_per_layer;
  op.collective.multi_axis = s.platform.multi_axis;
  // The cache is read from HBM where it lies and written where the decode reads it.
  op.kv_bytes = a2a ? 2 * t.bytes_per_layer
                    : t.bytes_per_layer + t.bytes_per_layer / Bytes(axes_size(t.axes, s.shape));
  layer.ops.push_back(std::move(op));
  step.layers.push_back(std::move(layer));
  return step;
}

OpTotals totals(const LayerTrace& layer) {
  OpTotals t;
  for (const Op& op : layer.ops) {
    t.flops += op.flops;
    t.attention_flops += op.attention_flops;
    t.redundant_flops += op.redundant_flops;
    t.weight_bytes += op.weight_bytes;
    t.kv_bytes += op.kv_bytes;
    t.activation_bytes += op.activation_bytes;
    if (op.kind == OpKind::collective) t.collective_bytes += op.collective.bytes;
  }
  return t;
}

OpTotals totals(const StepTrace& step) {
  OpTotals t;
  for (const LayerTrace& layer : step.layers) {
    const OpTotals l = totals(layer);
    const double r = layer.repeat;
    t.flops += l.flops * r;
    t.attention_flops += l.attention_flops * r;
    t.redundant_flops += l.redundant_flops * r;
    t.weight_bytes += l.weight_bytes * Bytes(layer.repeat);
    t.kv_bytes += l.kv_bytes * Bytes(layer.repeat);
    t.activation_bytes += l.activation_bytes * Bytes(layer.repeat);
    t.collective_bytes += l.collective_bytes * Bytes(layer.repeat);
  }
  return t;
}

}  // namespace podsim
