#include "sim/core/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace podsim {

namespace {
spdlog::level::level_enum g_level = spdlog::level::warn;
}

std::shared_ptr<spdlog::logger> logger(const std::string& module) {
  auto existing = spdlog::get(module);
  if (existing) return existing;
  auto created = spdlog::stderr_color_mt(module);
  created->set_level(g_level);
  created->set_pattern("[%n] %l: %v");
  return created;
}

void set_log_level(spdlog::level::level_enum level) {
  g_level = level;
  spdlog::apply_all([level](const std::shared_ptr<spdlog::logger>& l) { l->set_level(level); });
}

}  // namespace podsim
