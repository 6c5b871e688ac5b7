// Runs on an uncalibrated platform (`calibrated: false`, issue 16 item 4) are marked in the text
// report, the JSON and the HTML; and the must-show of issue 16: LLaMA 3 70B (8 K/V heads) runs
// decode on a 16-chip 4x4 tpu-v5e slice, end to end through SimGrid.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::read_file;
using podsim::test::Run;
using podsim::test::run_podsim;
using podsim::test::shell_quote;
using podsim::test::TempDir;

const std::string kScenario = PODSIM_TEST_DIR "/../scenarios/t2-high-throughput-decode.yaml";

std::string llama_decode(const std::string& platform, const std::string& topology) {
  return "run " + shell_quote(kScenario) + " --set platform=" + platform +
         " --set topology=" + topology +
         " --set model=llama-3-70b --set batch=16 --set input_tokens=128 --set generate_tokens=2"
         " --set ffn_layout=ws-2d --set attention=heads";
}

TEST_CASE("LLaMA 3 70B decodes on a 16-chip tpu-v5e slice and the report says uncalibrated") {
  TempDir dir;
  const std::string html = dir.file("run.html");
  const Run run = run_podsim(llama_decode("tpu-v5e", "4x4x1") + " --html " + shell_quote(html));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  CHECK(contains(run.out, "on 4x4x1 (16 chips)"));
  CHECK(contains(run.out, "UNCALIBRATED       tpu-v5e is not calibrated (calibrated: false"));
  CHECK(contains(read_file(html), "UNCALIBRATED platform"));

  const Run json_run = run_podsim(llama_decode("tpu-v5e", "4x4x1") + " --format json");
  REQUIRE(json_run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(json_run.out);
  CHECK(doc.at("platform_calibrated") == false);
  CHECK(contains(doc.at("calibration_note").get<std::string>(), "tpu-v5e is not calibrated"));
  CHECK(doc.at("scenario").at("platform").at("calibrated") == false);
  CHECK(doc.at("scenario").at("model").at("kv_heads") == 8);
  CHECK(doc.at("decode_step_s").get<double>() > 0);
}

TEST_CASE("a run on the calibrated tpu-v4 has no calibration mark") {
  const Run run = run_podsim(llama_decode("tpu-v4", "2x2x4") + " --format json");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  CHECK_FALSE(doc.contains("platform_calibrated"));
  CHECK_FALSE(doc.at("scenario").at("platform").contains("calibrated"));
  const Run text = run_podsim(llama_decode("tpu-v4", "2x2x4"));
  REQUIRE(text.exit_code == 0);
  CHECK_FALSE(contains(text.out, "UNCALIBRATED"));
}

}  // namespace
