#include "sim/topology/torus.hpp"

#include <fmt/format.h>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "sim/core/check.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

char axis_name(Axis axis) { return "xyz"[static_cast<int>(axis)]; }

std::vector<Axis> AxisSet::axes() const {
  std::vector<Axis> out;
  for (Axis a : kAxes)
    if (contains(a)) out.push_back(a);
  return out;
}

std::string AxisSet::name() const {
  std::string out;
  for (Axis a : axes()) out += axis_name(a);
  return out;
}

AxisSet parse_axes(std::string_view text, const std::string& key, const SourceLocation& where) {
  AxisSet set;
  if (text.empty())
    throw InputError(where, key, "no axes given; write a non-empty subset of xyz such as x, yz, xyz");
  for (char c : text) {
    if (c < 'x' || c > 'z')
      throw InputError(where, key,
                       fmt::format("'{}' is not a set of axes; write a non-empty subset of xyz "
                                   "such as x, yz, xyz",
                                   text));
    const int index = c - 'x';
    if (set.has[index])
      throw InputError(where, key, fmt::format("axis {} appears twice in '{}'", c, text));
    set.has[index] = true;
  }
  return set;
}

Direction direction_of(Axis axis, bool positive) {
  return static_cast<Direction>(2 * static_cast<int>(axis) + (positive ? 0 : 1));
}
Axis axis_of(Direction d) { return static_cast<Axis>(static_cast<int>(d) / 2); }
bool is_positive(Direction d) { return static_cast<int>(d) % 2 == 0; }
std::string_view direction_name(Direction d) {
  static constexpr std::string_view kNames[] = {"+x", "-x", "+y", "-y", "+z", "-z"};
  return kNames[static_cast<int>(d)];
}

std::string TorusShape::name() const {
  return fmt::format("{}x{}x{}{}", dims[0], dims[1], dims[2], twisted ? " twisted" : "");
}

std::optional<std::string> twist_violation(const TorusShape& shape) {
  std::array<int, 3> sorted = shape.dims;
  std::sort(sorted.begin(), sorted.end());
  // TPU v4's twistable slices (Jouppi et al., ISCA 2023, §2; platforms/README.md §9).
  if (sorted != std::array<int, 3>{4, 4, 8} && sorted != std::array<int, 3>{4, 8, 8})
    return fmt::format("{}x{}x{} is not a twistable slice; TPU v4 twists only 4x4x8 and 4x8x8 "
                       "(in any axis order)",
                       shape.dims[0], shape.dims[1], shape.dims[2]);
  for (Axis a : kAxes)
    if (!shape.wrapped(a))
      return fmt::format("axis {} does not wrap; a twisted torus rewires the wrap links, so every "
                         "axis must wrap",
                         axis_name(a));
  return std::nullopt;
}

std::array<int, 3> twist_shift(const TorusShape& shape, Axis a) {
  std::array<int, 3> shift{0, 0, 0};
  if (!shape.twisted) return shift;
  const int k = *std::min_element(shape.dims.begin(), shape.dims.end());
  if (shape.size(a) != k) return shift;
  for (Axis b : kAxes)
    if (shape.size(b) == 2 * k) shift[static_cast<int>(b)] = k;
  return shift;
}

std::array<bool, 3> tpu_v4_wraparound(const std::array<int, 3>& dims) {
  const bool whole_cubes = dims[0] % 4 == 0 && dims[1] % 4 == 0 && dims[2] % 4 == 0;
  return {whole_cubes, whole_cubes, whole_cubes};
}

TorusShape parse_shape(std::string_view text, const std::string& key, const SourceLocation& where) {
  const auto bad = [&](const std::string& why) {
    return InputError(where, key,
                      fmt::format("'{}' {}; write the slice as XxYxZ of positive integers, e.g. "
                                  "4x4x4",
                                  text, why));
  };
  TorusShape shape;
  std::size_t start = 0;
  for (int axis = 0; axis < 3; ++axis) {
    const std::size_t end = axis < 2 ? text.find('x', start) : text.size();
    if (end == std::string_view::npos) throw bad("does not have three dimensions");
    const auto value = parse_integer(text.substr(start, end - start));
    if (!value) throw bad("is not a shape");
    if (*value <= 0) throw bad("has a dimension of zero");
    if (*value > kMaxChips) throw bad("has a dimension that is too large");
    shape.dims[axis] = static_cast<int>(*value);
    start = end + 1;
  }
  const long long chips = 1LL * shape.dims[0] * shape.dims[1] * shape.dims[2];
  if (chips > kMaxChips)
    throw InputError(where, key,
                     fmt::format("'{}' has {} chips, more than podsim's limit of {}", text, chips,
                                 kMaxChips));
  shape.wraps = tpu_v4_wraparound(shape.dims);
  return shape;
}

std::optional<std::array<bool, 3>> parse_wrap(std::string_view text, const std::string& key,
                                              const SourceLocation& where) {
  if (text == "auto") return std::nullopt;
  if (text == "none") return std::array<bool, 3>{false, false, false};
  const AxisSet axes = parse_axes(text, key, where);
  return axes.has;
}

Torus::Torus(const TorusShape& shape) : shape_(shape), graph_(shape.chip_count()) {
  for (int a = 0; a < 3; ++a)
    PODSIM_CHECK(shape.dims[a] >= 1 && shape.chip_count() <= kMaxChips, "invalid shape {}",
                 shape.name());
  for (ChipId c = 0; c < chip_count(); ++c)
    for (int d = 0; d < kDirections; ++d)
      if (auto n = neighbor(c, static_cast<Direction>(d))) boost::add_edge(c, *n, graph_);
}

Coord Torus::coord(ChipId chip) const {
  const int x_size = shape_.dims[0], y_size = shape_.dims[1];
  return Coord{{chip % x_size, (chip / x_size) % y_size, chip / (x_size * y_size)}};
}

ChipId Torus::chip(const Coord& c) const {
  return c.v[0] + shape_.dims[0] * (c.v[1] + shape_.dims[1] * c.v[2]);
}

std::optional<ChipId> Torus::neighbor(ChipId chip_id, Direction d) const {
  const Axis axis = axis_of(d);
  const int size = shape_.size(axis);
  if (size == 1) return std::nullopt;
  Coord c = coord(chip_id);
  int next = c[axis] + (is_positive(d) ? 1 : -1);
  if (next < 0 || next >= size) {
    if (!shape_.wrapped(axis)) return std::nullopt;
    next = (next + size) % size;
    // A twisted wrap link lands shifted along the long axes (twist_shift).
    const std::array<int, 3> shift = twist_shift(shape_, axis);
    for (Axis b : kAxes) {
      const int n = shape_.size(b), s = shift[static_cast<int>(b)];
      const int by = is_positive(d) ? s : -s;
      c[b] = ((c[b] + by) % n + n) % n;
    }
  }
  c[axis] = next;
  return chip(c);
}

std::string Torus::link_name(LinkId link) const {
  const Coord c = coord(link / kDirections);
  return fmt::format("c({},{},{}){}", c.v[0], c.v[1], c.v[2],
                     direction_name(static_cast<Direction>(link % kDirections)));
}

std::vector<ChipId> Torus::ring_of(ChipId chip_id, Axis axis) const {
  Coord c = coord(chip_id);
  std::vector<ChipId> ring(shape_.size(axis));
  for (int i = 0; i < shape_.size(axis); ++i) {
    c[axis] = i;
    ring[i] = chip(c);
  }
  return ring;
}

std::vector<std::vector<ChipId>> Torus::rings(Axis axis) const {
  std::vector<std::vector<ChipId>> out;
  for (ChipId c = 0; c < chip_count(); ++c)
    if (coord(c)[axis] == 0) out.push_back(ring_of(c, axis));
  return out;
}

std::vector<ChipId> Torus::group_of(ChipId chip_id, const AxisSet& axes) const {
  const Coord base = coord(chip_id);
  std::vector<ChipId> group;
  for (ChipId c = 0; c < chip_count(); ++c) {
    const Coord other = coord(c);
    bool same = true;
    for (Axis a : kAxes)
      if (!axes.contains(a) && other[a] != base[a]) same = false;
    if (same) group.push_back(c);
  }
  return group;
}

int Torus::axis_steps(Axis axis, int a, int b) const {
  const int size = shape_.size(axis);
  if (!shape_.wrapped(axis)) return b - a;
  const int forward = ((b - a) % size + size) % size;
  return forward <= size - forward ? forward : forward - size;
}

namespace {

// The routes of a twisted slice, by the chip that chip 0 sends to: one displacement (signed steps
// along x, y, z) per target. Among the displacements of fewest hops (the target plus the wrap
// lattice, |n_i| <= 2 multiples of each wrap vector: every coordinate is within one size of 0, so
// the shortest are among them; the BFS test checks it), one is chosen per target so that the six
// link directions carry all-to-all loads as even as can be had greedily: targets with fewer
// choices first, then by id; each takes the choice that keeps the most loaded direction lowest
// (then the sum of squares; then the first in enumeration order). Deterministic, and the same
// displacement from every source, so the routing is translation invariant. Computed once per
// shape (a few milliseconds for 4x8x8) and kept for the process.
std::vector<std::array<int, 3>> build_twisted_routes(const TorusShape& shape) {
  std::array<std::array<int, 3>, 3> basis{};
  for (Axis i : kAxes) {
    basis[static_cast<int>(i)] = twist_shift(shape, i);
    basis[static_cast<int>(i)][static_cast<int>(i)] = shape.size(i);
  }
  const int n = shape.chip_count();
  std::vector<std::vector<std::array<int, 3>>> choices(n);
  for (int t = 1; t < n; ++t) {
    const std::array<int, 3> c{t % shape.dims[0], (t / shape.dims[0]) % shape.dims[1],
                               t / (shape.dims[0] * shape.dims[1])};
    int best = -1;
    for (int n0 = -2; n0 <= 2; ++n0)
      for (int n1 = -2; n1 <= 2; ++n1)
        for (int n2 = -2; n2 <= 2; ++n2) {
          std::array<int, 3> w{};
          int hops = 0;
          for (int k = 0; k < 3; ++k) {
            w[k] = c[k] + n0 * basis[0][k] + n1 * basis[1][k] + n2 * basis[2][k];
            hops += std::abs(w[k]);
          }
          if (best < 0 || hops < best) {
            best = hops;
            choices[t].clear();
          }
          if (hops == best && std::find(choices[t].begin(), choices[t].end(), w) == choices[t].end())
            choices[t].push_back(w);
        }
  }
  std::vector<int> order;
  for (int t = 1; t < n; ++t) order.push_back(t);
  std::stable_sort(order.begin(), order.end(),
                   [&](int p, int q) { return choices[p].size() < choices[q].size(); });
  std::vector<std::array<int, 3>> routes(n, std::array<int, 3>{0, 0, 0});
  std::array<long long, kDirections> load{};
  const auto with = [](std::array<long long, kDirections> l, const std::array<int, 3>& w) {
    for (int k = 0; k < 3; ++k) l[2 * k + (w[k] > 0 ? 0 : 1)] += std::abs(w[k]);
    return l;
  };
  for (int t : order) {
    std::pair<long long, long long> best_key{-1, -1};
    for (const std::array<int, 3>& w : choices[t]) {
      const std::array<long long, kDirections> l = with(load, w);
      long long most = 0, squares = 0;
      for (long long v : l) most = std::max(most, v), squares += v * v;
      const std::pair<long long, long long> key{most, squares};
      if (best_key.first < 0 || key < best_key) {
        best_key = key;
        routes[t] = w;
      }
    }
    load = with(load, routes[t]);
  }
  return routes;
}

const std::vector<std::array<int, 3>>& twisted_route_table(const TorusShape& shape) {
  static std::mutex mutex;
  static std::map<std::array<int, 3>, std::vector<std::array<int, 3>>> tables;
  const std::lock_guard<std::mutex> lock(mutex);
  auto it = tables.find(shape.dims);
  if (it == tables.end()) it = tables.emplace(shape.dims, build_twisted_routes(shape)).first;
  return it->second;
}

}  // namespace

std::array<int, 3> Torus::route_steps(ChipId src, ChipId dst) const {
  const Coord a = coord(src), b = coord(dst);
  std::array<int, 3> steps{0, 0, 0};
  if (!shape_.twisted) {
    for (Axis axis : kAxes)
      steps[static_cast<int>(axis)] = axis_steps(axis, a[axis], b[axis]);
    return steps;
  }
  // The displacement's class: dst - src reduced into the box modulo the wrap lattice (the short
  // axes first, whose wraps shift the long ones), i.e. the chip that chip 0 reaches by it.
  std::array<int, 3> w{};
  for (int c = 0; c < 3; ++c) w[c] = b.v[c] - a.v[c];
  for (Axis i : kAxes) {
    const std::array<int, 3> shift = twist_shift(shape_, i);
    if (shift == std::array<int, 3>{0, 0, 0}) continue;
    int& wi = w[static_cast<int>(i)];
    const int n = shape_.size(i), q = (wi - ((wi % n) + n) % n) / n;  // floor(wi / n)
    wi -= q * n;
    for (int c = 0; c < 3; ++c)
      if (c != static_cast<int>(i)) w[c] -= q * shift[c];
  }
  Coord target;
  for (Axis i : kAxes) {
    const int n = shape_.size(i);
    target[i] = ((w[static_cast<int>(i)] % n) + n) % n;
  }
  return twisted_route_table(shape_).at(chip(target));
}

std::vector<Hop> Torus::route(ChipId src, ChipId dst) const {
  std::vector<Hop> hops;
  if (!shape_.twisted) {
    Coord at = coord(src);
    const Coord target = coord(dst);
    for (Axis axis : kAxes) {
      const int steps = axis_steps(axis, at[axis], target[axis]);
      const Direction d = direction_of(axis, steps > 0);
      for (int i = 0; i < std::abs(steps); ++i) {
        const ChipId from = chip(at);
        hops.push_back(Hop{from, d});
        at[axis] = (at[axis] + (steps > 0 ? 1 : -1) + shape_.size(axis)) % shape_.size(axis);
      }
    }
    return hops;
  }
  const std::array<int, 3> steps = route_steps(src, dst);
  ChipId at = src;
  for (Axis axis : kAxes) {
    const int s = steps[static_cast<int>(axis)];
    const Direction d = direction_of(axis, s > 0);
    for (int i = 0; i < std::abs(s); ++i) {
      hops.push_back(Hop{at, d});
      const auto next = neighbor(at, d);
      PODSIM_CHECK(next.has_value(), "route from {} to {} leaves the slice", src, dst);
      at = *next;
    }
  }
  PODSIM_CHECK(at == dst, "route from {} to {} ends at {}", src, dst, at);
  return hops;
}

int Torus::route_hops(ChipId src, ChipId dst) const {
  if (!shape_.twisted) {
    const Coord a = coord(src), b = coord(dst);
    int hops = 0;
    for (Axis axis : kAxes) hops += std::abs(axis_steps(axis, a[axis], b[axis]));
    return hops;
  }
  const std::array<int, 3> steps = route_steps(src, dst);
  return std::abs(steps[0]) + std::abs(steps[1]) + std::abs(steps[2]);
}

std::vector<int> Torus::bfs_hops(ChipId src) const {
  std::vector<int> distance(chip_count(), 0);
  boost::breadth_first_search(
      graph_, boost::vertex(src, graph_),
      boost::visitor(boost::make_bfs_visitor(
          boost::record_distances(distance.data(), boost::on_tree_edge()))));
  return distance;
}

}  // namespace podsim
