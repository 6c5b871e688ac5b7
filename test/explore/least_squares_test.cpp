// The least-squares solver must recover parameters it was given.

#include <catch2/catch.hpp>

#include <vector>

#include "sim/explore/least_squares.hpp"

namespace podsim {

TEST_CASE("least squares recovers the parameters of a known model") {
  // y = a * x + b * x^2 sampled without noise at 5 points, fitted from far away.
  const auto residuals = [](const std::vector<double>& p) {
    std::vector<double> r;
    for (double x : {1.0, 2.0, 3.0, 4.0, 5.0}) r.push_back(p[0] * x + p[1] * x * x - (3 * x + 0.5 * x * x));
    return r;
  };
  const LeastSquaresResult fit = least_squares(residuals, {0.0, 0.0});
  CHECK(fit.x[0] == Approx(3.0).epsilon(1e-6));
  CHECK(fit.x[1] == Approx(0.5).epsilon(1e-6));
}

}  // namespace podsim
