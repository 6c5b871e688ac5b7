#pragma once
// Levenberg-Marquardt least squares with a finite-difference Jacobian: the fitting method of
// `podsim calibrate`. Pure math; the residual function is supplied by the caller (for calibration:
// log(simulated / measured) per case, so every case weighs the same whatever its scale).

#include <functional>
#include <string>
#include <vector>

namespace podsim {

struct LeastSquaresOptions {
  int max_iterations = 30;
  double step = 1e-3;        // finite-difference step in the (unconstrained) parameters
  double tolerance = 1e-10;  // stop when the cost improves by less than this, relatively
  // Largest change of any parameter in one step (0: none). A bounded fit works in logit
  // coordinates, where a Gauss-Newton step from near a bound can jump to the far end, on whose
  // flat tail the fit would stall; calibration limits steps to 2 (a factor e^2 in the odds).
  double max_step = 0;
  // Called after each iteration with its number (from 1), the cost and the evaluations so far.
  std::function<void(int iteration, double cost, int evaluations)> progress;
};

struct LeastSquaresResult {
  std::vector<double> x;     // the parameters at the minimum found
  double cost = 0;           // sum of squared residuals there
  int iterations = 0;
  int evaluations = 0;
};

// Minimises sum_i r_i(x)^2 from `x0`. `residuals` returns r(x) (always the same length).
// Requires x0.size() <= residuals(x0).size() (no more unknowns than equations).
LeastSquaresResult least_squares(
    const std::function<std::vector<double>(const std::vector<double>&)>& residuals,
    std::vector<double> x0, const LeastSquaresOptions& options = {});

}  // namespace podsim
