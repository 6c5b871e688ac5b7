#include "sim/model/chip_spec.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace podsim {

namespace {
double padded(long long size, long long granule) {
  return static_cast<double>((size + granule - 1) / granule * granule);
}

// 1e12 as "1e12", 4.45e-6 as "4.45e-6": numbers as a platform file would spell them (six
// significant digits when they are exact, else every digit).
std::string spelled(double value) {
  std::string s = fmt::format("{:.6g}", value);
  if (std::strtod(s.c_str(), nullptr) != value) s = fmt::format("{}", value);
  const auto e = s.find('e');
  if (e == std::string::npos) return s;
  std::string exponent = s.substr(e + 1);
  std::string sign;
  if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
    if (exponent[0] == '-') sign = "-";
    exponent.erase(0, 1);
  }
  while (exponent.size() > 1 && exponent[0] == '0') exponent.erase(0, 1);
  return s.substr(0, e) + "e" + sign + exponent;
}
}  // namespace

const std::vector<ChipField>& chip_fields() {
  using C = ChipSpec;
  static const std::vector<ChipField> kFields = {
      {"name", &C::name, ChipRange::name, true},
      {"peak_flops_per_s", &C::peak_flops_per_s, ChipRange::positive, true, ChipFit::none, 0, 0, "",
       ChipBound{false, 1e12, 1e17, "FLOP/s", "the slowest TPU, v2, peaks at 4.5e13", "over 100 times the 9.2e14 of TPU v6e, the fastest", 12}},
      {"hbm_bytes", &C::hbm_bytes, ChipRange::size, true, ChipFit::none, 0, 0, "",
       ChipBound{false, 1e9, 2e13, "B", "the smallest HBM of any TPU, v5e's, holds 16 GB", "over 200 times the 96 GB of TPU v5p, the largest", 9}},
      {"hbm_bytes_per_s", &C::hbm_bytes_per_s, ChipRange::positive, true, ChipFit::none, 0, 0, "",
       ChipBound{false, 1e11, 1e15, "B/s", "the slowest HBM of any TPU, v2's, moves 7e11 B/s",
                 "over 300 times the 2.8e12 B/s of TPU v5p, the fastest", 9}},
      {"ici_link_bytes_per_s", &C::ici_link_bytes_per_s, ChipRange::positive, true, ChipFit::none, 0, 0, "",
       ChipBound{false, 1e9, 1e13, "B/s", "one way on one link, TPU v4 and v5e move 4.5e10 B/s", "over 100 times the 9e10 B/s of TPU v5p and v6e", 9}},
      {"ici_hop_latency_s", &C::ici_hop_latency_s, ChipRange::non_negative, true, ChipFit::none, 0,
       0, "", ChipBound{true, kSimTimePrecision_s, 1e-3, "s", "SimGrid's time precision: the replays cannot resolve a shorter delay; write 0 to leave the term out", "1000 times the 1e-6 s per hop of TPU v4", -6},
       ChipPrior{0.5e-6, 2e-6, "book, sharding chapter: about 1 us per hop; transfers under about 45 kB per hop are latency-bound"}},
      // Read up to 64 so that a plausible other count gets the reason rather than a range error.
      {"ici_links", &C::ici_links, ChipRange::count, false, ChipFit::none, 64, 6,
       "podsim models a 3D torus with 6 links per chip",
       ChipBound{false, 6, 6, "", "podsim models a 3D torus with 6 links per chip", "podsim models a 3D torus with 6 links per chip", 0}},
      // 4096: a sanity bound far above any systolic array (TPU v4's is 128, platforms/tpu-v4.yaml).
      {"mxu_tile", &C::mxu_tile, ChipRange::count, false, ChipFit::none, 4096, 0, "",
       ChipBound{false, 1, 4096, "", "", "32 times the 128x128 MXU of TPU v4", 0}},
      {"mxu_row_granule", &C::mxu_row_granule, ChipRange::count, false, ChipFit::none, 4096, 0, "",
       ChipBound{false, 1, 4096, "", "", "512 times the 8 rows of TPU v4's vector tiles", 0}},
      // The documented ranges (ChipPrior) of the chip-model terms; platforms/tpu-v4.yaml repeats
      // each beside its value. FACTS = the project's fact sheet, from which these are copied.
      {"mxu_efficiency", &C::mxu_efficiency, ChipRange::fraction, false, ChipFit::bounded, 0, 0, "",
       ChipBound{false, 1e-3, 1, "", "a chip below 0.1% of its peak is not doing matmuls", "it is a fraction of the peak; write 80% as 0.8", 0},
       ChipPrior{0.76, 1.0, "the paper's batch-512 prefill reaches 0.76 MFU end to end (arXiv 2211.05102, Table 2), so large aligned matmuls run at 0.76 of peak or more; 1 is the peak"}},
      {"loop_chunk_efficiency", &C::loop_chunk_efficiency, ChipRange::fraction, false, ChipFit::bounded, 0, 0, "",
       ChipBound{false, 1e-3, 1, "", "a loop chunk below 0.1% of the einsum's rate is not computing", "it is a fraction of the unsplit einsum's rate; write 80% as 0.8", 0},
       ChipPrior{0.75, 1.0, "1 is perfect overlap (a chunk as fast as its share of the whole einsum); below 0.75 the loops of the paper's own Table 2 scenarios would save under 6% of the low-latency prefill and under 3% of the high-throughput decode over the plain collectives (podsim, those scenarios; at 0.7, 2% and 0.6%), against the paper's report that Looped CollectiveEinsum hides most all-gathers and reduce-scatters behind the matmuls (arXiv 2211.05102, section 3.5; Wang et al., ASPLOS 2023)"}},
      {"hbm_efficiency", &C::hbm_efficiency, ChipRange::fraction, false, ChipFit::bounded, 0, 0, "",
       ChipBound{false, 1e-3, 1, "", "a chip below 0.1% of its HBM bandwidth is not streaming weights", "it is a fraction of the bandwidth; write 80% as 0.8", 0},
       ChipPrior{0.75, 0.95, "assumed: streaming reads of HBM2 reach 0.8-0.9 of the datasheet rate in microbenchmarks (Jia et al., 'Dissecting the NVIDIA Volta GPU architecture via microbenchmarking', 2018: 750 of 900 GB/s); refresh and bank conflicts keep it below 0.95"}},
      {"ici_efficiency", &C::ici_efficiency, ChipRange::fraction, false, ChipFit::bounded, 0, 0, "",
       ChipBound{false, 1e-3, 1, "", "a link below 0.1% of its bandwidth is not carrying collectives", "it is a fraction of the bandwidth; write 80% as 0.8", 0},
       ChipPrior{0.80, 0.97, "FACTS 7: large all-gathers reach about 0.95 of the 45e9 B/s link rate (book, sharding chapter, v5e); a mesh all-gather profiled at 0.82 of its model (same); ppermute fits 86.3e9 and 86.8e9 B/s on 9e10 B/s links, 0.96 (marin issue 6736, v5p and v6e)"}},
      {"vector_flops_per_s", &C::vector_flops_per_s, ChipRange::non_negative, false, ChipFit::bounded, 0, 0, "",
       ChipBound{true, 1e10, 1e17, "FLOP/s", "under a tenth of a percent of TPU v4's 8.6e12 (platforms/tpu-v4.yaml)", "above the matmul peak of any TPU by over 100 times", 12},
       ChipPrior{4.3e12, 1.72e13, "assumed: half to twice the estimate 2 TensorCores x 8x128 lanes x 4 ALUs x 1.05 GHz = 8.6e12 (VPU shape: book, TPU chapter; clock: Google Cloud TPU v4 docs), as the issue width per lane is not published"}},
      {"op_overhead_s", &C::op_overhead_s, ChipRange::non_negative, false, ChipFit::bounded, 0, 0, "",
       ChipBound{true, kSimTimePrecision_s, 1e-3, "s", "SimGrid's time precision: the replays cannot resolve a shorter delay; write 0 to leave the term out", "over 200 times the 4.5e-6 s fitted for TPU v4", -6},
       ChipPrior{0.5e-6, 10e-6, "assumed: the fixed cost of one fused XLA op on a TPU core (pipeline fill and drain of the MXU and VPU, the scalar unit's set-up), of the order of the few-microsecond DMA set-up of FACTS 7; above 10 us a 118-layer decode step would spend over 20 ms on it, most of the 28.5 ms measured (arXiv 2211.05102, section 4.4)"}},
      {"collective_overhead_s", &C::collective_overhead_s, ChipRange::non_negative, false,
       ChipFit::bounded, 0, 0, "",
       ChipBound{true, kSimTimePrecision_s, 1e-3, "s", "SimGrid's time precision: the replays cannot resolve a shorter delay; write 0 to leave the term out", "over 100 times the 9.3e-6 s fitted for TPU v4", -6},
       ChipPrior{0.5e-6, 20e-6, "assumed: launch and synchronisation of one collective beyond its messages, bounded by a few times the 4.5-5.9 us of a whole small ppermute (FACTS 7: marin issue 6736)"}},
      {"ici_message_overhead_s", &C::ici_message_overhead_s, ChipRange::non_negative, false,
       ChipFit::bounded, 0, 0, "",
       ChipBound{true, kSimTimePrecision_s, 1e-3, "s", "SimGrid's time precision: the replays cannot resolve a shorter delay; write 0 to leave the term out", "over 200 times the few microseconds per message measured on TPUs (FACTS 7)", -6},
       ChipPrior{0, 5e-6, "FACTS 7: a whole 1-16 KiB ppermute (launch, one message, one hop) takes 4.5-5.5 us on v5p and 5.6-5.9 us on v6e (marin issue 6736), so one message costs at most about 5 us beyond its hop; a 3-step all-gather of 32 kB shards measured 8 us (book, sharding chapter), which leaves 0-1.7 us per step beyond the hop and the payload"}},
  };
  return kFields;
}

std::vector<std::string_view> chip_field_keys() {
  std::vector<std::string_view> keys;
  for (const ChipField& f : chip_fields()) keys.push_back(f.key);
  return keys;
}

const ChipField* find_chip_field(std::string_view key) {
  for (const ChipField& f : chip_fields())
    if (f.key == key) return &f;
  return nullptr;
}

const std::vector<std::string>& fittable_chip_fields() {
  static const std::vector<std::string> kKeys = [] {
    std::vector<std::string> out;
    for (const ChipField& f : chip_fields())
      if (f.fit != ChipFit::none) out.emplace_back(f.key);
    return out;
  }();
  return kKeys;
}

double mxu_shape_efficiency(const ChipSpec& chip, long long m, long long k, long long n) {
  if (m <= 0 || k <= 0 || n <= 0) return 1.0;  // no shape recorded: assume aligned
  return static_cast<double>(m) / padded(m, chip.mxu_row_granule) * static_cast<double>(k) /
         padded(k, chip.mxu_tile) * static_cast<double>(n) / padded(n, chip.mxu_tile);
}

// The bounds (ChipBound in chip_fields() above) are an order of magnitude or more outside every
// TPU generation, so that any real
// chip (and any what-if a user is likely to try) passes, while unit slips do not. Published values
// (jax-ml scaling book, TPU chapter tables, 2025; paper = Pope et al., arXiv 2211.05102, §4):
//   chip   bf16 FLOP/s  HBM     HBM B/s  ICI B/s per link, one way
//   v4     2.75e14      32 GB   1.2e12   4.5e10
//   v5p    4.59e14      96 GB   2.8e12   9e10
//   v5e    1.97e14      16 GB   8.1e11   4.5e10
//   v6e    9.2e14       32 GB   1.6e12   9e10
// Assumed, not in those tables (Google Cloud TPU docs): v2 4.5e13 FLOP/s with 16 GiB and 7e11 B/s
// of HBM per chip, v3 1.23e14 FLOP/s with 32 GiB and 9e11 B/s. ICI hop latency is about 1 us on
// v4 (book, sharding chapter). The overheads are those fitted for TPU v4 to the paper's Table 2
// (platforms/tpu-v4.yaml before issue 13: 4.5e-6 s per op, 9.3e-6 s per collective).
std::optional<std::string> implausible(const ChipField& f, double value) {
  const ChipBound& field = f.bound;
  if (field.max == 0) return std::nullopt;
  if (field.zero_means_off && value == 0) return std::nullopt;
  const bool low = value < field.min;
  if (!low && value <= field.max) return std::nullopt;
  const double bound = low ? field.min : field.max;
  std::string message =
      fmt::format("{} is {} {}{}{}", spelled(value), low ? "below" : "above",
                  spelled(bound), *field.unit ? " " : "", field.unit);
  const char* why = low ? field.why_min : field.why_max;
  if (*why) message += fmt::format(" ({})", why);
  if (field.slip_exponent != 0) {
    const double meant = value * std::pow(10.0, field.slip_exponent);
    if (meant >= field.min && meant <= field.max)
      message += fmt::format("; did you mean {}e{}?", spelled(value), field.slip_exponent);
  }
  return message;
}

double chip_field_value(const ChipSpec& chip, const ChipField& field) {
  return std::visit(
      [&](auto member) -> double {
        using T = std::decay_t<decltype(chip.*member)>;
        if constexpr (std::is_same_v<T, std::string>)
          return 0;
        else
          return static_cast<double>(chip.*member);
      },
      field.member);
}

std::array<bool, 3> Platform::wraparound(const std::array<int, 3>& dims) const {
  if (wrap_rule == WrapRule::axes_of_16)  // v5e/v6e: book, sharding chapter ("no wraparound below 16")
    return {dims[0] == 16, dims[1] == 16, dims[2] == 16};
  // TPU v4 (Google Cloud TPU v4 docs): whole 4x4x4 cubes wrap on every axis; as tpu_v4_wraparound.
  const bool whole_cubes = dims[0] % 4 == 0 && dims[1] % 4 == 0 && dims[2] % 4 == 0;
  return {whole_cubes, whole_cubes, whole_cubes};
}

}  // namespace podsim
