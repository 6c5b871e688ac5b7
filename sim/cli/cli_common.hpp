#pragma once
// Pieces shared by the podsim subcommands: where data files are found, output helpers.

#include <nlohmann/json.hpp>

#include <string>

namespace podsim::cli {

// The project directory holding platforms/, workloads/ and scenarios/: $PODSIM_HOME if set, else
// the current directory if it has platforms/, else the source tree podsim was built from.
std::string data_dir();

// Resolves --platform (a name such as "tpu-v4" or a path to a YAML file).
std::string platform_path(const std::string& name_or_path);

// Writes `doc` (2-space indented, keys sorted, so the same result gives the same bytes) to
// `path`, or to stdout when path is "-". Throws InputError when the file cannot be written.
void write_json(const nlohmann::json& doc, const std::string& path);

}  // namespace podsim::cli
