#include "sim/workload/calibration_case.hpp"

#include <algorithm>
#include <cmath>
#include <variant>

#include "sim/core/check.hpp"

namespace podsim {

namespace {

// The fittable rows of chip_fields(), in table order.
const std::vector<FittableParameter>& parameters() {
  static const std::vector<FittableParameter> kParameters = [] {
    std::vector<FittableParameter> out;
    for (const ChipField& f : chip_fields())
      if (f.fit != ChipFit::none)
        out.push_back({f.key, std::get<double ChipSpec::*>(f.member), f.fit == ChipFit::logistic});
    return out;
  }();
  return kParameters;
}

}  // namespace

const FittableParameter& fittable_parameter(const std::string& name) {
  for (const FittableParameter& p : parameters())
    if (name == p.name) return p;
  PODSIM_CHECK(false, "unknown parameter {}", name);
  return parameters()[0];
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

const std::vector<std::string>& fittable_parameters() { return fittable_chip_fields(); }

double get_parameter(const ChipSpec& chip, const std::string& name) {
  return chip.*(fittable_parameter(name).field);
}
void set_parameter(ChipSpec& chip, const std::string& name, double value) {
  chip.*(fittable_parameter(name).field) = value;
}

}  // namespace podsim
