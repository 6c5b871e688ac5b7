#pragma once
// The options that name one collective on a slice, shared by `podsim collective` and
// `podsim explain`: their flags, and their resolution into a platform, a shape and a validated
// CollectiveSpec (bad values throw InputError naming the flag).

#include <CLI/CLI.hpp>

#include <string>

#include "sim/partition/collective.hpp"
#include "sim/model/chip_spec.hpp"
#include "sim/topology/torus.hpp"

namespace podsim::cli {

struct CollectiveOptions {
  std::string shape;
  std::string wrap = "auto";
  std::string op = "all-gather";
  std::string axes;
  std::string bytes;
  std::string algorithm = "auto";
  std::string multi_axis;  // empty: the platform's
  std::string platform = "tpu-v4";
  bool twist = false;
};

// Adds --shape --wrap --twist --op --axes --bytes --algorithm --multi-axis --platform, with the
// current values of `options` as their defaults.
void add_collective_options(CLI::App* sub, CollectiveOptions& options);

struct ResolvedCollective {
  Platform platform;
  TorusShape shape;
  CollectiveSpec spec;
};

// The axes of `shape` that wrap ("xy"), or "none": the `wraparound` of collective's and
// explain's outputs.
std::string wraps_name(const TorusShape& shape);

// Loads the platform, parses the shape, wrap and collective, and validates the collective on
// the shape (reported against --axes).
ResolvedCollective resolve_collective(const CollectiveOptions& options);

}  // namespace podsim::cli
