#pragma once
// The 3D torus of a TPU v4 slice: chip coordinates, which axes wrap around, the six directed ICI
// links of every chip, the rings of each axis and dimension-order routes. Pure C++ (Boost.Graph
// for the link graph); the SimGrid platform in sim/replay/ is built from this description.
//
// Chip ids are x-fastest: id = x + X * (y + Y * z). A directed link is named by its source chip
// and a Direction; link ids are chip * 6 + direction.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/graph/adjacency_list.hpp>

#include "sim/core/input_error.hpp"

namespace podsim {

enum class Axis : int { x = 0, y = 1, z = 2 };
inline constexpr std::array<Axis, 3> kAxes = {Axis::x, Axis::y, Axis::z};
char axis_name(Axis axis);

// A set of mesh axes, e.g. {y, z} for "yz". Kept in x, y, z order.
struct AxisSet {
  std::array<bool, 3> has{false, false, false};
  bool contains(Axis a) const { return has[static_cast<int>(a)]; }
  bool empty() const { return !has[0] && !has[1] && !has[2]; }
  int size() const { return int(has[0]) + int(has[1]) + int(has[2]); }
  std::vector<Axis> axes() const;  // in x, y, z order
  std::string name() const;        // "xyz", "yz", ...; "" when empty
  bool operator==(const AxisSet&) const = default;
};
// Parses "x", "yz", "xyz" (each axis at most once, in any order). Throws InputError naming `key`.
AxisSet parse_axes(std::string_view text, const std::string& key, const SourceLocation& where = {});

// The six link directions of a chip: +x, -x, +y, -y, +z, -z.
enum class Direction : int { px = 0, nx = 1, py = 2, ny = 3, pz = 4, nz = 5 };
inline constexpr int kDirections = 6;
Direction direction_of(Axis axis, bool positive);
Axis axis_of(Direction d);
bool is_positive(Direction d);
std::string_view direction_name(Direction d);  // "+x", "-x", ...

using ChipId = int;
using LinkId = int;  // chip * kDirections + direction
struct Coord {
  std::array<int, 3> v{0, 0, 0};
  int operator[](Axis a) const { return v[static_cast<int>(a)]; }
  int& operator[](Axis a) { return v[static_cast<int>(a)]; }
  bool operator==(const Coord&) const = default;
};

// Shape of a slice and which of its axes wrap around.
struct TorusShape {
  std::array<int, 3> dims{1, 1, 1};
  std::array<bool, 3> wraps{false, false, false};
  // A twisted torus (TPU v4's optical switches, platforms/README.md §9): the wrap links of the
  // short axes are shifted by half a long axis along every long axis (twist_shift below). Only
  // 4x4x8 and 4x8x8 (in any axis order) with every axis wrapped; twist_violation says why not.
  bool twisted = false;

  int size(Axis a) const { return dims[static_cast<int>(a)]; }
  bool wrapped(Axis a) const { return wraps[static_cast<int>(a)]; }
  int chip_count() const { return dims[0] * dims[1] * dims[2]; }
  std::string name() const;  // "4x4x4"; "4x4x8 twisted" for a twisted slice
  bool operator==(const TorusShape&) const = default;
};

// The largest slice podsim accepts: a full TPU v4 pod has 4096 chips (16x16x16); larger shapes
// are allowed up to this bound so that overflow is impossible.
inline constexpr int kMaxChips = 1 << 20;

// The TPU v4 wraparound rule (Google Cloud TPU v4 docs; platforms/README.md §1): the optical
// circuit
// switches close the rings of a slice made of whole 4x4x4 cubes, so every axis wraps when all
// three dimensions are multiples of 4; smaller or odd slices are meshes.
std::array<bool, 3> tpu_v4_wraparound(const std::array<int, 3>& dims);

// Why `shape` cannot be twisted (nullopt when it can): its dimensions are not 4x4x8 or 4x8x8 in
// some order, or one of its axes does not wrap. The message completes "cannot be twisted: ...".
std::optional<std::string> twist_violation(const TorusShape& shape);

// The twist of a twisted shape: twist_shift(shape, a)[b] is what crossing axis a's wrap link in
// the positive direction adds to coordinate b (modulo its size; the negative direction subtracts
// it). Half of a long axis (size 2k) along every long axis, for each short axis (size k); zero
// for a long axis and for an untwisted shape.
std::array<int, 3> twist_shift(const TorusShape& shape, Axis a);

// Parses "XxYxZ" (positive integers, product at most kMaxChips) and applies the TPU v4
// wraparound rule. Throws InputError naming `key`.
TorusShape parse_shape(std::string_view text, const std::string& key,
                       const SourceLocation& where = {});

// Parses a wraparound override: "auto" (the TPU v4 rule), "none", or a set of axes ("xy").
// Returns std::nullopt for "auto".
std::optional<std::array<bool, 3>> parse_wrap(std::string_view text, const std::string& key,
                                              const SourceLocation& where = {});

// One hop of a route: the link leaving `from` in direction `direction`.
struct Hop {
  ChipId from;
  Direction direction;
};

class Torus {
 public:
  explicit Torus(const TorusShape& shape);

  const TorusShape& shape() const { return shape_; }
  int chip_count() const { return shape_.chip_count(); }
  int link_slot_count() const { return chip_count() * kDirections; }

  Coord coord(ChipId chip) const;
  ChipId chip(const Coord& c) const;

  // The chip at the other end of `chip`'s link in direction d, or nullopt where the link does
  // not exist (the edge of a mesh axis, or an axis of size 1).
  std::optional<ChipId> neighbor(ChipId chip, Direction d) const;
  bool has_link(ChipId chip, Direction d) const { return neighbor(chip, d).has_value(); }
  static LinkId link_id(ChipId chip, Direction d) { return chip * kDirections + static_cast<int>(d); }
  std::string link_name(LinkId link) const;  // "c(1,2,3)+x"

  // The chips of `chip`'s ring (or line) along `axis`, in increasing coordinate order.
  std::vector<ChipId> ring_of(ChipId chip, Axis axis) const;
  // All rings along `axis`, each in increasing coordinate order, rings ordered by their first chip.
  std::vector<std::vector<ChipId>> rings(Axis axis) const;
  // The group of chips that share every coordinate outside `axes` with `chip`, ordered by id.
  std::vector<ChipId> group_of(ChipId chip, const AxisSet& axes) const;

  // Dimension-order route (x, then y, then z). On a wrapped axis it goes the shorter way round;
  // when both ways are equally long it goes the positive way. On a mesh axis it goes straight.
  // On a twisted shape: a shortest route on the twisted graph, chosen as a displacement of least
  // hops among dst - src plus the lattice of the wraps (the graph is a Cayley graph of Z^3 modulo
  // that lattice, so its hop distance is that least L1 norm), the same for every source (ties
  // broken once per shape to even out the six directions' all-to-all loads, torus.cpp), then
  // walked x, then y, then z. Deterministic; test/topology checks it against BFS.
  std::vector<Hop> route(ChipId src, ChipId dst) const;
  // Number of hops of route(src, dst), without building it.
  int route_hops(ChipId src, ChipId dst) const;

  // The link graph (one vertex per chip, one edge per existing directed link) for graph
  // algorithms; and breadth-first hop distances from `src` over it.
  using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
  const Graph& graph() const { return graph_; }
  std::vector<int> bfs_hops(ChipId src) const;

 private:
  // Signed steps to take along `axis` from coordinate a to coordinate b under the routing rule.
  int axis_steps(Axis axis, int a, int b) const;
  // The signed steps along x, y and z of the route from src to dst (either shape).
  std::array<int, 3> route_steps(ChipId src, ChipId dst) const;

  TorusShape shape_;
  Graph graph_;
};

}  // namespace podsim
