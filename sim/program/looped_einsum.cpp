#include "sim/program/looped_einsum.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "sim/analytic/collective_cost.hpp"
#include "sim/program/algorithms.hpp"
#include "sim/core/check.hpp"

namespace podsim {

namespace {

// The snake: digits of the ring index, first axis fastest; an axis runs backwards when the sum of
// the slower digits is odd, so each step changes one coordinate by one.
std::vector<ChipId> snake_ring(const Torus& torus, const Coord& base,
                               const std::vector<Axis>& order) {
  std::size_t k = 1;
  for (Axis a : order) k *= torus.shape().size(a);
  std::vector<ChipId> ring;
  for (std::size_t index = 0; index < k; ++index) {
    std::vector<int> digit(order.size());
    std::size_t rest = index;
    for (std::size_t d = 0; d < order.size(); ++d) {
      digit[d] = static_cast<int>(rest % torus.shape().size(order[d]));
      rest /= torus.shape().size(order[d]);
    }
    Coord c = base;
    for (std::size_t d = 0; d < order.size(); ++d) {
      int slower = 0;
      for (std::size_t e = d + 1; e < order.size(); ++e) slower += digit[e];
      const int size = torus.shape().size(order[d]);
      c[order[d]] = slower % 2 == 0 ? digit[d] : size - 1 - digit[d];
    }
    ring.push_back(torus.chip(c));
  }
  return ring;
}

// The Hamiltonian cycle of looped_einsum.hpp. `order` lists the axes fastest first; the slowest
// is the last one of even size (so that every partial cycle has even length), else the last.
std::vector<ChipId> hamiltonian_ring(const Torus& torus, const Coord& base,
                                     std::vector<Axis> order) {
  for (std::size_t i = order.size(); i-- > 0;)
    if (torus.shape().size(order[i]) % 2 == 0) {
      std::rotate(order.begin() + static_cast<std::ptrdiff_t>(i),
                  order.begin() + static_cast<std::ptrdiff_t>(i) + 1, order.end());
      break;
    }
  std::vector<Coord> cycle;
  const Axis slowest = order.back();
  for (int v = 0; v < torus.shape().size(slowest); ++v) {
    Coord c = base;
    c[slowest] = v;
    cycle.push_back(c);
  }
  for (std::size_t d = order.size() - 1; d-- > 0;) {
    const Axis a = order[d];
    const int size = torus.shape().size(a);
    std::vector<Coord> next;
    next.reserve(cycle.size() * static_cast<std::size_t>(size));
    for (std::size_t i = 0; i < cycle.size(); ++i)
      for (int j = 0; j < size; ++j) {
        Coord c = cycle[i];
        c[a] = i % 2 == 0 ? j : size - 1 - j;
        next.push_back(c);
      }
    cycle = std::move(next);
  }
  std::vector<ChipId> ring;
  ring.reserve(cycle.size());
  for (const Coord& c : cycle) ring.push_back(torus.chip(c));
  return ring;
}

}  // namespace

std::vector<std::vector<ChipId>> ring_groups(const Torus& torus, const AxisSet& axes,
                                             RingOrder order) {
  const std::vector<Axis> axis_order = axes.axes();
  std::vector<std::vector<ChipId>> out;
  for (const std::vector<ChipId>& group : groups_of(torus, axes)) {
    Coord base = torus.coord(group.front());
    for (Axis a : axis_order) base[a] = 0;
    out.push_back(order == RingOrder::snake ? snake_ring(torus, base, axis_order)
                                            : hamiltonian_ring(torus, base, axis_order));
  }
  return out;
}

bool ring_is_one_hop(const Torus& torus, const std::vector<ChipId>& ring) {
  const std::size_t k = ring.size();
  if (k < 3) return false;
  for (std::size_t p = 0; p < k; ++p)
    if (torus.route_hops(ring[p], ring[(p + 1) % k]) != 1) return false;
  return true;
}

Axis loop_axis(const TorusShape& shape, const AxisSet& axes) {
  const std::vector<Axis> order = axes.axes();
  PODSIM_CHECK(!order.empty(), "a looped einsum needs an axis");
  Axis best = order.front();
  for (Axis a : order)
    if (shape.size(a) > shape.size(best)) best = a;
  return best;
}

namespace {

// The collective's axes other than `a`.
AxisSet other_axes(const AxisSet& axes, Axis a) {
  AxisSet rest = axes;
  rest.has[static_cast<int>(a)] = false;
  return rest;
}

// The plain part of a multi-axis loop: the collective over the axes other than the loop's, on
// the loop's side of the data (1/K of the bytes), or nothing when the loop covers every axis.
std::optional<CollectiveSpec> rest_collective(const TorusShape& shape, const CollectiveSpec& spec,
                                              Axis a) {
  const AxisSet rest = other_axes(spec.axes, a);
  if (rest.empty()) return std::nullopt;
  CollectiveSpec out = spec;
  out.axes = rest;
  out.bytes = std::max<Bytes>(1, spec.bytes / static_cast<Bytes>(shape.size(a)));
  return out;
}

Seconds einsum_seconds(const EinsumWork& work, const ChipSpec& chip) {
  return std::max(core_seconds(work, chip),
                  static_cast<double>(work.hbm_bytes) / chip.effective_hbm_bytes_per_s());
}

// The loop's chunks together: their core work at loop_chunk_efficiency of the einsum's rate.
Seconds chunked_einsum_seconds(const EinsumWork& work, const ChipSpec& chip) {
  return std::max(loop_core_seconds(work, chip),
                  static_cast<double>(work.hbm_bytes) / chip.effective_hbm_bytes_per_s());
}

void add_delay(ChipProgram& chip, Seconds delay_s, std::int32_t label, TaskId& after) {
  if (delay_s > 0)
    after = chip.add(Task{.kind = TaskKind::delay, .label = label, .delay_s = delay_s}, after);
}

// One chunk of the einsum, an op of its own: its fixed cost, then MXU and HBM together (the
// roofline), after `after`.
TaskId add_chunk(ChipProgram& chip, const EinsumWork& work, int chunks, std::int32_t label,
                 const std::vector<TaskId>& after, const ChipSpec& spec) {
  TaskId ready = chip.join(after);
  add_delay(chip, spec.op_overhead_s, label, ready);
  const Flops core = loop_core_flops(work, spec) / chunks;
  const TaskId mxu = chip.add(Task{.kind = TaskKind::compute, .label = label, .flops = core}, ready);
  const TaskId hbm = chip.add(
      Task{.kind = TaskKind::hbm, .label = label, .bytes = work.hbm_bytes / static_cast<Bytes>(chunks)},
      ready);
  return chip.join({mxu, hbm});
}

// The loop itself over one axis (spec.axes holds only it; several only with the snake
// comparison order, RingOrder::snake, of looped_einsum.hpp).
void append_loop(Program& program, const Torus& torus, LoopedKind kind, const CollectiveSpec& spec,
                 const EinsumWork& work, const ChipSpec& chip, std::int32_t label,
                 Frontier& frontier, RingOrder order) {
  program.next_channel = 0;  // ops run one after another: channels can be reused (see trace_program)
  const std::int32_t forward_channel = program.allocate_channels(2);
  const std::int32_t backward_channel = forward_channel + 1;
  const Seconds message_s = chip.ici_message_overhead_s;
  const std::vector<std::vector<ChipId>> rings = ring_groups(torus, spec.axes, order);
  bool one_hop = true;
  for (const std::vector<ChipId>& ring : rings) one_hop = one_hop && ring_is_one_hop(torus, ring);
  for (const std::vector<ChipId>& ring : rings) {
    const int k = static_cast<int>(ring.size());
    PODSIM_CHECK(k >= 2, "a looped einsum needs at least two chips");
    // Every shard (or partial sum) is cut in two halves that travel opposite ways round the ring,
    // K-1 steps each, as the bidirectional ring collective does: per step each direction carries
    // half a shard, and the MXU works on two half-chunks.
    const Bytes shard = std::max<Bytes>(2, spec.bytes / static_cast<Bytes>(k));
    const Bytes half[2] = {shard - shard / 2, shard / 2};
    const int chunks = 2 * k;
    for (int p = 0; p < k; ++p) {
      const ChipId me = ring[p];
      if (!program.lowers(me)) continue;
      const ChipId toward[2] = {ring[(p + 1) % k], ring[(p + k - 1) % k]};
      const ChipId from[2] = {toward[1], toward[0]};
      const std::int32_t channel[2] = {forward_channel, backward_channel};
      ChipProgram& c = program.chips[me];
      TaskId start = frontier[me];
      add_delay(c, chip.collective_overhead_s, label, start);  // the loop's launch
      std::vector<TaskId> all{start};
      const auto send = [&](int d, TaskId after) {
        all.push_back(add_message(c,
                                  Task{.kind = TaskKind::send, .peer = toward[d], .channel = channel[d],
                                       .hops = torus.route_hops(me, toward[d]), .label = label,
                                       .fold_source = one_hop ? from[d] : ChipId{-1},
                                       .bytes = half[d]},
                                  after, message_s));
      };
      const auto receive = [&](int d) {
        const TaskId t = c.add(Task{.kind = TaskKind::recv, .peer = from[d], .channel = channel[d],
                                    .label = label, .fold_source = one_hop ? from[d] : ChipId{-1},
                                    .bytes = half[d]},
                               start);
        all.push_back(t);
        return t;
      };
      const auto reduce = [&](int d, TaskId after) {
        const TaskId t = c.add(
            Task{.kind = TaskKind::hbm, .label = label,
                 .bytes = static_cast<Bytes>(kReduceHbmBytesPerByte * static_cast<double>(half[d]))},
            after);
        all.push_back(t);
        return t;
      };
      TaskId compute = start;
      if (kind == LoopedKind::all_gather_then_einsum) {
        // The own shard's halves leave both ways at once and are computed first; each received
        // half is forwarded (until it has gone K-1 steps) and computed in arrival order.
        TaskId data[2] = {start, start};
        compute = add_chunk(c, work, k, label, {start}, chip);
        for (int step = 1; step < k; ++step)
          for (int d = 0; d < 2; ++d) {
            send(d, data[d]);
            data[d] = receive(d);
            compute = add_chunk(c, work, chunks, label, {compute, data[d]}, chip);
          }
      } else {
        // The partial sums for the farthest chips are computed first; each travels one way,
        // every chip adding its own part, until it reaches its chip after K-1 steps. The own
        // chunk is computed last and receives the two incoming sums.
        TaskId sum[2] = {kNoTask, kNoTask};
        for (int step = 1; step < k; ++step)
          for (int d = 0; d < 2; ++d) {
            compute = add_chunk(c, work, chunks, label, {compute}, chip);
            send(d, c.join({compute, sum[d]}));
            sum[d] = reduce(d, receive(d));
          }
        compute = add_chunk(c, work, k, label, {compute}, chip);
      }
      all.push_back(compute);
      frontier[me] = c.join(all);
    }
  }
}

// The plain collective part, with its launch cost.
void append_plain(Program& program, const Torus& torus, const CollectiveSpec& spec,
                  const ChipSpec& chip, std::int32_t label, Frontier& frontier) {
  program.next_channel = 0;
  CollectiveSpec with_cost = spec;
  with_cost.message_overhead_s = chip.ici_message_overhead_s;
  with_cost.launch_overhead_s = chip.collective_overhead_s;
  frontier = append_collective(program, torus, with_cost, frontier, label);
}

}  // namespace

LoopedEstimate looped_estimate(const TorusShape& shape, LoopedKind kind, const CollectiveSpec& spec,
                               const EinsumWork& work, const ChipSpec& chip) {
  const Seconds einsum_s = einsum_seconds(work, chip);
  const Seconds chunks_s = chunked_einsum_seconds(work, chip);
  LoopedEstimate e;
  e.plain_s = chip.collective_overhead_s + collective_estimate(spec, shape, chip).time_s +
              chip.op_overhead_s + einsum_s;
  const Axis a = loop_axis(shape, spec.axes);
  const double k = shape.size(a);
  Seconds rest_s = 0;
  if (const auto rest = rest_collective(shape, spec, a))
    rest_s = chip.collective_overhead_s + collective_estimate(*rest, shape, chip).time_s;
  // One step: both directions' halves at once. On a mesh axis the ring's closing message crosses
  // the line (K-1 hops) and shares its links with the forward messages: twice the bytes per link.
  const double half = static_cast<double>(spec.bytes) / k / 2;
  const bool wrapped = shape.wrapped(a);
  Seconds step_s = chip.ici_message_overhead_s + (wrapped ? 1 : k - 1) * chip.ici_hop_latency_s +
                   (wrapped ? 1 : 2) * half / chip.effective_ici_link_bytes_per_s();
  if (kind == LoopedKind::einsum_then_reduce_scatter)
    step_s += 2 * kReduceHbmBytesPerByte * half / chip.effective_hbm_bytes_per_s();
  const Seconds pair_s = 2 * (chip.op_overhead_s + chunks_s / (2 * k));  // two half-chunks
  const Seconds own_s = chip.op_overhead_s + chunks_s / k;                 // the own chunk
  e.looped_s = rest_s + chip.collective_overhead_s + own_s + (k - 1) * std::max(pair_s, step_s);
  return e;
}

void append_looped_einsum(Program& program, const Torus& torus, LoopedKind kind,
                          const CollectiveSpec& spec, const EinsumWork& work, const ChipSpec& chip,
                          std::int32_t label, Frontier& frontier, RingOrder order) {
  if (order == RingOrder::snake) {  // the first version's loop: one snake ring over every axis
    append_loop(program, torus, kind, spec, work, chip, label, frontier, order);
    return;
  }
  const Axis a = loop_axis(torus.shape(), spec.axes);
  CollectiveSpec loop = spec;
  loop.axes = AxisSet{};
  loop.axes.has[static_cast<int>(a)] = true;
  const std::optional<CollectiveSpec> rest = rest_collective(torus.shape(), spec, a);
  if (rest && kind == LoopedKind::all_gather_then_einsum)
    append_plain(program, torus, *rest, chip, label, frontier);
  append_loop(program, torus, kind, loop, work, chip, label, frontier, order);
  if (rest && kind == LoopedKind::einsum_then_reduce_scatter)
    append_plain(program, torus, *rest, chip, label, frontier);
}

}  // namespace podsim
