#pragma once
// ChipSpec: one accelerator chip and its interconnect links, as read from platforms/*.yaml.
// Platform: the chip plus the slice shapes used when a scenario gives only a chip count.
// Every value's source is cited in the platform file; no number is defaulted here.
// chip_fields(): the one table of ChipSpec's fields (key, member, range, fittable) that the
// platform loader, the trace JSON and calibration iterate instead of listing the fields again.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/core/units.hpp"

namespace podsim {

struct ChipSpec {
  std::string name;                          // "TPU v4"
  FlopsPerSecond peak_flops_per_s = 0;       // bf16 matmul peak of the whole chip
  Bytes hbm_bytes = 0;                       // HBM capacity
  BytesPerSecond hbm_bytes_per_s = 0;        // HBM bandwidth
  BytesPerSecond ici_link_bytes_per_s = 0;   // one direction of one ICI link
  Seconds ici_hop_latency_s = 0;             // per hop a transfer traverses
  int ici_links = 6;                         // +x, -x, +y, -y, +z, -z

  // Terms of the chip model beyond the roofline (platforms/README.md §5). Defaults make a plain
  // roofline.
  int mxu_tile = 128;                  // systolic array side: K and N are padded to it
  int mxu_row_granule = 8;             // M is processed in groups of this many rows
  double mxu_efficiency = 1.0;         // achieved fraction of peak on large aligned matmuls
  double hbm_efficiency = 1.0;         // achieved fraction of HBM bandwidth
  double ici_efficiency = 1.0;         // achieved fraction of ICI link bandwidth
  // Rate of a Looped CollectiveEinsum chunk's core work (MXU and vector) relative to the same work
  // in the unsplit einsum: below 1 the chunks, small separate matmuls that run while the loop's
  // DMAs stream through the same HBM and VMEM, overlap imperfectly (platforms/README.md §5).
  double loop_chunk_efficiency = 1.0;
  FlopsPerSecond vector_flops_per_s = 0;  // vector unit (norms, activations, softmax, dequant);
                                          // 0 = element-wise work is free beyond its HBM traffic
  Seconds op_overhead_s = 0;           // fixed cost of every einsum and element-wise op
  Seconds collective_overhead_s = 0;   // fixed cost of every collective (launch, synchronisation)
  // Fixed cost of every ICI message (one ring step, one permute, one Looped CollectiveEinsum
  // chunk's transfer): DMA set-up and synchronisation, paid before the payload leaves and distinct
  // from the per-hop wire latency (platforms/README.md §7: a few microseconds per message).
  Seconds ici_message_overhead_s = 0;

  // What the chip achieves: a peak times its efficiency, in this order (peak * efficiency) so
  // that every caller gets the same bits.
  FlopsPerSecond effective_peak_flops_per_s() const { return peak_flops_per_s * mxu_efficiency; }
  BytesPerSecond effective_hbm_bytes_per_s() const { return hbm_bytes_per_s * hbm_efficiency; }
  BytesPerSecond effective_ici_link_bytes_per_s() const {
    return ici_link_bytes_per_s * ici_efficiency;
  }
};

// The values a chip field accepts.
enum class ChipRange {
  name,          // a non-empty string
  positive,      // a finite number > 0
  non_negative,  // a finite number >= 0
  fraction,      // a number in (0, 1]: an achieved fraction of a peak
  size,          // a whole number of bytes > 0
  count,         // a whole number in [1, ChipField::max_count]
};

// Whether `podsim calibrate` may fit a field (explore/calibration.hpp). A fitted field is kept
// inside its documented range (ChipPrior) by a logistic map, so that the fit itself is
// unconstrained.
enum class ChipFit { none, bounded };

// The documented physical range of a chip-model term: the values a real TPU v4 can have, with
// the source of that range (a datasheet, the paper, a microbenchmark, platforms/README.md §7 priors, or a
// stated assumption). Narrower than ChipBound (which only catches unit slips): a fitted value
// must land inside it, and a fit that presses against it points at a missing mechanism.
struct ChipPrior {
  double min = 0;
  double max = 0;           // max == 0: no documented range
  const char* source = "";
  bool documented() const { return max > 0; }
};

// The range of values a real accelerator can have for a numeric field. A value outside
// [min, max] is refused with a reason: such a value is almost always a unit slip (275 for 275e12
// FLOP/s), and SimGrid would otherwise run it into a deadlock, a non-finite clock or a result
// that looks valid (issue 14). max == 0: no bound (the name).
// SimGrid 3.32's default time precision ("surf/precision", 1e-9 s; SimGrid docs, "Configuring
// SimGrid"): the replays cannot resolve a delay shorter than this, so a fixed time term is either
// 0 (off) or at least this long.
inline constexpr double kSimTimePrecision_s = 1e-9;

struct ChipBound {
  bool zero_means_off = false;  // 0 is allowed and switches the term off
  double min = 0;               // smallest plausible value (above 0 when zero is off)
  double max = 0;               // largest plausible value
  const char* unit = "";        // "FLOP/s", "B", "B/s", "s" or "" for a pure number
  const char* why_min = "";     // the source of `min`, for the message
  const char* why_max = "";     // the source of `max`
  int slip_exponent = 0;        // a likely unit slip: suggest value x 10^this (0: none)
};

struct ChipField {
  std::string_view key;  // YAML and JSON key, the member's name
  std::variant<std::string ChipSpec::*, double ChipSpec::*, Bytes ChipSpec::*, int ChipSpec::*>
      member;
  ChipRange range;
  bool required;  // in a platform file (a trace always holds every field)
  ChipFit fit = ChipFit::none;
  long long max_count = 0;         // count: the largest value read
  int only_value = 0;              // count: the one value podsim models (0: any)
  std::string_view only_reason{};  // count: why only_value
  ChipBound bound{};               // plausible values (numeric fields)
  ChipPrior prior{};               // documented physical range (fitted and physical terms)
};

// Every ChipSpec field, in the order platform files list them and traces write them.
const std::vector<ChipField>& chip_fields();
// The keys of chip_fields(), in order.
std::vector<std::string_view> chip_field_keys();
// The field named `key`, or nullptr.
const ChipField* find_chip_field(std::string_view key);
// The keys of the fields `podsim calibrate` can fit (fit != none), in table order.
const std::vector<std::string>& fittable_chip_fields();

// Fraction of the MXU doing useful work on one M x K x N matmul: K and N padded to the systolic
// tile, M to the row granule (e.g. a decode matmul with few rows per chip wastes most of it).
double mxu_shape_efficiency(const ChipSpec& chip, long long m, long long k, long long n);

// The reason `value` is implausible for `field` ("275 is below 1e12 FLOP/s, ...; did you mean
// 275e12?"), or nothing when it is within range. Requires a finite value (the loaders refuse NaN
// and infinities first, with their own messages).
std::optional<std::string> implausible(const ChipField& field, double value);
// The value of `field` in `chip` as a double (requires a numeric field).
double chip_field_value(const ChipSpec& chip, const ChipField& field);

// How a collective over several axes uses them: one axis after the other (`sequential`), or all
// at once with the data split evenly across the axes (`concurrent`, each part visiting the axes in
// a rotated order so that every axis is busy in every phase). A property of the chip's collective
// library, so the platform's (`multi_axis:`), and of every collective (CollectiveSpec).
enum class MultiAxis { concurrent, sequential };

struct Platform {
  std::string name;         // "tpu-v4"
  std::string source_file;  // where it was read from (for messages)
  ChipSpec chip;
  std::map<int, std::array<int, 3>> slice_dims;  // chip count -> XxYxZ
  std::vector<std::string> fitted;  // chip parameters `podsim calibrate` fits end to end (`fit:`)
  std::vector<std::string> fitted_network;  // fitted to network measurements (`fit_network:`)
  // `calibrated: false`: the efficiency and overhead terms were not fitted to this chip's
  // measurements; reports mark such runs (docs/outputs.md).
  bool calibrated = true;
  // `wraparound:` which axes of a slice wrap (platforms/README.md §1 and §8): cubes-of-4 (TPU v4:
  // every axis when all three dimensions are multiples of 4) or axes-of-16 (v5e, v6e: an axis
  // wraps only when it is the full 16 of the pod).
  enum class WrapRule { cubes_of_4, axes_of_16 };
  WrapRule wrap_rule = WrapRule::cubes_of_4;
  // `multi_axis:` how the chip's collective library runs a collective over several axes; every
  // collective of a generated trace gets it (platforms/tpu-v4.yaml says why it is sequential).
  MultiAxis multi_axis = MultiAxis::concurrent;
  // The axes of a slice of `dims` that wrap under wrap_rule.
  std::array<bool, 3> wraparound(const std::array<int, 3>& dims) const;
};

}  // namespace podsim
