#include "sim/partition/collective.hpp"

#include <fmt/format.h>

#include "sim/core/check.hpp"
#include "sim/core/quantity_parse.hpp"

namespace podsim {

namespace {
template <typename Enum, std::size_t N>
Enum parse_enum(std::string_view text, const std::string (&names)[N], const Enum (&values)[N],
                const std::string& key, const SourceLocation& where, std::string_view what) {
  for (std::size_t i = 0; i < N; ++i)
    if (names[i] == text) return values[i];
  std::vector<std::string> all(std::begin(names), std::end(names));
  std::string hint;
  if (auto close = closest_match(text, all)) hint = fmt::format(" (did you mean '{}'?)", *close);
  throw InputError(where, key,
                   fmt::format("unknown {} '{}'{}; choose one of: {}", what, text, hint,
                               fmt::join(all, ", ")));
}

const std::string kKindNames[] = {"all-gather", "reduce-scatter", "all-reduce", "all-to-all",
                                  "permute"};
const CollectiveKind kKinds[] = {CollectiveKind::all_gather, CollectiveKind::reduce_scatter,
                                 CollectiveKind::all_reduce, CollectiveKind::all_to_all,
                                 CollectiveKind::permute};
const std::string kAlgorithmNames[] = {"auto", "bidir-ring", "ring", "line"};
const RingAlgorithm kAlgorithms[] = {RingAlgorithm::automatic, RingAlgorithm::bidir_ring,
                                     RingAlgorithm::ring, RingAlgorithm::line};
const std::string kMultiAxisNames[] = {"concurrent", "sequential"};
const MultiAxis kMultiAxes[] = {MultiAxis::concurrent, MultiAxis::sequential};
const std::string kRingOrderNames[] = {"hamiltonian", "snake"};
const RingOrder kRingOrders[] = {RingOrder::hamiltonian, RingOrder::snake};
}  // namespace

std::string_view collective_kind_name(CollectiveKind kind) {
  return kKindNames[static_cast<int>(kind)];
}
std::string_view ring_algorithm_name(RingAlgorithm algorithm) {
  return kAlgorithmNames[static_cast<int>(algorithm)];
}
std::string_view multi_axis_name(MultiAxis multi_axis) {
  return kMultiAxisNames[static_cast<int>(multi_axis)];
}

std::string_view ring_order_name(RingOrder order) {
  return kRingOrderNames[static_cast<int>(order)];
}
RingOrder parse_ring_order(std::string_view text, const std::string& key,
                           const SourceLocation& where) {
  return parse_enum(text, kRingOrderNames, kRingOrders, key, where, "ring order");
}

CollectiveKind parse_collective_kind(std::string_view text, const std::string& key,
                                     const SourceLocation& where) {
  return parse_enum(text, kKindNames, kKinds, key, where, "collective");
}
RingAlgorithm parse_ring_algorithm(std::string_view text, const std::string& key,
                                   const SourceLocation& where) {
  return parse_enum(text, kAlgorithmNames, kAlgorithms, key, where, "algorithm");
}
MultiAxis parse_multi_axis(std::string_view text, const std::string& key,
                           const SourceLocation& where) {
  return parse_enum(text, kMultiAxisNames, kMultiAxes, key, where, "multi-axis strategy");
}

const std::vector<std::string>& collective_kind_names() {
  static const std::vector<std::string> names(std::begin(kKindNames), std::end(kKindNames));
  return names;
}
const std::vector<std::string>& ring_algorithm_names() {
  static const std::vector<std::string> names(std::begin(kAlgorithmNames),
                                              std::end(kAlgorithmNames));
  return names;
}

RingAlgorithm effective_algorithm(RingAlgorithm requested, const TorusShape& shape, Axis axis) {
  if (requested != RingAlgorithm::automatic) return requested;
  return shape.wrapped(axis) ? RingAlgorithm::bidir_ring : RingAlgorithm::line;
}

void validate_collective(const CollectiveSpec& spec, const TorusShape& shape,
                         const std::string& key, const SourceLocation& where) {
  if (spec.axes.empty())
    throw InputError(where, key, "no axes given; a collective runs over a subset of xyz");
  long long group = 1;
  for (Axis a : spec.axes.axes()) {
    if (shape.size(a) == 1)
      throw InputError(where, key,
                       fmt::format("axis {} has size 1 on {}, so a collective over it has nobody "
                                   "to talk to; choose axes of size 2 or more",
                                   axis_name(a), shape.name()));
    group *= shape.size(a);
    const bool ring_like = spec.kind != CollectiveKind::all_to_all &&
                           spec.kind != CollectiveKind::permute;
    if (ring_like && !shape.wrapped(a) &&
        (spec.algorithm == RingAlgorithm::ring || spec.algorithm == RingAlgorithm::bidir_ring))
      throw InputError(where, key,
                       fmt::format("algorithm {} needs a wrapped axis, but axis {} of {} is a mesh "
                                   "axis without wraparound; use line or auto",
                                   ring_algorithm_name(spec.algorithm), axis_name(a),
                                   shape.name()));
  }
  const long long parts = spec.multi_axis == MultiAxis::concurrent ? spec.axes.size() : 1;
  if (spec.bytes == 0 || static_cast<long long>(spec.bytes) < group * parts * 2)
    throw InputError(where, key,
                     fmt::format("{} bytes cannot be split over {} chips{}; give at least {} bytes",
                                 spec.bytes, group, parts > 1 ? " and the axes" : "",
                                 group * parts * 2));
}

std::vector<std::vector<RingPhase>> ring_collective_parts(const CollectiveSpec& spec,
                                                          const TorusShape& shape) {
  const std::vector<Axis> axes = spec.axes.axes();
  const std::size_t n = axes.size();
  const std::size_t part_count = spec.multi_axis == MultiAxis::concurrent ? n : 1;
  std::vector<std::vector<RingPhase>> parts;
  for (std::size_t j = 0; j < part_count; ++j) {
    // Part j gets an equal share of the buffer (the last one the remainder) and visits the axes
    // starting at axis j.
    const Bytes share = spec.bytes / part_count + (j + 1 == part_count ? spec.bytes % part_count : 0);
    std::vector<Axis> order;
    for (std::size_t i = 0; i < n; ++i) order.push_back(axes[(j + i) % n]);

    std::vector<RingPhase> phases;
    // Reduce-scatter: the input shrinks by each axis in turn.
    const auto reduce_scatter = [&](Bytes input) {
      for (Axis a : order) {
        phases.push_back({a, input, true});
        input /= shape.size(a);
      }
      return input;
    };
    // All-gather over `gather_order` ending at `output`: the output of each phase is the final
    // output divided by the sizes of the axes still to come.
    const auto all_gather = [&](const std::vector<Axis>& gather_order, Bytes output) {
      for (std::size_t i = 0; i < gather_order.size(); ++i) {
        Bytes phase_output = output;
        for (std::size_t k = i + 1; k < gather_order.size(); ++k)
          phase_output /= shape.size(gather_order[k]);
        phases.push_back({gather_order[i], phase_output, false});
      }
    };
    switch (spec.kind) {
      case CollectiveKind::all_gather:
        all_gather(order, share);
        break;
      case CollectiveKind::reduce_scatter:
        reduce_scatter(share);
        break;
      case CollectiveKind::all_reduce: {
        reduce_scatter(share);
        std::vector<Axis> reverse(order.rbegin(), order.rend());
        all_gather(reverse, share);
        break;
      }
      default:
        PODSIM_CHECK(false, "{} is not a ring collective", collective_kind_name(spec.kind));
    }
    parts.push_back(std::move(phases));
  }
  return parts;
}

}  // namespace podsim
