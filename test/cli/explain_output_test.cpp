// `podsim explain` follows the output vocabulary of every command (docs/outputs.md): -o/--output
// FILE and --format text|json, the JSON carrying format_version. The JSON's numbers are checked
// against the algorithm's definition, not against podsim's text: a 4-chip bidirectional ring
// all-gather of 1 MiB moves 3 steps per direction, each of 4 transfers of S/K/2 = 128 KiB in the
// listed group, each step taking the hop latency + 128 KiB over the effective link rate
// (platforms/tpu-v4.yaml: ici_link_bytes_per_s x ici_efficiency).

#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/platform_loader.hpp"
#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::read_file;
using podsim::test::Run;
using podsim::test::run_command;
using podsim::test::run_podsim;
using podsim::test::shell_quote;
using podsim::test::TempDir;

const std::string kRing = "explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB";

podsim::Platform tpu_v4() {
  return podsim::config::load_platform(std::string(PODSIM_TEST_DIR) + "/../platforms/tpu-v4.yaml");
}

}  // namespace

TEST_CASE("explain --format json lists the ring's steps with the definition's sizes and times") {
  const Run run = run_podsim(kRing + " --format json", 120);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  CHECK(doc.at("format_version") == 1);
  CHECK(doc.at("op") == "all-gather");
  CHECK(doc.at("shape") == "4x4x1");
  CHECK(doc.at("wraparound") == "x");
  CHECK(doc.at("bytes") == 1 << 20);
  CHECK(doc.at("closed_form_kind") == "closed form");

  const podsim::Platform platform = tpu_v4();
  const double rate = platform.chip.ici_link_bytes_per_s * platform.chip.ici_efficiency;
  const double step_s = platform.chip.ici_hop_latency_s + 131072.0 / rate;
  CHECK(doc.at("link_bytes_per_s").get<double>() == Approx(rate).epsilon(1e-12));
  CHECK(doc.at("closed_form_s").get<double>() == Approx(3 * step_s).epsilon(1e-9));
  // Uncontended: each link carries one flow at a time, so the simulation is the closed form.
  CHECK(doc.at("simulated_s").get<double>() == Approx(3 * step_s).epsilon(1e-6));
  CHECK(doc.at("contended_transfers") == 0);
  CHECK(doc.at("max_flows_on_link") == 1);
  // The group of chip 0: the ring c(0,0,0) .. c(3,0,0).
  CHECK(doc.at("group") ==
        nlohmann::json({"c(0,0,0)", "c(1,0,0)", "c(2,0,0)", "c(3,0,0)"}));
  // One slice of 4x4x1 over x: 4 rings of 4 chips, 4 x 4 x 2 directions x 3 steps transfers.
  CHECK(doc.at("transfers") == 4 * 4 * 2 * 3);

  REQUIRE(doc.at("streams").size() == 2);  // the two directions, running at once
  std::map<std::string, double> closed_sums;
  std::map<std::string, int> steps_of;
  for (const nlohmann::json& s : doc.at("streams"))
    steps_of[s.at("label").get<std::string>()] = s.at("steps").get<int>();
  CHECK(steps_of == std::map<std::string, int>{{"1a", 3}, {"1b", 3}});
  REQUIRE(doc.at("steps").size() == 6);
  for (const nlohmann::json& st : doc.at("steps")) {
    INFO(st.dump());
    CHECK(st.at("closed_form_s").get<double>() == Approx(step_s).epsilon(1e-9));
    CHECK(st.at("end_s").get<double>() - st.at("start_s").get<double>() ==
          Approx(step_s).epsilon(1e-6));
    closed_sums[st.at("stream").get<std::string>()] += st.at("closed_form_s").get<double>();
    REQUIRE(st.at("transfers").size() == 4);
    for (const nlohmann::json& t : st.at("transfers")) {
      CHECK(t.at("bytes") == 131072);
      CHECK(t.at("hops") == 1);
    }
  }
  // The per-step closed forms add up to the total in each direction.
  for (const auto& [stream, sum] : closed_sums) CHECK(sum == Approx(3 * step_s).epsilon(1e-9));
  CHECK_FALSE(doc.at("reasons").empty());
}

TEST_CASE("explain -o FILE.json writes the JSON and keeps the text on stdout") {
  const TempDir dir;
  const Run text = run_podsim(kRing, 120);
  const Run json = run_podsim(kRing + " --format json", 120);
  const Run to_file = run_podsim(kRing + " -o " + shell_quote(dir.file("e.json")), 120);
  REQUIRE(text.exit_code == 0);
  REQUIRE(json.exit_code == 0);
  REQUIRE(to_file.exit_code == 0);
  CHECK(read_file(dir.file("e.json")) == json.out);
  CHECK(to_file.out == text.out);
  // --output and an explicit --format name the same file.
  const Run long_flag =
      run_podsim(kRing + " --output " + shell_quote(dir.file("e")) + " --format json", 120);
  REQUIRE(long_flag.exit_code == 0);
  CHECK(read_file(dir.file("e")) == json.out);
  // A .txt file takes the text itself: nothing on stdout.
  const Run txt = run_podsim(kRing + " -o " + shell_quote(dir.file("e.txt")), 120);
  REQUIRE(txt.exit_code == 0);
  CHECK(txt.out.empty());
  CHECK(read_file(dir.file("e.txt")) == text.out);
  // -o - with --format json is the JSON on stdout, as --format json alone.
  const Run dash = run_podsim(kRing + " -o - --format json", 120);
  REQUIRE(dash.exit_code == 0);
  CHECK(dash.out == json.out);
}

TEST_CASE("explain's --steps and --group choose the steps and transfers of its JSON too") {
  const Run run = run_podsim(kRing + " --format json --steps 2 --group all", 120);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  REQUIRE(doc.at("steps").size() == 2);  // step 2 of each direction
  for (const nlohmann::json& st : doc.at("steps")) {
    CHECK(st.at("step") == 2);
    CHECK(st.at("transfers").size() == 16);  // every ring: 4 rings x 4 chips
  }
  CHECK(doc.at("group").size() == 16);
}

TEST_CASE("explain of a looped einsum writes its MXU chunks and pipeline closed form as JSON") {
  const Run run = run_podsim(
      "explain --op looped-all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB --format json",
      120);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const nlohmann::json doc = nlohmann::json::parse(run.out);
  CHECK(doc.at("format_version") == 1);
  CHECK(doc.at("op") == "looped-all-gather");
  CHECK(doc.at("closed_form_kind") == "pipeline");
  CHECK_FALSE(doc.contains("closed_form_latency_s"));
  CHECK(doc.at("einsum_flops").get<double>() > 0);
  // K = 4: 3 steps; the MXU chunks that overlap a step are listed with it.
  REQUIRE(doc.at("steps").size() == 3);
  int chunks = 0;
  for (const nlohmann::json& st : doc.at("steps"))
    if (st.contains("compute")) chunks += static_cast<int>(st.at("compute").size());
  CHECK(chunks >= 1);
  // The pipeline's closed form is the recurrence: at least the K x 2 half-chunks of MXU time.
  CHECK(doc.at("closed_form_s").get<double>() >= 8 * doc.at("chunk_s").get<double>() * (1 - 1e-9));
}

TEST_CASE("the looped einsum's closed form counts the fixed costs the replay pays") {
  // platforms/tpu-v4.yaml has a collective launch cost and a fixed cost per op (op_overhead_s,
  // paid before every chunk's matmul): the pipeline recurrence must count them to meet the
  // per-chip replay, which simulates every chunk and transfer.
  const podsim::Platform platform = tpu_v4();
  REQUIRE(platform.chip.op_overhead_s > 0);
  for (const char* op : {"looped-all-gather", "looped-reduce-scatter"}) {
    INFO(op);
    const Run run = run_podsim(std::string("explain --op ") + op +
                                   " --axes x --shape 4x4x1 --wrap x --bytes 1MiB --format json",
                               120);
    REQUIRE(run.exit_code == 0);
    const nlohmann::json doc = nlohmann::json::parse(run.out);
    CHECK(doc.at("ratio").get<double>() == Approx(1.0).epsilon(1e-6));
    // At least the launch and 2K-1 = 7 chunks, each with its fixed cost.
    CHECK(doc.at("closed_form_s").get<double>() >=
          platform.chip.collective_overhead_s +
              7 * platform.chip.op_overhead_s + 8 * doc.at("chunk_s").get<double>() * (1 - 1e-9));
  }
}

TEST_CASE("explain refuses a format it does not write with exit 2") {
  const Run xml = run_podsim(kRing + " --format xml", 60);
  CHECK(xml.exit_code == 2);
  CHECK(contains(xml.err, "--format"));
  CHECK(xml.out.empty());
  const Run csv = run_podsim(kRing + " --format csv", 60);
  CHECK(csv.exit_code == 2);
  CHECK(csv.out.empty());
}

TEST_CASE("explain -o on /dev/full exits 2 in one line and a torn write leaves no file") {
  const Run full = run_podsim(kRing + " -o /dev/full", 120);
  INFO(full.err);
  CHECK(full.exit_code == 2);
  CHECK(contains(full.err, "/dev/full: -o: "));
  CHECK(contains(full.err, ": No space left on device\n"));
  CHECK(full.err.find('\n') == full.err.size() - 1);
  // A file size limit of 1 KiB with SIGXFSZ ignored: the write fails part-way (the JSON of every
  // group is far larger); neither the output nor its temporary file is left.
  const TempDir dir;
  const std::string json = dir.file("e.json");
  const Run torn = run_command("trap '' XFSZ; ulimit -f 1; timeout -k 5 120 " +
                               shell_quote(PODSIM_BINARY) + " " + kRing + " --group all -o " +
                               shell_quote(json));
  INFO(torn.err);
  CHECK(torn.exit_code == 2);
  CHECK(contains(torn.err, json + ": -o: cannot write: File too large\n"));
  CHECK(podsim::test::fs::is_empty(dir.path));
}
