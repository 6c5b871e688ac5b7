// compare's table (report/compare_table): the best value of a column is marked only among two or
// more simulated variants, and the takeaway line names the fastest and its ratio to the slowest,
// computed here from the results given.

#include "sim/report/compare_table.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace podsim {
namespace {

PointResult decode_result(std::size_t index, const std::string& point, double step_s) {
  PointResult r;
  r.index = index;
  r.point = point;
  r.status = kStatusOk;
  r.fits = "yes";
  for (const char* k : {"prefill_s", "prefill_mfu", "decode_mfu", "total_s", "mfu",
                        "cost_chip_s_per_token", "compute_s", "weight_load_s", "kv_load_s",
                        "exposed_comm_s", "other_s", "weights_bytes", "kv_bytes",
                        "activation_bytes"})
    r.metrics[k] = 0;
  r.metrics["decode_step_s"] = step_s;
  r.metrics["total_s"] = 64 * step_s;
  return r;
}

PointResult invalid_result(std::size_t index, const std::string& point) {
  PointResult r;
  r.index = index;
  r.point = point;
  r.status = kStatusInvalid;
  r.reason = "x.yaml:1:1: chips: 3 is not a slice";
  return r;
}

}  // namespace

TEST_CASE("a lone simulated variant is not starred and has no takeaway") {
  const std::string text =
      table_text("s.yaml", {decode_result(1, "chips=64", 0.02), invalid_result(2, "chips=3")});
  CHECK(text.find('*') == std::string::npos);
  CHECK(text.find("1 simulated: nothing to mark as best") != std::string::npos);
  CHECK(text.find("fastest") == std::string::npos);
  CHECK(text.find("#2 chips=3: invalid: x.yaml:1:1") != std::string::npos);
}

TEST_CASE("two simulated variants are starred and the takeaway names the fastest") {
  const std::string text = table_text(
      "s.yaml", {decode_result(1, "ffn_layout=ws-1d", 0.030), decode_result(2, "ffn_layout=ws-2d", 0.012)});
  CHECK(text.find("(* = best of the column)") != std::string::npos);
  CHECK(text.find("12.000*") != std::string::npos);  // step ms of the faster
  // 30 ms / 12 ms = 2.50.
  INFO(text);
  CHECK(text.find("fastest: #2 ffn_layout=ws-2d (12.000 ms per decode step), 2.50x faster than "
                  "the slowest, #1 ffn_layout=ws-1d (30.000 ms)") != std::string::npos);
}

TEST_CASE("a time column reads in seconds once a variant takes 10 s or more") {
  // Decode steps of 20 ms and 0.2 s: totals (64 steps) of 1.28 s and 12.8 s. The step column
  // stays in ms (0.2 s < 10 s); the total column switches to seconds, both rows in it.
  const std::string text = table_text(
      "s.yaml", {decode_result(1, "batch=8", 0.020), decode_result(2, "batch=64", 0.200)});
  INFO(text);
  CHECK(text.find("step ms") != std::string::npos);
  CHECK(text.find("total s") != std::string::npos);
  CHECK(text.find("total ms") == std::string::npos);
  CHECK(text.find("200.000") != std::string::npos);  // the step, in ms
  CHECK(text.find("12.800") != std::string::npos);   // 64 x 0.2 s, in s
  CHECK(text.find("1.280*") != std::string::npos);   // 64 x 0.02 s, in s, the best
  CHECK(text.find("12800.000") == std::string::npos);
}

}  // namespace podsim
