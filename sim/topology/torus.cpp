#include "sim/topology/torus.hpp"

#include <fmt/format.h>

#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <cstdlib>

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

std::string TorusShape::name() const { return fmt::format("{}x{}x{}", dims[0], dims[1], dims[2]); }

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

std::vector<Hop> Torus::route(ChipId src, ChipId dst) const {
  std::vector<Hop> hops;
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

int Torus::route_hops(ChipId src, ChipId dst) const {
  const Coord a = coord(src), b = coord(dst);
  int hops = 0;
  for (Axis axis : kAxes) hops += std::abs(axis_steps(axis, a[axis], b[axis]));
  return hops;
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
