#include "sim/workload/calibration_case.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/check.hpp"

namespace podsim {

namespace {

constexpr FittableParameter kParameters[] = {
    {"mxu_efficiency", &ChipSpec::mxu_efficiency, true},
    {"hbm_efficiency", &ChipSpec::hbm_efficiency, true},
    {"ici_efficiency", &ChipSpec::ici_efficiency, true},
    {"op_overhead_s", &ChipSpec::op_overhead_s, false},
    {"collective_overhead_s", &ChipSpec::collective_overhead_s, false},
};

}  // namespace

const FittableParameter& fittable_parameter(const std::string& name) {
  for (const FittableParameter& p : kParameters)
    if (name == p.name) return p;
  PODSIM_CHECK(false, "unknown parameter {}", name);
  return kParameters[0];
}

// Unconstrained coordinate <-> value. Fractions start strictly inside (0, 1); overheads start at
// one microsecond when they are zero (exp cannot reach zero).
double to_free(const FittableParameter& p, double value) {
  if (p.fraction) {
    // Start no closer to 1 than 0.95: the logit's slope vanishes there and the fit would not
    // move (a platform value of exactly 1 is a placeholder, not a measurement).
    const double v = std::clamp(value, 1e-3, 0.95);
    return std::log(v / (1 - v));
  }
  return std::log(std::max(value, 1e-6));
}
double from_free(const FittableParameter& p, double x) {
  return p.fraction ? 1 / (1 + std::exp(-x)) : std::exp(x);
}



const std::vector<std::string>& fittable_parameters() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const FittableParameter& p : kParameters) out.push_back(p.name);
    return out;
  }();
  return names;
}

double get_parameter(const ChipSpec& chip, const std::string& name) {
  return chip.*(fittable_parameter(name).field);
}
void set_parameter(ChipSpec& chip, const std::string& name, double value) {
  chip.*(fittable_parameter(name).field) = value;
}

}  // namespace podsim
