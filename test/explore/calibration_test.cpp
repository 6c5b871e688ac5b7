// The shipped platform against the published measurements it was calibrated to (Pope et al.,
// arXiv 2211.05102, Table 2 and §4.4, scenarios/calibration/paper-table2.yaml): every case within
// 15% of the paper, no more fitted parameters than cases, and physically plausible values. A
// change to the chip model or the lowering that breaks the calibration fails here until
// `scripts/validate.sh --refit` is rerun.

#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/core/input_error.hpp"
#include "sim/explore/calibration.hpp"
#include "test/support/podsim_process.hpp"
#include "test/support/specs.hpp"

namespace podsim {
namespace {

TEST_CASE("the shipped platform reproduces every calibration case within 15 percent",
          "[fidelity][calibration]") {
  const std::string root = PODSIM_TEST_DIR "/..";
  const test::TempDir dir;
  const std::string json = dir.file("fit.json");
  const test::Run run = test::run_podsim(
      "calibrate " + test::shell_quote(root + "/scenarios/calibration/paper-table2.yaml") +
          " --no-fit --json " + test::shell_quote(json),
      600, root);
  INFO("stderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(test::read_file(json));
  const nlohmann::json& cases = doc.at("cases");
  REQUIRE(cases.size() == 6);
  CHECK(doc.at("fitted").size() <= cases.size());
  CHECK(doc.at("plausible").get<bool>());
  for (const nlohmann::json& c : cases) {
    INFO(c.at("id").get<std::string>());
    const double measured = c.at("measured_s").get<double>();
    const double simulated = c.at("simulated_s").get<double>();
    CHECK(std::abs(simulated / measured - 1) <= 0.15);
  }
  for (const auto& [name, value] : doc.at("fitted").items()) {
    INFO(name);
    if (name.ends_with("_s")) {
      CHECK(value.get<double>() > 0);
      CHECK(value.get<double>() < 1e-4);  // microseconds, not milliseconds
    } else {
      CHECK(value.get<double>() > 0);
      CHECK(value.get<double>() <= 1);
    }
  }
}


}  // namespace

TEST_CASE("calibration recovers known chip parameters from synthetic cases") {
  // Synthetic cases: a latency model with a known efficiency and overhead; the calibration must
  // find them again from other starting values through its own parameter transforms.
  ChipSpec truth = test::tpu_v4_chip();
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
  ChipSpec start = test::tpu_v4_chip();
  const CalibrationResult fit =
      calibrate(measured, start, {"mxu_efficiency", "op_overhead_s"}, simulate);
  CHECK(fit.values[0] == Approx(0.6).epsilon(1e-3));
  CHECK(fit.values[1] == Approx(20e-6).epsilon(1e-3));
  CHECK(fit.rms_log_error < 1e-6);
}

TEST_CASE("calibration refuses more free parameters than cases") {
  std::vector<CalibrationCase> one(1);
  one[0].measured_s = 1;
  CHECK_THROWS_AS(calibrate(one, test::tpu_v4_chip(), {"mxu_efficiency", "op_overhead_s"},
                            [](const CalibrationCase&, const ChipSpec&) { return 1.0; }),
                  InputError);
}

}  // namespace podsim
