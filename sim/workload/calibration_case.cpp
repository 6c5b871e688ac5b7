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
        out.push_back({f.key, std::get<double ChipSpec::*>(f.member), f.prior.min, f.prior.max,
                       f.prior.source});
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

// Unconstrained coordinate <-> value: a logistic map onto the documented range [min, max], so
// that no fit can leave it. A start on or outside the range is moved 1% of its width inside (the
// logistic's slope vanishes at the ends, where the fit would not move).
double to_free(const FittableParameter& p, double value) {
  const double width = p.max - p.min;
  const double u = std::clamp((value - p.min) / width, 0.01, 0.99);
  return std::log(u / (1 - u));
}
double from_free(const FittableParameter& p, double x) {
  // Within 1e-9 of the width of an end, the end itself (a logistic never reaches it; the fitted
  // value 2e-179 s is 0 s).
  const double u = 1 / (1 + std::exp(-x));
  if (u < 1e-9) return p.min;
  if (u > 1 - 1e-9) return p.max;
  return p.min + (p.max - p.min) * u;
}

const std::vector<std::string>& fittable_parameters() { return fittable_chip_fields(); }

double get_parameter(const ChipSpec& chip, const std::string& name) {
  return chip.*(fittable_parameter(name).field);
}
void set_parameter(ChipSpec& chip, const std::string& name, double value) {
  chip.*(fittable_parameter(name).field) = value;
}

}  // namespace podsim
