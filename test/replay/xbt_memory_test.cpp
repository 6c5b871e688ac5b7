// The xbt log hook that ends SimGrid's allocation failures in podsim's one line: which lines it
// takes for one. The messages are SimGrid 3.32's own (xbt/sysdep.h and
// src/kernel/context/ContextSwapped.cpp), as they reach the appender (with the layout's prefix).
#include "sim/replay/xbt_memory.hpp"

#include <catch2/catch.hpp>

using podsim::simgrid_memory::is_allocation_failure;

TEST_CASE("SimGrid's allocation failures are told from its other critical lines") {
  CHECK(is_allocation_failure(
      "[0.000000] ./src/kernel/context/ContextSwapped.cpp:104: [root/CRITICAL] Failed to "
      "allocate stack.\n"));
  CHECK(is_allocation_failure("[0.000000] [root/CRITICAL] Memory allocation of 4096 bytes failed\n"));
  CHECK(is_allocation_failure("[root/CRITICAL] Memory callocation of 24 bytes failed"));
  CHECK(is_allocation_failure("[root/CRITICAL] memory (re)allocation of 80 bytes failed"));
  CHECK(is_allocation_failure("[root/CRITICAL] memory allocation error (strdup returned NULL)"));
  CHECK_FALSE(is_allocation_failure("[0.000000] [root/CRITICAL] Oops! Deadlock detected, some "
                                    "activities are still around but will never complete."));
  CHECK_FALSE(is_allocation_failure("[root/CRITICAL] duration is not finite!"));
}
