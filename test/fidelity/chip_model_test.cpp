// The chip model and Looped CollectiveEinsum against independent references: closed-form compute
// and communication times (TPU v4 numbers, FACTS.md §1), byte counts of the plain collectives,
// the MXU tile arithmetic, and a least-squares fit that must recover parameters it was given.

#include <catch2/catch.hpp>

#include <cmath>

#include "../replay/isolated.hpp"
#include "sim/explore/least_squares.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/explore/calibration.hpp"
#include "sim/program/looped_einsum.hpp"
#include "sim/replay/replay.hpp"

namespace podsim {
namespace {

ChipSpec tpu_v4() {
  ChipSpec chip;
  chip.name = "TPU v4";
  chip.peak_flops_per_s = 275e12;
  chip.hbm_bytes = 32 * kGiB;
  chip.hbm_bytes_per_s = 1.2e12;
  chip.ici_link_bytes_per_s = 45e9;
  chip.ici_hop_latency_s = 1e-6;
  return chip;
}

CollectiveSpec spec_of(CollectiveKind kind, const char* axes, Bytes bytes) {
  CollectiveSpec spec;
  spec.kind = kind;
  spec.axes = parse_axes(axes, "axes");
  spec.bytes = bytes;
  return spec;
}

Bytes sent_bytes(const ChipProgram& chip) {
  Bytes total = 0;
  for (const Task& t : chip.tasks)
    if (t.kind == TaskKind::send) total += t.bytes;
  return total;
}

}  // namespace

TEST_CASE("the looped loop sends exactly the bytes of the plain collective") {
  const Torus torus(parse_shape("4x4x4", "shape"));
  for (const auto& [kind, looped] :
       {std::pair{CollectiveKind::all_gather, LoopedKind::all_gather_then_einsum},
        std::pair{CollectiveKind::reduce_scatter, LoopedKind::einsum_then_reduce_scatter}})
    for (const char* axes : {"x", "yz", "xyz"}) {
      const CollectiveSpec spec = spec_of(kind, axes, 64 * kMiB);
      Program plain(torus.chip_count()), loop(torus.chip_count());
      append_collective(plain, torus, spec, Frontier(64, kNoTask), 0);
      Frontier frontier(64, kNoTask);
      append_looped_einsum(loop, torus, looped, spec, EinsumWork{1e12, 1 << 20, 0}, tpu_v4(), 0,
                           frontier);
      // Every chip receives (K-1)/K of the larger side either way.
      const Bytes group = static_cast<Bytes>(torus.group_of(0, spec.axes).size());
      for (ChipId c = 0; c < 64; ++c) {
        CHECK(sent_bytes(loop.chips[c]) == (group - 1) * (spec.bytes / group));
        CHECK(sent_bytes(plain.chips[c]) == Approx(static_cast<double>(sent_bytes(loop.chips[c]))).epsilon(1e-6));
      }
    }
}

TEST_CASE("looped all-gather hides most of the collective behind a large matmul") {
  const Torus torus(parse_shape("4x4x4", "shape"));
  const ChipSpec chip = tpu_v4();
  const Bytes bytes = 64 * kMiB;
  // Closed forms: the bidirectional ring all-gather on 4 chips, and a matmul twice as long.
  const double comm_s = 3 * (1e-6 + bytes / 8.0 / 45e9);
  const double compute_s = 2 * comm_s;
  Program program(64);
  Frontier frontier(64, kNoTask);
  append_looped_einsum(program, torus, LoopedKind::all_gather_then_einsum,
                       spec_of(CollectiveKind::all_gather, "x", bytes),
                       EinsumWork{compute_s * chip.peak_flops_per_s, 0, 0}, chip, 0, frontier);
  const double t = replay(chip, torus, program).makespan_s;
  CHECK(t >= std::max(compute_s, comm_s) * (1 - 1e-9));
  const double hidden = (compute_s + comm_s - t) / comm_s;
  CHECK(hidden >= 0.9);
}

TEST_CASE("looped reduce-scatter is never faster than its compute or its communication") {
  const Torus torus(parse_shape("4x4x4", "shape"));
  const ChipSpec chip = tpu_v4();
  const Bytes bytes = 64 * kMiB;
  const double comm_s = 3 * (1e-6 + bytes / 8.0 / 45e9);
  const double compute_s = 0.5 * comm_s;  // communication-bound this time
  Program program(64);
  Frontier frontier(64, kNoTask);
  append_looped_einsum(program, torus, LoopedKind::einsum_then_reduce_scatter,
                       spec_of(CollectiveKind::reduce_scatter, "x", bytes),
                       EinsumWork{compute_s * chip.peak_flops_per_s, 0, 0}, chip, 0, frontier);
  const double t = replay(chip, torus, program).makespan_s;
  CHECK(t >= std::max(compute_s, comm_s) * (1 - 1e-9));
  CHECK(t < compute_s + comm_s);
}

TEST_CASE("MXU efficiency is one for aligned shapes and lower for small ones") {
  const ChipSpec chip = tpu_v4();
  CHECK(mxu_shape_efficiency(chip, 1024, 4096, 8192) == 1.0);
  // A decode matmul with 4 rows per chip uses 4 of the 8 rows of a tile.
  CHECK(mxu_shape_efficiency(chip, 4, 4096, 8192) == Approx(0.5));
  // K = 64 fills half of a 128-wide tile, N = 200 fills 200 of 256.
  CHECK(mxu_shape_efficiency(chip, 8, 64, 200) == Approx(0.5 * 200.0 / 256.0));
}

TEST_CASE("least squares recovers the parameters of a known model") {
  // y = a * x + b * x^2 sampled without noise at 5 points, fitted from far away.
  const auto residuals = [](const std::vector<double>& p) {
    std::vector<double> r;
    for (double x : {1.0, 2.0, 3.0, 4.0, 5.0}) r.push_back(p[0] * x + p[1] * x * x - (3 * x + 0.5 * x * x));
    return r;
  };
  const LeastSquaresResult fit = least_squares(residuals, {0.0, 0.0});
  CHECK(fit.x[0] == Approx(3.0).epsilon(1e-6));
  CHECK(fit.x[1] == Approx(0.5).epsilon(1e-6));
}

TEST_CASE("calibration recovers known chip parameters from synthetic cases") {
  // Synthetic cases: a latency model with a known efficiency and overhead; the calibration must
  // find them again from other starting values through its own parameter transforms.
  ChipSpec truth = tpu_v4();
  truth.mxu_efficiency = 0.6;
  truth.op_overhead_s = 20e-6;
  const auto model = [](const CalibrationCase& c, const ChipSpec& chip) {
    const double flops = c.measured_s;  // the case's id encodes its work (see below)
    return flops / (chip.peak_flops_per_s * chip.mxu_efficiency) + 50 * chip.op_overhead_s;
  };
  std::vector<CalibrationCase> cases;
  for (double flops : {1e9, 1e11, 1e13}) {
    CalibrationCase c;
    c.id = std::to_string(flops);
    c.measured_s = flops;  // work, read back by `model`
    cases.push_back(c);
  }
  // Measured values generated with the true parameters.
  std::vector<CalibrationCase> measured = cases;
  for (std::size_t i = 0; i < cases.size(); ++i) measured[i].measured_s = model(cases[i], truth);
  const auto simulate = [&](const CalibrationCase& c, const ChipSpec& chip) {
    for (std::size_t i = 0; i < measured.size(); ++i)
      if (measured[i].id == c.id) return model(cases[i], chip);
    return 0.0;
  };
  ChipSpec start = tpu_v4();
  const CalibrationResult fit =
      calibrate(measured, start, {"mxu_efficiency", "op_overhead_s"}, simulate);
  CHECK(fit.values[0] == Approx(0.6).epsilon(1e-3));
  CHECK(fit.values[1] == Approx(20e-6).epsilon(1e-3));
  CHECK(fit.rms_log_error < 1e-6);
}

TEST_CASE("calibration refuses more free parameters than cases") {
  std::vector<CalibrationCase> one(1);
  one[0].measured_s = 1;
  CHECK_THROWS_AS(calibrate(one, tpu_v4(), {"mxu_efficiency", "op_overhead_s"},
                            [](const CalibrationCase&, const ChipSpec&) { return 1.0; }),
                  InputError);
}

}  // namespace podsim
