// The shipped platform against the published measurements it was calibrated to (Pope et al.,
// arXiv 2211.05102, Table 2 and §4.4, scenarios/calibration/paper-table2.yaml): every case within
// 15% of the paper, no more fitted parameters than cases, and physically plausible values. A
// change to the chip model or the lowering that breaks the calibration fails here until
// `scripts/validate.sh --refit` is rerun.

#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "test/support/podsim_process.hpp"

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
}  // namespace podsim
