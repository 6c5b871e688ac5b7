#pragma once
// PODSIM_CHECK: a broken invariant (a bug in podsim, not bad input) prints its source location
// and exits with code 1. Bad input throws InputError instead (exit code 2).

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#define PODSIM_CHECK(condition, ...)                                                        \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fputs(fmt::format("{}:{}: internal error: check `{}` failed: {}\n", __FILE__,     \
                             __LINE__, #condition, fmt::format(__VA_ARGS__))                \
                     .c_str(),                                                              \
                 stderr);                                                                   \
      std::exit(1);                                                                         \
    }                                                                                       \
  } while (false)
