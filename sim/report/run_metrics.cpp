#include "sim/report/run_metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/analytic/collective_cost.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/program/trace_program.hpp"
#include "sim/workload/op_cost.hpp"
#include "sim/workload/step_generator.hpp"
#include "sim/workload/trace_json.hpp"

namespace podsim {

Breakdown& Breakdown::operator+=(const Breakdown& o) {
  compute_s += o.compute_s;
  weight_load_s += o.weight_load_s;
  kv_load_s += o.kv_load_s;
  exposed_comm_s += o.exposed_comm_s;
  other_s += o.other_s;
  comm_s += o.comm_s;
  comm_overhead_s += o.comm_overhead_s;
  return *this;
}

namespace {

// Per einsum and element-wise op: its core time counts as compute; HBM time beyond it as weight,
// KV-cache or activation loading (in proportion to the bytes); its fixed overhead as other. The
// rest of the simulated step is communication no op overlapped, up to the collectives' own time
// (comm_s); what is left beyond that is the collectives' cost over their closed form
// (comm_overhead_s), counted as other, so that exposed + hidden = comm_s.
Breakdown step_breakdown(const StepTrace& step, const Scenario& scenario, Seconds step_s) {
  const ChipSpec& chip = scenario.platform.chip;
  const double hbm_bytes_per_s = chip.effective_hbm_bytes_per_s();
  Breakdown b;
  Seconds ops_s = 0;
  for (const LayerTrace& layer : step.layers) {
    // A looped einsum's core work runs at loop_chunk_efficiency of its rate: that is compute
    // time too, not communication left exposed.
    const std::map<std::size_t, std::size_t> loops = kept_loops(scenario.shape, scenario, layer);
    for (std::size_t i = 0; i < layer.ops.size(); ++i) {
      const Op& op = layer.ops[i];
      if (op.kind == OpKind::collective) {
        // Valid: the replay validated every collective before it simulated.
        b.comm_s += layer.repeat * (collective_estimate(op.collective, scenario.shape, chip).time_s +
                                    chip.collective_overhead_s);
        continue;
      }
      const EinsumWork work = work_of(op, scenario);
      const Seconds core =
          loops.count(i) != 0 ? loop_core_seconds(work, chip) : core_seconds(work, chip);
      const Seconds memory = static_cast<double>(work.hbm_bytes) / hbm_bytes_per_s;
      const double n = layer.repeat;
      b.compute_s += n * core;
      if (memory > core) {
        const double excess = n * (memory - core) / static_cast<double>(work.hbm_bytes);
        b.weight_load_s += excess * static_cast<double>(op.weight_bytes);
        b.kv_load_s += excess * static_cast<double>(op.kv_bytes);
        b.other_s += excess * static_cast<double>(op.activation_bytes);
      }
      b.other_s += n * chip.op_overhead_s;
      ops_s += n * (std::max(core, memory) + chip.op_overhead_s);
    }
  }
  const Seconds residual_s = std::max(0.0, step_s - ops_s);
  b.exposed_comm_s = std::min(residual_s, b.comm_s);
  b.comm_overhead_s = residual_s - b.exposed_comm_s;
  b.other_s += b.comm_overhead_s;
  return b;
}

double mfu_of(double parameters, double tokens, const Scenario& s, Seconds time_s) {
  if (time_s <= 0) return 0;
  return 2.0 * parameters * tokens /
         (static_cast<double>(s.chips()) * s.platform.chip.peak_flops_per_s * time_s);
}

// Per phase: a step's communication on its own, how much of it was hidden, how much exposed.
std::string comm_text(const Trace& trace, const RunMetrics& m) {
  std::string out;
  for (const Phase phase : {Phase::prefill, Phase::mixed, Phase::decode}) {
    Breakdown sum;
    int steps = 0;
    for (std::size_t i = 0; i < m.step_breakdowns.size(); ++i)
      if (trace.steps.phase(i) == phase && trace.steps.phase_label(i) == phase_name(phase)) {
        sum += m.step_breakdowns[i];
        ++steps;
      }
    if (steps == 0 || sum.comm_s <= 0) continue;
    const double per = 1.0 / steps;
    out += fmt::format(
        "  {:<18} {:.3f} ms of collectives per step: {:.3f} ms hidden ({:.0f}%), {:.3f} ms "
        "exposed\n",
        std::string(phase_name(phase)) + " comm", sum.comm_s * per * 1e3, sum.hidden_comm_s() * per * 1e3,
        100 * sum.hidden_comm_s() / sum.comm_s, sum.exposed_comm_s * per * 1e3);
    if (sum.comm_overhead_s > 0)
      out += fmt::format(
          "  {:<18} {:.3f} ms per step beyond the collectives' closed form (loop chunks, hop "
          "latency, contention), in other\n",
          "", sum.comm_overhead_s * per * 1e3);
  }
  return out;
}

// What moves between the phases of a per-phase run: the KV cache (kv_transition) and not the
// weights (validate_scenario refuses layouts that store them differently).
nlohmann::json transition_json(const Trace& trace, const RunMetrics& m) {
  const KvTransition t = kv_transition(trace.scenario);
  nlohmann::json j = {{"kv_cache", kv_transition_kind_name(t.kind)},
                      {"kv_from", t.from},
                      {"kv_to", t.to},
                      {"kv_cache_bytes_prefill", t.cache_bytes_prefill},
                      {"kv_cache_bytes_decode", t.cache_bytes_decode},
                      {"duration_s", m.transition_s},
                      {"weights_move", false}};
  if (!t.axes.empty()) {
    j["axes"] = t.axes.name();
    j["bytes_per_chip"] = t.bytes_per_layer * Bytes(trace.scenario.model.layers);
  }
  return j;
}

// The mixed run's numbers (docs/outputs.md): the prompt's chunks, its time to first token, the
// decode batch's per-token latency with and without a chunk beside it.
nlohmann::json mixed_json(const Trace& trace, const RunMetrics& m) {
  const Scenario& s = trace.scenario;
  nlohmann::json j = {{"decode_batch", s.batch},
                      {"prompt_tokens", s.prompt_tokens},
                      {"chunk_tokens", s.chunk_tokens},
                      {"mixed_steps", m.mixed_steps_s.size()},
                      {"decode_only_steps", m.decode_steps_s.size() - m.mixed_steps_s.size()},
                      {"time_to_first_token_s", m.time_to_first_token_s},
                      {"decode_token_latency_s", m.decode_step_s},
                      {"mixed_step_s", m.mixed_step_s},
                      {"decode_only_step_s", m.decode_only_step_s},
                      {"chunk_attention", "heads"}};
  j["mixed_over_decode_only"] =
      m.decode_only_step_s > 0 ? nlohmann::json(m.mixed_step_s / m.decode_only_step_s)
                               : nlohmann::json(nullptr);
  return j;
}

std::string mixed_text(const Trace& trace, const RunMetrics& m) {
  const Scenario& s = trace.scenario;
  const auto ms = [](Seconds t) { return format_seconds(t, TimeUnit::ms, decimals(3)); };
  const std::size_t n = m.mixed_steps_s.size(), alone = m.decode_steps_s.size() - n;
  std::string out = fmt::format(
      "  mixed steps        {} of {}: {} decode tokens + a chunk of up to {} prompt tokens each, "
      "{} per step (first {}, last {})\n",
      n, m.decode_steps_s.size(), s.batch, s.chunk_tokens, ms(m.mixed_step_s),
      ms(m.mixed_steps_s.front()), ms(m.mixed_steps_s.back()));
  out += fmt::format("  time to first token {} (the {}-token prompt in {} chunk{} of {})\n",
                     ms(m.time_to_first_token_s), s.prompt_tokens, n, n == 1 ? "" : "s",
                     s.chunk_tokens);
  if (alone > 0)
    out += fmt::format(
        "  decode-only step   {} (the {} step{} after the prompt's prefill); a mixed step takes "
        "{:.3f}x ({:+.1f}%)\n",
        ms(m.decode_only_step_s), alone, alone == 1 ? "" : "s",
        m.mixed_step_s / m.decode_only_step_s,
        100 * (m.mixed_step_s / m.decode_only_step_s - 1));
  return out;
}

std::string transition_text(const Trace& trace, const RunMetrics& m) {
  const KvTransition t = kv_transition(trace.scenario);
  std::string kv;
  switch (t.kind) {
    case KvTransition::Kind::none:
      kv = fmt::format("KV cache stays {} (same sharding in both phases)", t.from);
      break;
    case KvTransition::Kind::local:
      kv = fmt::format("KV cache {} -> {}: each chip keeps its part, nothing moves", t.from, t.to);
      break;
    default:
      kv = fmt::format("KV cache {} -> {}: {} over {} of {} per chip, {}", t.from, t.to,
                       kv_transition_kind_name(t.kind), t.axes.name(),
                       format_bytes(static_cast<double>(t.bytes_per_layer) *
                                    static_cast<double>(trace.scenario.model.layers)),
                       format_seconds(m.transition_s, TimeUnit::ms, decimals(3)));
  }
  return fmt::format("  transition         {}; weights stay (both layouts store them alike)\n",
                     kv);
}

}  // namespace

RunMetrics compute_metrics(const Trace& trace, const std::vector<Seconds>& step_s,
                           const std::string& path) {
  const Scenario& s = trace.scenario;
  RunMetrics m;
  m.path = path;
  m.memory = trace.memory;
  m.step_s = step_s;
  double prefill_tokens = 0, decode_tokens = 0;
  for (std::size_t i = 0; i < trace.steps.size(); ++i) {
    const StepTrace& step = trace.steps[i];
    const Seconds t = step_s.at(i);
    m.step_breakdowns.push_back(step_breakdown(step, s, t));
    m.breakdown += m.step_breakdowns.back();
    if (step.transition) {
      m.transition_s += t;  // no tokens: it only moves the KV cache
    } else if (step.phase == Phase::prefill) {
      m.prefill_s += t;
      prefill_tokens += static_cast<double>(step.batch * step.new_tokens);
    } else {
      // A mixed step is a decode step of the batch that also prefills chunk_tokens of the prompt.
      m.decode_steps_s.push_back(t);
      m.decode_s += t;
      decode_tokens += static_cast<double>(step.batch * step.new_tokens + step.chunk_tokens);
      if (step.phase == Phase::mixed) {
        m.mixed_steps_s.push_back(t);
        m.time_to_first_token_s += t;
      } else if (s.phase == Phase::mixed) {
        m.decode_only_step_s += t;
      }
    }
  }
  if (!m.decode_steps_s.empty()) m.decode_step_s = m.decode_s / m.decode_steps_s.size();
  if (!m.mixed_steps_s.empty()) {
    m.mixed_step_s = m.time_to_first_token_s / static_cast<double>(m.mixed_steps_s.size());
    const std::size_t alone = m.decode_steps_s.size() - m.mixed_steps_s.size();
    if (alone > 0) m.decode_only_step_s /= static_cast<double>(alone);
  }
  m.total_s = m.prefill_s + m.transition_s + m.decode_s;
  // MFU counts the matmul FLOPs of the unpadded model (platforms/README.md §2).
  const double n = s.model.parameters(false);
  m.prefill_mfu = mfu_of(n, prefill_tokens, s, m.prefill_s);
  m.decode_mfu = mfu_of(n, decode_tokens, s, m.decode_s);
  m.mfu = mfu_of(n, prefill_tokens + decode_tokens, s, m.total_s);
  const double tokens = prefill_tokens + decode_tokens;
  m.cost_chip_s_per_token = tokens > 0 ? static_cast<double>(s.chips()) * m.total_s / tokens : 0;
  return m;
}

nlohmann::json metrics_json(const Trace& trace, const RunMetrics& m) {
  nlohmann::json doc;
  doc["scenario"] = nlohmann::json(scenario_to_json(trace.scenario));  // keys sorted
  doc["path"] = m.path;
  // Only where d_model does not divide (so that other runs' JSON is unchanged).
  if (const std::string note = residual_batch_note(trace.scenario); !note.empty())
    doc["residual_stream"] = note;
  // Only where the prefill splits tokens (so that other runs' JSON is unchanged).
  if (const std::string note = token_split_note(phase_scenario(trace.scenario, Phase::prefill));
      !note.empty() && trace.scenario.phase != Phase::decode)
    doc["token_split"] = note;
  // Only on an uncalibrated platform (so that other runs' JSON is unchanged; docs/outputs.md).
  if (!trace.scenario.platform.calibrated) {
    doc["platform_calibrated"] = false;
    doc["calibration_note"] = uncalibrated_note(trace.scenario.platform);
  }
  doc["prefill_s"] = m.prefill_s;
  doc["decode_step_s"] = m.decode_step_s;
  doc["decode_s"] = m.decode_s;
  doc["decode_steps_s"] = m.decode_steps_s;
  doc["total_s"] = m.total_s;
  doc["mfu"] = m.mfu;
  doc["prefill_mfu"] = m.prefill_mfu;
  doc["decode_mfu"] = m.decode_mfu;
  doc["cost_chip_s_per_token"] = m.cost_chip_s_per_token;
  doc["breakdown"] = {{"compute_s", m.breakdown.compute_s},
                      {"weight_load_s", m.breakdown.weight_load_s},
                      {"kv_load_s", m.breakdown.kv_load_s},
                      {"exposed_comm_s", m.breakdown.exposed_comm_s},
                      {"other_s", m.breakdown.other_s},
                      {"comm_s", m.breakdown.comm_s},
                      {"hidden_comm_s", m.breakdown.hidden_comm_s()},
                      {"comm_overhead_s", m.breakdown.comm_overhead_s}};
  nlohmann::json steps = nlohmann::json::array();
  for (std::size_t i = 0; i < m.step_breakdowns.size(); ++i) {
    const Breakdown& b = m.step_breakdowns[i];
    steps.push_back({{"phase", trace.steps.phase_label(i)},
                     {"duration_s", m.step_s[i]},
                     {"comm_s", b.comm_s},
                     {"hidden_comm_s", b.hidden_comm_s()},
                     {"exposed_comm_s", b.exposed_comm_s},
                     {"comm_overhead_s", b.comm_overhead_s}});
    if (trace.steps.phase(i) == Phase::mixed) {
      const StepTrace step = trace.steps[i];
      steps.back()["chunk_tokens"] = step.chunk_tokens;
      steps.back()["chunk_context"] = step.chunk_context;
    }
  }
  doc["steps"] = steps;
  // Mixed runs only (other runs' JSON is unchanged).
  if (trace.scenario.phase == Phase::mixed) doc["mixed"] = mixed_json(trace, m);
  // Per-phase layouts only (other runs' JSON is unchanged).
  if (trace.scenario.per_phase()) {
    nlohmann::json layouts;
    for (const Phase phase : {Phase::prefill, Phase::decode}) {
      const Scenario p = phase_scenario(trace.scenario, phase);
      layouts[std::string(phase_name(phase))] = {{"ffn_layout", ffn_layout_name(p.ffn_layout)},
                                                 {"attention", attn_sharding_name(p.attention)}};
    }
    doc["layouts"] = layouts;
    doc["transition"] = transition_json(trace, m);
  }
  doc["memory"] = {{"weights_bytes", m.memory.weights_bytes},
                   {"kv_bytes", m.memory.kv_bytes},
                   {"activation_bytes", m.memory.activation_bytes},
                   {"hbm_bytes", m.memory.hbm_bytes},
                   {"fits", m.memory.fits}};
  return doc;
}

std::string uncalibrated_note(const Platform& p) {
  return fmt::format("{} is not calibrated (calibrated: false in its platform file): its "
                     "efficiency and overhead terms are not fitted to its measurements, so these "
                     "times are estimates",
                     p.name);
}

std::string scenario_summary(const Scenario& s) {
  const std::string tokens =
      s.phase == Phase::prefill
          ? fmt::format("{} input tokens", s.input_tokens)
      : s.phase == Phase::mixed
          ? fmt::format("{} cached + {} generated tokens, and a {}-token prompt prefilled {} per "
                        "step",
                        s.input_tokens, s.generate_tokens, s.prompt_tokens, s.chunk_tokens)
          : fmt::format("{} {} + {} generated tokens", s.input_tokens,
                        s.phase == Phase::decode ? "cached" : "input", s.generate_tokens);
  return fmt::format("{}, {} on {} ({} chips): batch {}, {}; {}, {} weights{}{}",
                     s.model.name, phase_name(s.phase), s.shape.name(), s.chips(), s.batch, tokens,
                     layouts_text(s), weight_dtype_name(s.weights),
                     s.collective_einsum == CollectiveEinsum::off ? ", collective_einsum off" : "",
                     s.ring_order == RingOrder::snake ? ", snake rings" : "");
}

std::string metrics_text(const Trace& trace, const RunMetrics& m) {
  const Scenario& s = trace.scenario;
  // Milliseconds below 10 s, where decode steps and short runs live; seconds above ("85.275 s",
  // not "85274.933 ms").
  const auto ms = [](Seconds t) {
    return t < 10 ? format_seconds(t, TimeUnit::ms, decimals(3))
                  : format_seconds(t, TimeUnit::s, decimals(3));
  };
  const auto gib = [](Bytes b) {
    return format_bytes_in(static_cast<double>(b), ByteUnit::GiB, decimals(2));
  };
  std::string out;
  out += scenario_summary(s) + "\n";
  out += fmt::format("  scenario           {}{}\n", s.name,
                     s.source_file.empty() ? "" : fmt::format(" ({})", s.source_file));
  out += fmt::format("  simulation path    {}\n", m.path);
  if (const std::string note = residual_batch_note(s); !note.empty())
    out += fmt::format("  residual stream    {}\n", note);
  if (const std::string note = token_split_note(phase_scenario(s, Phase::prefill));
      !note.empty() && s.phase != Phase::decode)
    out += fmt::format("  token split        {}\n", note);
  if (!s.platform.calibrated)
    out += fmt::format("  UNCALIBRATED       {}\n", uncalibrated_note(s.platform));
  if (m.prefill_s > 0)
    out += fmt::format("  prefill latency    {}   MFU {:.1f}%\n", ms(m.prefill_s), 100 * m.prefill_mfu);
  if (s.per_phase()) out += transition_text(trace, m);
  if (!m.mixed_steps_s.empty()) out += mixed_text(trace, m);
  if (!m.decode_steps_s.empty()) {
    out += fmt::format("  decode step        {} (per generated token of every sequence)\n",
                       ms(m.decode_step_s));
    out += fmt::format("  decode total       {}   MFU {:.1f}%\n", ms(m.decode_s), 100 * m.decode_mfu);
  }
  out += fmt::format("  total latency      {}   MFU {:.1f}%\n", ms(m.total_s), 100 * m.mfu);
  out += fmt::format("  cost               {:.4f} chip-ms per token\n", m.cost_chip_s_per_token * 1e3);
  const Breakdown& b = m.breakdown;
  out += fmt::format("  breakdown          compute {}, weight load {}, KV load {}, exposed "
                     "communication {}, other {}\n",
                     ms(b.compute_s), ms(b.weight_load_s), ms(b.kv_load_s), ms(b.exposed_comm_s),
                     ms(b.other_s));
  out += comm_text(trace, m);
  out += fmt::format("  memory per chip    weights {} + KV cache {} + activations {} of {} HBM{}\n",
                     gib(m.memory.weights_bytes), gib(m.memory.kv_bytes),
                     gib(m.memory.activation_bytes), gib(m.memory.hbm_bytes),
                     m.memory.fits ? "" : "  (DOES NOT FIT: simulated anyway)");
  return out;
}

}  // namespace podsim
