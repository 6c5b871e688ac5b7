#pragma once
// SimGrid's own allocation failures, ended in podsim's one line (issue 14).
//
// SimGrid allocates some memory in C: xbt_malloc, xbt_realloc and xbt_strdup (xbt/sysdep.h) and
// the actors' stacks (posix_memalign in src/kernel/context/ContextSwapped.cpp). When one fails,
// xbt_assert logs a CRITICAL line on the root category, prints a backtrace and calls abort(): no
// exception, no callback. The only hook before the backtrace is the root category's log
// appender, which receives the CRITICAL line first. install_xbt_out_of_memory_hook() wraps that
// appender: a line that reports an allocation failure ends the process with
// exit_out_of_memory() (core/env.hpp: one line and exit 2, or a silent exit of a forked child
// whose parent says it); every other line goes to SimGrid's appender as before. The up-front
// estimate (program/task_budget.hpp, actor stacks included) is what refuses such runs; this is
// the net under it.

#include <string_view>

namespace podsim::simgrid_memory {

// True for the messages of SimGrid 3.32's allocation failures: "Memory allocation of N bytes
// failed", "Memory callocation of ...", "memory (re)allocation of ...", "memory allocation error
// (strdup returned NULL)" (xbt/sysdep.h) and "Failed to allocate stack." (ContextSwapped.cpp).
bool is_allocation_failure(std::string_view log_line);

// Wraps the root log category's appender (idempotent). Call after the Engine is created (its
// constructor sets the appender up).
void install_xbt_out_of_memory_hook();

}  // namespace podsim::simgrid_memory
