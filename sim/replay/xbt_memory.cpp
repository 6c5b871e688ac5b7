#include "sim/replay/xbt_memory.hpp"

#include <xbt/log.h>

#include <array>

#include "sim/core/env.hpp"

// The layout of SimGrid 3.32's appender (src/xbt/log_private.hpp), which xbt/log.h declares but
// does not define: checked against the library, whose xbt_log_appender_stream() callocs 0x18
// bytes and stores do_append at offset 0, a null free_ at 8 and the FILE* at 16.
struct xbt_log_appender_s {
  void (*do_append)(const s_xbt_log_appender_t* this_appender, const char* event);
  void (*free_)(const s_xbt_log_appender_t* this_appender);
  void* data;
};

namespace podsim::simgrid_memory {

namespace {

using Append = void (*)(const s_xbt_log_appender_t*, const char*);
Append g_original_append = nullptr;

void append(const s_xbt_log_appender_t* appender, const char* event) {
  if (event != nullptr && is_allocation_failure(event)) exit_out_of_memory();
  g_original_append(appender, event);
}

}  // namespace

bool is_allocation_failure(std::string_view line) {
  constexpr std::array<std::string_view, 5> kMessages = {
      "Memory allocation of ", "Memory callocation of ", "memory (re)allocation of ",
      "memory allocation error (strdup returned NULL)", "Failed to allocate stack."};
  for (std::string_view m : kMessages)
    if (line.find(m) != std::string_view::npos) return true;
  return false;
}

void install_xbt_out_of_memory_hook() {
  xbt_log_appender_t appender = _XBT_LOGV(XBT_LOG_ROOT_CAT).appender;
  if (appender == nullptr || appender->do_append == append) return;
  g_original_append = appender->do_append;
  appender->do_append = append;
}

}  // namespace podsim::simgrid_memory
