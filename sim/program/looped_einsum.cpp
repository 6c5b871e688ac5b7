#include "sim/program/looped_einsum.hpp"

#include <map>

#include "sim/program/algorithms.hpp"
#include "sim/core/check.hpp"

namespace podsim {

std::vector<std::vector<ChipId>> ring_groups(const Torus& torus, const AxisSet& axes) {
  const std::vector<Axis> order = axes.axes();
  std::vector<std::vector<ChipId>> out;
  for (const std::vector<ChipId>& group : groups_of(torus, axes)) {
    const Coord base = torus.coord(group.front());
    std::size_t k = 1;
    for (Axis a : order) k *= torus.shape().size(a);
    std::vector<ChipId> ring;
    for (std::size_t index = 0; index < k; ++index) {
      // Digits of `index`, first axis fastest; an axis runs backwards when the sum of the slower
      // digits is odd, so each step changes one coordinate by one.
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
    out.push_back(std::move(ring));
  }
  return out;
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
                          std::int32_t label, Frontier& frontier) {
  program.next_channel = 0;  // ops run one after another: channels can be reused (see trace_program)
  const std::int32_t forward_channel = program.allocate_channels(2);
  const std::int32_t backward_channel = forward_channel + 1;
  for (const std::vector<ChipId>& ring : ring_groups(torus, spec.axes)) {
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
                                 .bytes = half[d]},
                            after));
      };
      const auto receive = [&](int d) {
        const TaskId t = c.add(Task{.kind = TaskKind::recv, .peer = from[d], .channel = channel[d],
                                    .label = label, .bytes = half[d]},
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
