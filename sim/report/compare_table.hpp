#pragma once
// `podsim compare`'s outputs from its typed results (one PointResult per variant): the text table,
// one row per variant with the best value of each column marked `*`, and the JSON document.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "sim/report/sweep_table.hpp"

namespace podsim {

// The table of `scenario`'s variants: the columns the results have (prefill and/or decode
// metrics, the breakdown, memory per chip, whether it fits), a variant that did not run shown
// with its reason.
std::string table_text(const std::string& scenario, const std::vector<PointResult>& results);

// {"scenario": ..., "variants": [{index, variant, status, fits, scenario, metrics, path,
// reason}, ...]}.
nlohmann::json results_json(const std::string& scenario, const std::vector<PointResult>& results);

}  // namespace podsim
