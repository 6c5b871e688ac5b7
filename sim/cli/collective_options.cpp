#include "sim/cli/collective_options.hpp"

#include <fmt/format.h>

#include "sim/cli/cli_common.hpp"
#include "sim/config/platform_loader.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim::cli {

void add_collective_options(CLI::App* sub, CollectiveOptions& options) {
  sub->add_option("--shape", options.shape, "Slice shape XxYxZ")->capture_default_str()->type_name("XxYxZ");
  sub->add_option("--wrap", options.wrap,
                  "Wraparound: auto (TPU v4 rule: all axes wrap when every dimension is a "
                  "multiple of 4), none, or the axes that wrap (e.g. xy)")
      ->capture_default_str();
  sub->add_flag("--twist", options.twist,
                "Twisted torus (TPU v4 optical switches, Jouppi et al. ISCA 2023): the short axes' "
                "wrap links shifted by half a long axis; 4x4x8 and 4x8x8 only");
  sub->add_option("--op", options.op,
                  "all-gather | reduce-scatter | all-reduce | all-to-all | permute")
      ->capture_default_str();
  sub->add_option("--axes", options.axes, "Axes to run over: a non-empty subset of xyz")
      ->capture_default_str();
  sub->add_option("--bytes", options.bytes,
                  "Per-chip size of the larger side (all-gather output, reduce-scatter input, "
                  "all-reduce/all-to-all/permute buffer), e.g. 4096, 4KiB, 64MiB, 1GiB")
      ->capture_default_str()
      ->type_name("SIZE");
  sub->add_option("--algorithm", options.algorithm,
                  "Per-axis algorithm: auto (bidir-ring on wrapped axes, line on mesh axes), "
                  "bidir-ring (half of the data each way), ring (unidirectional, as in MPI), "
                  "line (mesh axis)")
      ->capture_default_str();
  sub->add_option("--multi-axis", options.multi_axis,
                  "Several axes: concurrent (data split across the axes, all busy at once) or "
                  "sequential (one axis after another); default the platform's (`multi_axis:`, "
                  "sequential on tpu-v4)");
  sub->add_option("--platform", options.platform, "Platform name in platforms/ or a YAML file")
      ->capture_default_str()
      ->type_name("NAME|FILE");
}

ResolvedCollective resolve_collective(const CollectiveOptions& options) {
  ResolvedCollective r{config::load_platform(platform_path(options.platform)),
                       parse_shape(options.shape, "--shape"),
                       {}};
  r.shape.wraps = r.platform.wraparound(r.shape.dims);  // the platform's rule (`wraparound:`)
  if (auto wraps = parse_wrap(options.wrap, "--wrap")) r.shape.wraps = *wraps;
  if (options.twist) {
    r.shape.twisted = true;
    if (const auto why = twist_violation(r.shape))
      throw InputError("--twist", fmt::format("{}x{}x{} cannot be twisted: {}", r.shape.dims[0],
                                              r.shape.dims[1], r.shape.dims[2], *why));
  }
  r.spec.kind = parse_collective_kind(options.op, "--op");
  r.spec.axes = parse_axes(options.axes, "--axes");
  r.spec.bytes = parse_bytes(options.bytes, "--bytes");
  r.spec.algorithm = parse_ring_algorithm(options.algorithm, "--algorithm");
  r.spec.multi_axis = options.multi_axis.empty()
                         ? r.platform.multi_axis
                         : parse_multi_axis(options.multi_axis, "--multi-axis");
  // Every message pays the chip's per-message cost; the collective's launch cost
  // (collective_overhead_s), which a run charges once per collective, is left out so that the
  // timeline starts with the first transfer (a run's lowering adds it, trace_program.cpp).
  r.spec.message_overhead_s = r.platform.chip.ici_message_overhead_s;
  validate_collective(r.spec, r.shape, "--axes");
  return r;
}

std::string wraps_name(const TorusShape& shape) {
  std::string out;
  for (Axis a : kAxes)
    if (shape.wrapped(a)) out += axis_name(a);
  return out.empty() ? "none" : out;
}

}  // namespace podsim::cli
