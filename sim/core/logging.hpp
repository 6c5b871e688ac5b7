#pragma once
// One spdlog logger per module ("replay", "workload", ...). Only the CLI configures levels;
// library code just asks for its logger.

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace podsim {

// Returns the logger of `module`, creating it (stderr, shared level) on first use.
std::shared_ptr<spdlog::logger> logger(const std::string& module);

// Sets the level of every podsim logger, present and future ("warn", "info", "debug", "trace").
void set_log_level(spdlog::level::level_enum level);

}  // namespace podsim
