#include "sim/replay/looped_einsum.hpp"

#include <map>

#include "sim/collective/algorithms.hpp"
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
  const Flops core = work.mxu_flops / chunks +
                     (spec.vector_flops_per_s > 0
                          ? work.vector_flops / chunks * spec.peak_flops_per_s / spec.vector_flops_per_s
                          : 0.0);
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
    const Bytes shard = std::max<Bytes>(1, spec.bytes / static_cast<Bytes>(k));
    const int forward_count = k / 2, backward_count = (k - 1) / 2;  // ceil, floor of (k-1)/2
    for (int p = 0; p < k; ++p) {
      const ChipId me = ring[p], next = ring[(p + 1) % k], previous = ring[(p + k - 1) % k];
      ChipProgram& c = program.chips[me];
      const TaskId start = frontier[me];
      std::vector<TaskId> all{start};
      const auto send = [&](ChipId to, std::int32_t channel, TaskId after) {
        const TaskId t = c.add(Task{.kind = TaskKind::send, .peer = to, .channel = channel,
                                    .hops = torus.route_hops(me, to), .label = label, .bytes = shard},
                               after);
        all.push_back(t);
        return t;
      };
      const auto receive = [&](ChipId from, std::int32_t channel) {
        const TaskId t = c.add(Task{.kind = TaskKind::recv, .peer = from, .channel = channel,
                                    .label = label, .bytes = shard},
                               start);
        all.push_back(t);
        return t;
      };
      const auto reduce = [&](TaskId after) {
        const TaskId t = c.add(
            Task{.kind = TaskKind::hbm, .label = label,
                 .bytes = static_cast<Bytes>(kReduceHbmBytesPerByte * static_cast<double>(shard))},
            after);
        all.push_back(t);
        return t;
      };
      if (kind == LoopedKind::all_gather_then_einsum) {
        // The own shard goes both ways at once and is computed first; every received shard is
        // forwarded (while more are due that way) and computed in arrival order.
        TaskId compute = add_chunk(c, work, k, label, {start}, chip);
        TaskId forward_data = start, backward_data = start;
        for (int j = 1; j <= forward_count; ++j) {
          send(next, forward_channel, forward_data);
          forward_data = receive(previous, forward_channel);
          if (j <= backward_count) {
            send(previous, backward_channel, backward_data);
            backward_data = receive(next, backward_channel);
          }
          compute = add_chunk(c, work, k, label, {compute, forward_data}, chip);
          if (j <= backward_count) compute = add_chunk(c, work, k, label, {compute, backward_data}, chip);
        }
        all.push_back(compute);
      } else {
        // Partial sums for the farthest destinations are computed first and travel towards them,
        // each chip adding its own part; the chip's own chunk is computed last and receives the
        // two incoming sums.
        TaskId compute = start, forward_sum = kNoTask, backward_sum = kNoTask;
        for (int j = 1; j <= forward_count; ++j) {
          compute = add_chunk(c, work, k, label, {compute}, chip);
          send(next, forward_channel, c.join({compute, forward_sum}));
          forward_sum = reduce(receive(previous, forward_channel));
          if (j <= backward_count) {
            compute = add_chunk(c, work, k, label, {compute}, chip);
            send(previous, backward_channel, c.join({compute, backward_sum}));
            backward_sum = reduce(receive(next, backward_channel));
          }
        }
        compute = add_chunk(c, work, k, label, {compute}, chip);
        all.push_back(compute);
      }
      frontier[me] = c.join(all);
    }
  }
}

}  // namespace podsim
