#include "sim/explore/least_squares.hpp"

#include <algorithm>
#include <cmath>

#include "sim/core/check.hpp"

namespace podsim {

namespace {

double sum_of_squares(const std::vector<double>& r) {
  double s = 0;
  for (double v : r) s += v * v;
  return s;
}

// Solves A x = b (A symmetric positive definite, small) by Gaussian elimination with pivoting.
std::vector<double> solve(std::vector<std::vector<double>> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t row = col + 1; row < n; ++row)
      if (std::abs(a[row][col]) > std::abs(a[pivot][col])) pivot = row;
    std::swap(a[col], a[pivot]);
    std::swap(b[col], b[pivot]);
    if (std::abs(a[col][col]) < 1e-300) a[col][col] = 1e-300;
    for (std::size_t row = col + 1; row < n; ++row) {
      const double f = a[row][col] / a[col][col];
      for (std::size_t k = col; k < n; ++k) a[row][k] -= f * a[col][k];
      b[row] -= f * b[col];
    }
  }
  std::vector<double> x(n);
  for (std::size_t i = n; i-- > 0;) {
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[i][k] * x[k];
    x[i] = s / a[i][i];
  }
  return x;
}

}  // namespace

LeastSquaresResult least_squares(
    const std::function<std::vector<double>(const std::vector<double>&)>& residuals,
    std::vector<double> x0, const LeastSquaresOptions& options) {
  LeastSquaresResult result;
  result.x = std::move(x0);
  std::vector<double> r = residuals(result.x);
  ++result.evaluations;
  PODSIM_CHECK(result.x.size() <= r.size(), "{} unknowns for {} equations", result.x.size(), r.size());
  result.cost = sum_of_squares(r);
  const std::size_t n = result.x.size(), m = r.size();
  double lambda = 1e-2;
  for (int iteration = 0; iteration < options.max_iterations && result.cost > 0; ++iteration) {
    result.iterations = iteration + 1;
    // Jacobian by forward differences.
    std::vector<std::vector<double>> j(m, std::vector<double>(n));
    for (std::size_t k = 0; k < n; ++k) {
      std::vector<double> x = result.x;
      x[k] += options.step;
      const std::vector<double> rk = residuals(x);
      ++result.evaluations;
      for (std::size_t i = 0; i < m; ++i) j[i][k] = (rk[i] - r[i]) / options.step;
    }
    std::vector<std::vector<double>> jtj(n, std::vector<double>(n, 0.0));
    std::vector<double> jtr(n, 0.0);
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t a = 0; a < n; ++a) {
        jtr[a] -= j[i][a] * r[i];
        for (std::size_t b = 0; b < n; ++b) jtj[a][b] += j[i][a] * j[i][b];
      }
    // A parameter the residuals do not feel (its column of J vanishes, e.g. a bounded parameter
    // pressed against its bound, where the logistic is flat) is held still: otherwise the solve
    // divides by nearly zero and, with max_step, shrinks every other parameter's step to nothing.
    double largest_diagonal = 0;
    for (std::size_t a = 0; a < n; ++a) largest_diagonal = std::max(largest_diagonal, jtj[a][a]);
    for (std::size_t a = 0; a < n; ++a)
      if (jtj[a][a] <= 1e-10 * largest_diagonal) {
        for (std::size_t b = 0; b < n; ++b) jtj[a][b] = jtj[b][a] = 0;
        jtj[a][a] = largest_diagonal > 0 ? largest_diagonal : 1;
        jtr[a] = 0;
      }
    bool improved = false;
    for (int attempt = 0; attempt < 8 && !improved; ++attempt) {
      std::vector<std::vector<double>> damped = jtj;
      for (std::size_t a = 0; a < n; ++a) damped[a][a] += lambda * (jtj[a][a] + 1e-12);
      std::vector<double> delta = solve(damped, jtr);
      if (options.max_step > 0) {
        double largest = 0;
        for (double d : delta) largest = std::max(largest, std::abs(d));
        if (largest > options.max_step)
          for (double& d : delta) d *= options.max_step / largest;
      }
      std::vector<double> x = result.x;
      for (std::size_t a = 0; a < n; ++a) x[a] += delta[a];
      const std::vector<double> rx = residuals(x);
      ++result.evaluations;
      const double cost = sum_of_squares(rx);
      if (cost < result.cost) {
        const double gain = (result.cost - cost) / result.cost;
        result.x = x;
        r = rx;
        result.cost = cost;
        lambda = std::max(lambda / 4, 1e-9);
        improved = true;
        if (options.progress) options.progress(result.iterations, result.cost, result.evaluations);
        if (gain < options.tolerance) return result;
      } else {
        lambda *= 8;
      }
    }
    if (!improved) break;
  }
  return result;
}

}  // namespace podsim
