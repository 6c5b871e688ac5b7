#include "sim/program/algorithms.hpp"

#include <algorithm>
#include <map>

#include "sim/core/check.hpp"

namespace podsim {

std::vector<std::vector<ChipId>> groups_of(const Torus& torus, const AxisSet& axes) {
  // Key each chip by its coordinates outside `axes`; chips are visited in id order, so each
  // group comes out sorted and groups are ordered by their first chip.
  std::map<std::array<int, 3>, std::size_t> index;
  std::vector<std::vector<ChipId>> groups;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    Coord key = torus.coord(c);
    for (Axis a : kAxes)
      if (axes.contains(a)) key[a] = 0;
    auto [it, inserted] = index.try_emplace(key.v, groups.size());
    if (inserted) groups.emplace_back();
    groups[it->second].push_back(c);
  }
  return groups;
}

TaskId add_message(ChipProgram& chip, Task send, TaskId after, Seconds overhead_s,
                   TaskId also_after) {
  // The message's first task (its fixed cost, else the send) waits for both predecessors.
  const auto first = [&](Task task) {
    const TaskId id = chip.add(std::move(task), after);
    if (also_after != kNoTask) chip.depend(also_after, id);
    return id;
  };
  if (overhead_s > 0)
    return chip.add(std::move(send),
                    first(Task{.kind = TaskKind::delay, .label = send.label, .delay_s = overhead_s}));
  return first(std::move(send));
}

namespace {

// One phase over `axis` on every ring of that axis: appends each chip's sends, receives and (for
// reduce-scatter) additions after frontier[chip]; on return frontier[chip] is the chip's end.
void append_ring_phase(Program& program, const Torus& torus, const RingPhase& phase,
                       RingAlgorithm algorithm, Seconds overhead_s, std::int32_t label,
                       Frontier& frontier) {
  const std::int32_t channel = program.allocate_channels(2);  // one per direction
  for (const std::vector<ChipId>& ring : torus.rings(phase.axis)) {
    const int k = static_cast<int>(ring.size());
    const Bytes shard = std::max<Bytes>(1, phase.larger_bytes / k);
    for (int p = 0; p < k; ++p) {
      if (!program.lowers(ring[p])) continue;
      ChipProgram& chip = program.chips[ring[p]];
      const TaskId start = frontier[ring[p]];
      std::vector<TaskId> all;
      struct Stream {
        int direction;  // +1 or -1 along the ring
        Bytes bytes;    // per message
        TaskId last;    // the latest received (and reduced) data of this stream
        TaskId sent = kNoTask;  // the stream's latest send (a line's sends leave in order)
      };
      std::vector<Stream> streams;
      switch (algorithm) {
        case RingAlgorithm::bidir_ring:
          streams = {{+1, shard - shard / 2, start}, {-1, shard / 2, start}};
          break;
        case RingAlgorithm::ring:
          streams = {{+1, shard, start}};
          break;
        case RingAlgorithm::line:
          streams = {{+1, shard, start}, {-1, shard, start}};
          break;
        case RingAlgorithm::automatic:
          PODSIM_CHECK(false, "algorithm must be resolved before lowering");
      }
      for (int s = 1; s < k; ++s) {
        for (Stream& stream : streams) {
          if (stream.bytes == 0) continue;
          // Position along the stream's direction: q = 0 is where a line's chain starts.
          const int q = stream.direction > 0 ? p : k - 1 - p;
          bool sends = true, receives = true;
          if (algorithm == RingAlgorithm::line) {
            // All-gather: chip q forwards the shards of chips q, q-1, ... in steps 1..q+1.
            // Reduce-scatter: the partial sum for chip d leaves chip 0 at step k-d and grows by
            // one chip per step, so chip q sends in steps q+1..k-1.
            const bool has_next = q < k - 1, has_previous = q > 0;
            sends = has_next && (phase.reduce ? s >= q + 1 : s <= q + 1);
            receives = has_previous && (phase.reduce ? s >= q : s <= q);
          }
          const int to = (p + stream.direction + k) % k;
          const int from = (p - stream.direction + k) % k;
          const std::int32_t lane = channel + (stream.direction > 0 ? 0 : 1);
          if (sends) {
            Task send{.kind = TaskKind::send, .peer = ring[to], .channel = lane, .hops = 1,
                      .label = label, .bytes = stream.bytes};
            // A line's first chip sends k-1 partial sums that wait for no data: its DMA queue sends
            // them one after another, not all at once sharing the link (which would delay the
            // first, and with it the whole chain, by the others' bytes).
            stream.sent = add_message(chip, std::move(send), stream.last, overhead_s,
                                      algorithm == RingAlgorithm::line ? stream.sent : kNoTask);
            all.push_back(stream.sent);
          }
          if (receives) {
            Task recv{.kind = TaskKind::recv, .peer = ring[from], .channel = lane,
                      .label = label, .bytes = stream.bytes};
            TaskId got = chip.add(std::move(recv), start);
            if (phase.reduce) {
              Task add{.kind = TaskKind::hbm, .label = label,
                       .bytes = static_cast<Bytes>(kReduceHbmBytesPerByte *
                                                   static_cast<double>(stream.bytes))};
              got = chip.add(std::move(add), got);
            }
            all.push_back(got);
            stream.last = got;
          }
        }
      }
      if (start != kNoTask) all.push_back(start);
      frontier[ring[p]] = chip.join(all);
    }
  }
}

Frontier append_ring_collective(Program& program, const Torus& torus, const CollectiveSpec& spec,
                                const Frontier& start, std::int32_t label) {
  std::vector<Frontier> ends;
  for (const auto& phases : ring_collective_parts(spec, torus.shape())) {
    Frontier frontier = start;
    for (const RingPhase& phase : phases)
      append_ring_phase(program, torus, phase,
                        effective_algorithm(spec.algorithm, torus.shape(), phase.axis),
                        spec.message_overhead_s, label, frontier);
    ends.push_back(std::move(frontier));
  }
  if (ends.size() == 1) return ends.front();
  Frontier joined(torus.chip_count());
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    if (!program.lowers(c)) continue;
    std::vector<TaskId> parts;
    for (const Frontier& end : ends) parts.push_back(end[c]);
    joined[c] = program.chips[c].join(parts);
  }
  return joined;
}

Frontier append_all_to_all(Program& program, const Torus& torus, const CollectiveSpec& spec,
                           const Frontier& start, std::int32_t label) {
  const std::int32_t channel = program.allocate_channels(1);
  Frontier end(torus.chip_count(), kNoTask);
  const std::vector<std::vector<ChipId>> groups = groups_of(torus, spec.axes);
  // With program.relative_order every chip visits its peers in the same order of offsets (those
  // of chip 0's group, in id order), so that each chip's program is chip 0's translated, as the
  // fold's check wants; else in id order (the per-chip replay's order, kept byte for byte: the
  // order in which simultaneous sends are posted changes no time beyond rounding, which the
  // tests of the fold against the per-chip replay bound at 1e-12).
  std::vector<Coord> offsets;
  for (ChipId c : groups.front()) offsets.push_back(torus.coord(c));
  for (const std::vector<ChipId>& group : groups) {
    const Bytes chunk = std::max<Bytes>(1, spec.bytes / group.size());
    for (ChipId me : group) {
      if (!program.lowers(me)) continue;
      ChipProgram& chip = program.chips[me];
      std::vector<TaskId> all;
      // The chunks' DMAs are set up together: one message overhead before all of them leave.
      TaskId ready = start[me];
      if (spec.message_overhead_s > 0)
        ready = chip.add(Task{.kind = TaskKind::delay, .label = label,
                              .delay_s = spec.message_overhead_s},
                         start[me]);
      const Coord at = torus.coord(me);
      for (std::size_t i = 0; i < group.size(); ++i) {
        ChipId other = group[i];
        if (program.relative_order) {
          Coord there;
          for (Axis a : kAxes) there[a] = (at[a] + offsets[i][a]) % torus.shape().size(a);
          other = torus.chip(there);
        }
        if (other == me) continue;
        Task send{.kind = TaskKind::send, .peer = other, .channel = channel,
                  .hops = torus.route_hops(me, other), .label = label, .bytes = chunk};
        all.push_back(chip.add(std::move(send), ready));
        Task recv{.kind = TaskKind::recv, .peer = other, .channel = channel, .label = label,
                  .bytes = chunk};
        all.push_back(chip.add(std::move(recv), start[me]));
      }
      if (start[me] != kNoTask) all.push_back(start[me]);
      end[me] = chip.join(all);
    }
  }
  return end;
}

Frontier append_permute(Program& program, const Torus& torus, const CollectiveSpec& spec,
                        const Frontier& start, std::int32_t label) {
  const std::int32_t channel = program.allocate_channels(1);
  Frontier end(torus.chip_count(), kNoTask);
  for (const std::vector<ChipId>& group : groups_of(torus, spec.axes)) {
    const std::size_t k = group.size();
    for (std::size_t i = 0; i < k; ++i) {
      if (!program.lowers(group[i])) continue;
      const ChipId me = group[i], next = group[(i + 1) % k], previous = group[(i + k - 1) % k];
      ChipProgram& chip = program.chips[me];
      Task send{.kind = TaskKind::send, .peer = next, .channel = channel,
                .hops = torus.route_hops(me, next), .label = label, .bytes = spec.bytes};
      const TaskId sent = add_message(chip, std::move(send), start[me], spec.message_overhead_s);
      Task recv{.kind = TaskKind::recv, .peer = previous, .channel = channel, .label = label,
                .bytes = spec.bytes};
      const TaskId got = chip.add(std::move(recv), start[me]);
      end[me] = chip.join({sent, got, start[me]});
    }
  }
  return end;
}

}  // namespace

Frontier append_collective(Program& program, const Torus& torus, const CollectiveSpec& spec,
                           const Frontier& start, std::int32_t label) {
  PODSIM_CHECK(static_cast<int>(start.size()) == torus.chip_count() &&
                   static_cast<int>(program.chips.size()) == torus.chip_count(),
               "program and frontier must cover the {} chips", torus.chip_count());
  Frontier launched = start;
  if (spec.launch_overhead_s > 0)
    for (ChipId c = 0; c < torus.chip_count(); ++c)
      if (program.lowers(c))
        launched[c] = program.chips[c].add(
            Task{.kind = TaskKind::delay, .label = label, .delay_s = spec.launch_overhead_s},
            start[c]);
  switch (spec.kind) {
    case CollectiveKind::all_to_all:
      return append_all_to_all(program, torus, spec, launched, label);
    case CollectiveKind::permute:
      return append_permute(program, torus, spec, launched, label);
    default:
      return append_ring_collective(program, torus, spec, launched, label);
  }
}

}  // namespace podsim
