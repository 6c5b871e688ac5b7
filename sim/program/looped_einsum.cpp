#include "sim/program/looped_einsum.hpp"

#include <algorithm>
#include <map>

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

namespace {

// One chunk of the einsum: MXU and HBM together (the roofline), after `after`.
TaskId add_chunk(ChipProgram& chip, const EinsumWork& work, int chunks, std::int32_t label,
                 const std::vector<TaskId>& after, const ChipSpec& spec) {
  const TaskId ready = chip.join(after);
  const Flops core = core_flops(work, spec) / chunks;
  const TaskId mxu = chip.add(Task{.kind = TaskKind::compute, .label = label, .flops = core}, ready);
  const TaskId hbm = chip.add(
      Task{.kind = TaskKind::hbm, .label = label, .bytes = work.hbm_bytes / static_cast<Bytes>(chunks)},
      ready);
  return chip.join({mxu, hbm});
}

}  // namespace

void append_looped_einsum(Program& program, const Torus& torus, LoopedKind kind,
                          const CollectiveSpec& spec, const EinsumWork& work, const ChipSpec& chip,
                          std::int32_t label, Frontier& frontier, RingOrder order) {
  program.next_channel = 0;  // ops run one after another: channels can be reused (see trace_program)
  const std::int32_t forward_channel = program.allocate_channels(2);
  const std::int32_t backward_channel = forward_channel + 1;
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
      const TaskId start = frontier[me];
      std::vector<TaskId> all{start};
      const auto send = [&](int d, TaskId after) {
        all.push_back(c.add(Task{.kind = TaskKind::send, .peer = toward[d], .channel = channel[d],
                                 .hops = torus.route_hops(me, toward[d]), .label = label,
                                 .fold_source = one_hop ? from[d] : ChipId{-1},
                                 .bytes = half[d]},
                            after));
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

}  // namespace podsim
