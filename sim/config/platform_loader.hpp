#pragma once
// Reads platforms/*.yaml into a Platform (chip + slice shapes), validating every field.

#include <string>

#include "sim/model/chip_spec.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::config {

// Loads a platform file. Throws InputError (file:line:col: key: problem) on any bad input.
Platform load_platform(const std::string& path);

// Resolves a platform argument: a path to a .yaml file, or a bare name ("tpu-v4") looked up in
// `platforms_dir`. Throws InputError when neither exists.
std::string resolve_platform_path(const std::string& name_or_path, const std::string& platforms_dir);

// The slice for `chips` from the platform's table; InputError naming `key` when there is none.
TorusShape slice_for_chip_count(const Platform& platform, long long chips, const std::string& key,
                                const SourceLocation& where = {});

}  // namespace podsim::config
