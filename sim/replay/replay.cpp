#include "sim/replay/replay.hpp"

#include <fmt/format.h>
#include <simgrid/s4u.hpp>
#include <xbt/config.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <queue>
#include <unordered_map>

#include "sim/core/check.hpp"
#include "sim/core/logging.hpp"
#include "sim/program/fold.hpp"
#include "sim/replay/torus_platform.hpp"
#include "sim/replay/xbt_memory.hpp"
#include "sim/program/task_budget.hpp"

namespace sg4 = simgrid::s4u;

namespace podsim {

namespace {

// Mailboxes by (channel, source, destination), created before the simulation starts.
class Mailboxes {
 public:
  explicit Mailboxes(int chips) : chips_(chips) {}

  void declare(std::int32_t channel, ChipId from, ChipId to) {
    const std::uint64_t k = key(channel, from, to);
    if (!boxes_.contains(k))
      boxes_.emplace(k, sg4::Mailbox::by_name(fmt::format("{}:{}>{}", channel, from, to)));
  }
  sg4::Mailbox* get(std::int32_t channel, ChipId from, ChipId to) const {
    return boxes_.at(key(channel, from, to));
  }
  // Sets each mailbox's receiver, so that sends start as soon as they are posted.
  void make_eager(const std::vector<sg4::ActorPtr>& actors) const {
    for (const auto& [k, box] : boxes_) box->set_receiver(actors[k % chips_]);
  }

 private:
  std::uint64_t key(std::int32_t channel, ChipId from, ChipId to) const {
    return (static_cast<std::uint64_t>(channel) * chips_ + from) * chips_ + to;
  }
  std::uint64_t chips_;
  std::unordered_map<std::uint64_t, sg4::Mailbox*> boxes_;
};

// The folded replay's matching (program/fold.hpp): where each of the representative's sends
// goes (the mailbox of its peer's sink), and which receive queue its completion feeds: a send to
// chip p stands for chip -p's send to the representative, so it feeds the receives from -p.
struct Fold {
  const Torus* torus = nullptr;
  std::map<ChipId, sg4::Mailbox*> sink_box;  // by peer
};

// Executes one chip's task graph: starts every task whose dependencies are done, waits for
// running activities, repeats.
//
// Two devices keep the waiting cheap on large programs (a chip of a 16x16x16 all-gather has
// hundreds of receives, one of an 8x8x8 all-to-all over a thousand transfers):
// - Mailboxes are eager (a permanent receiver is set): a send moves its bytes as soon as it is
//   posted, as ICI DMA writes into a buffer that is already there, so the receiver posts the
//   receives of one mailbox one at a time, in FIFO order, without changing any timing.
// - A task waiting on several running activities only needs to watch one of them (its
//   "sentinel"): it cannot start before all are done, so the others are checked in turn as the
//   sentinel finishes. Only sentinels are in the set passed to wait_any.
// A send starts hops x hop latency after it is ready (the latency of the route,
// platforms/README.md §6).
// With a Fold the runner is the folded representative: sends go to sinks and are all watched, so
// that each completion is seen at its instant; a receive takes no activity and completes once it
// is ready and the matching (translated) send has completed, in FIFO order per channel and peer.
class ChipRunner {
 public:
  ChipRunner(ChipId me, const ChipProgram& program, const Mailboxes* mailboxes,
             sg4::Host* host, sg4::Host* hbm, sg4::Host* mxu, Seconds hop_latency_s, std::vector<TaskRecord>* records,
             std::vector<Seconds>* mark_s, std::vector<bool>* done, const Fold* fold = nullptr)
      : fold_(fold),
        done_(done),
        mark_s_(mark_s),
        me_(me),
        program_(program),
        mailboxes_(mailboxes),
        host_(host),
        hbm_(hbm),
        mxu_(mxu),
        hop_latency_s_(hop_latency_s),
        records_(records) {}

  void operator()() {
    prepare();
    const auto& tasks = program_.tasks;
    for (std::size_t t = 0; t < tasks.size(); ++t)
      if (remaining_[t] == 0) start(static_cast<TaskId>(t));
    drain_ready();

    while (!waiting_.empty() || !timers_.empty()) {
      const double now = sg4::Engine::get_clock();
      if (!timers_.empty() && timers_.top().at_s <= now + timer_slack_s_) {
        const TaskId t = timers_.top().task;
        timers_.pop();
        if (program_.tasks[t].kind == TaskKind::send)
          post_send(t);
        else
          ready_.push_back(t);  // a delay has elapsed
        drain_ready();
        continue;
      }
      if (waiting_.empty()) {
        sg4::this_actor::sleep_until(timers_.top().at_s);
        continue;
      }
      const double timeout = timers_.empty() ? -1.0 : timers_.top().at_s - now;
      const ssize_t index = sg4::Activity::wait_any_for(waiting_, timeout);
      if (index < 0) continue;  // a timer is due
      const TaskId t = waiting_task_[index];
      waiting_[index] = waiting_.back();
      waiting_task_[index] = waiting_task_.back();
      waiting_.pop_back();
      waiting_task_.pop_back();
      watched_[t] = false;
      finish(t);
      drain_ready();
    }
    for (TaskId t : sinks_) {  // activities nothing depends on: wait for them at the end
      activity_[t]->wait();
      finish(t);
    }
    PODSIM_CHECK(finished_ == tasks.size(), "chip {} finished {} of {} tasks: the program has a "
                 "cycle or an unmatched receive", me_, finished_, tasks.size());
  }

 private:
  struct Timer {
    double at_s;
    std::uint64_t order;  // ties broken by arming order, for determinism
    TaskId task;
    bool operator>(const Timer& o) const {
      return at_s > o.at_s || (at_s == o.at_s && order > o.order);
    }
  };

  // Folded: a timer is due once the clock is within SimGrid's time precision of it. A timeout
  // may end up to that much early, and waiting again for the remainder ends one precision quantum
  // late (measured: +1e-9 s on a send of an 8x4x4 all-gather over xy), where in the per-chip
  // replay another chip's event usually wakes the actor on time. The per-chip replay keeps its
  // exact rule, so that its outputs stay byte-identical (the slack there moves a chaotic ws-1d
  // decode by 0.04%).
  // Set once in prepare(): the loop above reads it at every wake-up.
  double timer_slack_s_ = 0;

  void prepare() {
    timer_slack_s_ = fold_ ? simgrid::config::get_value<double>("surf/precision") : 0.0;
    const auto& tasks = program_.tasks;
    const std::size_t n = tasks.size();
    remaining_.resize(n);
    activity_.resize(n);
    running_.assign(n, false);
    done_->assign(n, false);
    watched_.assign(n, false);
    sentinel_.assign(n, kNoTask);
    cursor_.assign(n, 0);
    if (records_) started_s_.assign(n, 0.0);
    mark_of_.assign(n, -1);
    for (std::size_t i = 0; i < program_.marks.size(); ++i) mark_of_[program_.marks[i]] = static_cast<std::int32_t>(i);
    mark_s_->assign(program_.marks.size(), 0.0);
    span_begin_of_.assign(n, -1);
    span_end_of_.assign(n, -1);
    span_begin_s_.assign(program_.memo_spans.size(), 0.0);
    span_end_s_.assign(program_.memo_spans.size(), -1.0);
    for (std::size_t i = 0; i < program_.memo_spans.size(); ++i) {
      const auto& span = program_.memo_spans[i];
      if (span.begin != kNoTask) {
        PODSIM_CHECK(span_begin_of_[span.begin] < 0, "two memo spans begin at task {}", span.begin);
        span_begin_of_[span.begin] = static_cast<std::int32_t>(i);
      }
      PODSIM_CHECK(span_end_of_[span.end] < 0, "two memo spans end at task {}", span.end);
      span_end_of_[span.end] = static_cast<std::int32_t>(i);
    }
    // Predecessor lists (CSR), in the order the dependencies were declared.
    pred_begin_.assign(n + 1, 0);
    for (const Task& task : tasks)
      for (TaskId s : task.successors) ++pred_begin_[s + 1];
    for (std::size_t t = 0; t < n; ++t) pred_begin_[t + 1] += pred_begin_[t];
    preds_.resize(pred_begin_[n]);
    std::vector<std::int32_t> fill(pred_begin_.begin(), pred_begin_.end() - 1);
    for (std::size_t t = 0; t < n; ++t) {
      remaining_[t] = tasks[t].dependencies;
      for (TaskId s : tasks[t].successors) preds_[fill[s]++] = static_cast<TaskId>(t);
    }
    // Per receiving mailbox, its receives in program order (next at the back).
    std::map<sg4::Mailbox*, std::int32_t> queue_of_box;
    std::map<std::pair<std::int32_t, ChipId>, std::int32_t> queue_of_source;  // folded
    box_.assign(n, nullptr);
    queue_of_.assign(n, -1);
    for (std::size_t t = 0; t < n; ++t) {
      const Task& task = tasks[t];
      if (task.kind == TaskKind::send)
        box_[t] = fold_ ? fold_->sink_box.at(task.peer)
                        : mailboxes_->get(task.channel, me_, task.peer);
      if (task.kind != TaskKind::recv) continue;
      std::int32_t q = 0;
      if (fold_) {
        auto [it, inserted] = queue_of_source.try_emplace(
            std::pair{task.channel, task.peer}, static_cast<std::int32_t>(queues_.size()));
        if (inserted) queues_.emplace_back();
        q = it->second;
      } else {
        box_[t] = mailboxes_->get(task.channel, task.peer, me_);
        auto [it, inserted] = queue_of_box.try_emplace(box_[t], static_cast<std::int32_t>(queues_.size()));
        if (inserted) queues_.emplace_back();
        q = it->second;
      }
      queue_of_[t] = q;
      queues_[q].push_back(static_cast<TaskId>(t));
    }
    for (auto& queue : queues_) std::reverse(queue.begin(), queue.end());
    receive_ready_.assign(n, false);
    receiving_.assign(queues_.size(), false);
    if (fold_) {
      arrived_.assign(queues_.size(), 0);
      fed_queue_.assign(n, -1);
      for (std::size_t t = 0; t < n; ++t) {
        const Task& task = tasks[t];
        if (task.kind != TaskKind::send) continue;
        const ChipId source =
            task.fold_source >= 0 ? task.fold_source : negate(*fold_->torus, task.peer);
        const auto it = queue_of_source.find({task.channel, source});
        if (it != queue_of_source.end()) fed_queue_[t] = it->second;
      }
    }
  }

  // Folded: completes the ready receives of queue q whose data has arrived, in FIFO order.
  void deliver(std::int32_t q) {
    auto& queue = queues_[q];
    while (!queue.empty() && arrived_[q] > 0 && receive_ready_[queue.back()]) {
      ready_.push_back(queue.back());
      queue.pop_back();
      --arrived_[q];
    }
  }

  // Posts the next receive of a mailbox once it is ready and the previous one is done: with eager
  // mailboxes the bytes move regardless, so posting a receive late changes no timing, and one
  // outstanding receive per mailbox keeps FIFO matching and the waited set small.
  void post_next_receive(std::int32_t q) {
    auto& queue = queues_[q];
    if (receiving_[q] || queue.empty() || !receive_ready_[queue.back()]) return;
    const TaskId t = queue.back();
    queue.pop_back();
    receiving_[q] = true;
    running(t, box_[t]->get_async<void>(&sink_));
  }

  void start(TaskId t) {
    const Task& task = program_.tasks[t];
    if (records_) started_s_[t] = sg4::Engine::get_clock();
    switch (task.kind) {
      case TaskKind::recv:
        receive_ready_[t] = true;
        if (fold_)
          deliver(queue_of_[t]);
        else
          post_next_receive(queue_of_[t]);
        break;
      case TaskKind::send:
        if (task.hops > 0 && hop_latency_s_ > 0)
          timers_.push(
              Timer{sg4::Engine::get_clock() + task.hops * hop_latency_s_, timer_order_++, t});
        else
          post_send(t);
        break;
      case TaskKind::compute:
        if (task.flops > 0)
          running(t, sg4::Comm::sendto_async(host_, mxu_, static_cast<std::uint64_t>(std::llround(task.flops))));
        else
          ready_.push_back(t);
        break;
      case TaskKind::hbm:
        if (task.bytes > 0)
          running(t, sg4::Comm::sendto_async(host_, hbm_, task.bytes));
        else
          ready_.push_back(t);
        break;
      case TaskKind::join:
        ready_.push_back(t);
        break;
      case TaskKind::delay: {
        Seconds delay_s = task.delay_s;
        if (task.memo >= 0) {  // a memoised op: as long as its first instance took
          PODSIM_CHECK(span_end_s_[task.memo] >= 0, "chip {}: memoised op {} replayed before its "
                       "first instance ended", me_, task.memo);
          delay_s = span_end_s_[task.memo] - span_begin_s_[task.memo];
        }
        if (delay_s > 0)
          timers_.push(Timer{sg4::Engine::get_clock() + delay_s, timer_order_++, t});
        else
          ready_.push_back(t);
        break;
      }
    }
  }

  void post_send(TaskId t) {
    const Task& task = program_.tasks[t];
    running(t, box_[t]->put_async(&payload_, task.bytes));
  }

  // Registers the activity of t; t becomes the sentinel of every successor that has none.
  void running(TaskId t, sg4::ActivityPtr activity) {
    activity_[t] = std::move(activity);
    running_[t] = true;
    const auto& successors = program_.tasks[t].successors;
    if (fold_ && program_.tasks[t].kind == TaskKind::send) watch(t);
    if (successors.empty() && !(fold_ && program_.tasks[t].kind == TaskKind::send)) {
      sinks_.push_back(t);
      return;
    }
    for (TaskId s : successors)
      if (sentinel_[s] == kNoTask) {
        sentinel_[s] = t;
        watch(t);
      }
  }

  void watch(TaskId t) {
    if (watched_[t]) return;
    watched_[t] = true;
    waiting_.push_back(activity_[t]);
    waiting_task_.push_back(t);
  }

  // s's sentinel is done: watch the next of its predecessors that is not (preds before the cursor
  // are all done; one that has not started yet will claim the watch when it starts).
  void next_sentinel(TaskId s) {
    sentinel_[s] = kNoTask;
    const std::int32_t end = pred_begin_[s + 1];
    std::int32_t& cursor = cursor_[s];
    while (pred_begin_[s] + cursor < end && (*done_)[preds_[pred_begin_[s] + cursor]]) ++cursor;
    if (pred_begin_[s] + cursor == end) return;
    const TaskId p = preds_[pred_begin_[s] + cursor];
    if (!running_[p]) return;
    sentinel_[s] = p;
    watch(p);
  }

  // Marks t done and starts the successors it releases (instant tasks go to ready_).
  void finish(TaskId t) {
    (*done_)[t] = true;
    running_[t] = false;
    ++finished_;
    if (records_ || mark_of_[t] >= 0 || span_begin_of_[t] >= 0 || span_end_of_[t] >= 0) {
      const double end = activity_[t] ? activity_[t]->get_finish_time() : sg4::Engine::get_clock();
      if (records_) records_->push_back(TaskRecord{me_, t, started_s_[t], end});
      if (mark_of_[t] >= 0) (*mark_s_)[mark_of_[t]] = end;
      if (span_begin_of_[t] >= 0) span_begin_s_[span_begin_of_[t]] = end;
      if (span_end_of_[t] >= 0) span_end_s_[span_end_of_[t]] = end;
    }
    const Task& task = program_.tasks[t];
    if (task.kind == TaskKind::recv && !fold_) {
      receiving_[queue_of_[t]] = false;
      post_next_receive(queue_of_[t]);
    }
    if (task.kind == TaskKind::send && fold_) {
      ++arrived_[fed_queue_[t]];
      deliver(fed_queue_[t]);
    }
    activity_[t] = nullptr;
    for (TaskId s : task.successors) {
      if (--remaining_[s] == 0)
        start(s);
      else if (sentinel_[s] == t)
        next_sentinel(s);
    }
  }

  void drain_ready() {
    while (!ready_.empty()) {
      const TaskId t = ready_.back();
      ready_.pop_back();
      finish(t);
    }
  }

  const Fold* fold_;
  std::vector<std::int32_t> arrived_;    // folded: per receive queue, data in and not yet taken
  std::vector<std::int32_t> fed_queue_;  // folded: per send, the receive queue it feeds
  std::vector<Seconds>* mark_s_;
  std::vector<std::int32_t> mark_of_;
  // Memoised ops (Task::memo): per task the span it begins or ends (-1: none), per span the
  // finish times of its ends (-1: not ended yet).
  std::vector<std::int32_t> span_begin_of_, span_end_of_;
  std::vector<Seconds> span_begin_s_, span_end_s_;
  ChipId me_;
  const ChipProgram& program_;
  const Mailboxes* mailboxes_;
  sg4::Host* host_;
  sg4::Host* hbm_;
  sg4::Host* mxu_;
  Seconds hop_latency_s_;
  std::vector<TaskRecord>* records_;

  std::vector<std::int32_t> remaining_;
  std::vector<sg4::ActivityPtr> activity_;
  std::vector<bool> running_, watched_;
  // Which tasks are done, kept outside the actor so that replay() can name the stalled task when
  // SimGrid ends a deadlocked simulation by killing the actors.
  std::vector<bool>* done_;
  std::vector<TaskId> sentinel_;
  std::vector<std::int32_t> cursor_;
  std::vector<std::int32_t> pred_begin_;
  std::vector<TaskId> preds_;
  std::vector<double> started_s_;
  std::vector<sg4::Mailbox*> box_;            // send/recv: its mailbox
  std::vector<std::int32_t> queue_of_;        // recv: its mailbox queue
  std::vector<std::vector<TaskId>> queues_;   // per receiving mailbox, next receive at the back
  std::vector<bool> receive_ready_, receiving_;
  std::vector<sg4::ActivityPtr> waiting_;
  std::vector<TaskId> waiting_task_;
  std::vector<TaskId> sinks_;
  std::vector<TaskId> ready_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t timer_order_ = 0;
  std::size_t finished_ = 0;
  void* sink_ = nullptr;  // receives carry no payload
  int payload_ = 0;       // SimGrid refuses a null payload; ours carry nothing
};

// Integrates every link's usage over time: at each clock advance, get_usage() is the rate that
// held since the previous advance (platforms/README.md §6). With `record`, also keeps each link's
// rate
// changes as intervals (an open interval per link, closed when the rate changes); without it the
// loop allocates nothing.
class LinkMonitor {
 public:
  LinkMonitor(const std::vector<sg4::Link*>& links, bool record) : record_(record) {
    for (std::size_t i = 0; i < links.size(); ++i)
      if (links[i] != nullptr) {
        links_.push_back(links[i]);
        stats_.push_back(LinkStats{static_cast<LinkId>(i)});
      }
    if (record_) {
      open_.assign(links_.size(), LinkInterval{});
      per_link_.resize(links_.size());
    }
  }
  void on_advance(double delta_s) {
    // The engine has already moved its clock when it signals the advance: the rate held over
    // [previous clock, clock]. Taking both ends from the clock keeps the intervals contiguous.
    const double from = clock_s_;
    clock_s_ = sg4::Engine::get_clock();
    for (std::size_t i = 0; i < links_.size(); ++i) {
      const double rate = links_[i]->get_usage();
      if (record_) track(i, from, clock_s_, rate);
      if (rate <= 0) continue;
      stats_[i].bytes += rate * delta_s;
      stats_[i].busy_s += delta_s;
      stats_[i].peak_bytes_per_s = std::max(stats_[i].peak_bytes_per_s, rate);
    }
  }
  std::vector<LinkStats> take() { return std::move(stats_); }
  // Closes the open intervals; all intervals, link after link, each link's in time order.
  std::vector<LinkInterval> take_intervals() {
    std::vector<LinkInterval> out;
    if (!record_) return out;
    for (std::size_t i = 0; i < links_.size(); ++i) {
      close(i);
      out.insert(out.end(), per_link_[i].begin(), per_link_[i].end());
    }
    return out;
  }

 private:
  void track(std::size_t i, double from, double to, double rate) {
    LinkInterval& open = open_[i];
    if (rate == open.bytes_per_s && open.end_s == from && rate > 0) {
      open.end_s = to;
      return;
    }
    close(i);
    if (rate > 0) open = LinkInterval{stats_[i].link, from, to, rate};
  }
  void close(std::size_t i) {
    if (open_[i].bytes_per_s > 0 && open_[i].end_s > open_[i].start_s)
      per_link_[i].push_back(open_[i]);
    open_[i] = LinkInterval{};
  }

  bool record_;
  double clock_s_ = 0;
  std::vector<sg4::Link*> links_;
  std::vector<LinkStats> stats_;
  std::vector<LinkInterval> open_;
  std::vector<std::vector<LinkInterval>> per_link_;
};

// A simulation whose chips did not all finish every task (SimGrid ends a deadlock by killing the
// actors and returns as if done) or whose clock is not finite is an error, never a result.
void check_completed(const Program& program, const std::vector<std::vector<bool>>& done,
                     const std::vector<char>& finished, Seconds clock_s) {
  for (std::size_t c = 0; c < done.size(); ++c) {
    if (finished[c]) continue;
    const ChipProgram& chip = program.chips[c];
    std::size_t count = 0, first = chip.tasks.size();
    for (std::size_t t = 0; t < done[c].size(); ++t) {
      if (done[c][t]) ++count;
      else if (first == chip.tasks.size()) first = t;
    }
    std::string task = "none";
    if (first < chip.tasks.size()) {
      const std::int32_t label = chip.tasks[first].label;
      task = fmt::format("{} ({})", first,
                         label >= 0 ? program.labels[label] : std::string("unlabelled"));
    }
    throw SimulationError(fmt::format(
        "the simulation stalled at t = {:.6g} s: chip {} finished {} of {} tasks, the first "
        "unfinished is task {}; the platform's rates or latencies are probably out of range",
        clock_s, c, count, chip.tasks.size(), task));
  }
  if (!std::isfinite(clock_s))
    throw SimulationError(fmt::format(
        "the simulated clock ended at {} s, not a finite time; the platform's rates or "
        "latencies are probably out of range", clock_s));
}

sg4::Engine make_engine() {
  int argc = 3;
  char arg0[] = "podsim";
  char arg1[] = "--log=root.thres:critical";
  // KiB per actor; our actors use the heap. task_budget.hpp counts the stacks' address space.
  std::string arg2 = fmt::format("--cfg=contexts/stack-size:{}", kActorStackKiB);
  char* argv[] = {arg0, arg1, arg2.data(), nullptr};
  // The root appender exists from the library's load on (xbt's log pre-initialisation).
  simgrid_memory::install_xbt_out_of_memory_hook();
  return sg4::Engine(&argc, argv);
}

}  // namespace

ReplayResult replay_folded(const ChipSpec& chip, const Torus& torus, const Program& program,
                           const ReplayOptions& options) {
  PODSIM_CHECK(static_cast<int>(program.chips.size()) == torus.chip_count(),
               "program has {} chips, the slice {}", program.chips.size(), torus.chip_count());
  PODSIM_CHECK(!fold_shape_violation(torus.shape()), "the folded replay needs a wrapped slice");
  const ChipProgram& rep = program.chips[0];
  // Every send must feed receives of the same count (channel, -peer, or the ring neighbour it
  // stands for), before the engine runs.
  std::map<std::pair<std::int32_t, ChipId>, long long> balance;
  std::vector<ChipId> peers;
  ReplayResult result;
  for (const Task& task : rep.tasks) {
    if (task.kind == TaskKind::send) {
      PODSIM_CHECK(task.peer > 0 && task.peer < torus.chip_count(),
                   "the representative sends to invalid peer {}", task.peer);
      ++balance[{task.channel,
                 task.fold_source >= 0 ? task.fold_source : negate(torus, task.peer)}];
      peers.push_back(task.peer);
      ++result.transfers;
    } else if (task.kind == TaskKind::recv) {
      --balance[{task.channel, task.peer}];
    }
  }
  for (const auto& [key, count] : balance)
    PODSIM_CHECK(count == 0, "folded program: channel {} from chip {} has {} more sends than "
                 "receives", key.first, key.second, count);
  std::sort(peers.begin(), peers.end());
  peers.erase(std::unique(peers.begin(), peers.end()), peers.end());

  sg4::Engine engine = make_engine();
  const simgrid_platform::FoldedPlatform platform =
      simgrid_platform::build_folded_platform(engine, chip, torus, peers);
  Fold fold;
  fold.torus = &torus;
  for (std::size_t i = 0; i < peers.size(); ++i) {
    const Coord at = torus.coord(peers[i]);
    sg4::Mailbox* box = sg4::Mailbox::by_name(fmt::format("sink({},{},{})", at.v[0], at.v[1], at.v[2]));
    // The sink's receiver never takes anything: it only makes the mailbox eager, so that a send
    // moves its bytes to the sink as soon as it is posted. A daemon ends with the representative;
    // it sleeps rather than suspends, since SimGrid suspends the comms of a suspended actor.
    sg4::ActorPtr receiver = sg4::Actor::create(fmt::format("sink{}", i), platform.sinks[i], []() {
      sg4::this_actor::sleep_for(1e300);
    });
    receiver->daemonize();
    box->set_receiver(receiver);
    fold.sink_box.emplace(peers[i], box);
  }

  std::vector<TaskRecord> records;
  std::vector<Seconds> marks;
  std::vector<bool> done;
  bool finished = false;
  Seconds end_s = 0;
  ChipRunner runner(0, rep, nullptr, platform.host, platform.hbm, platform.mxu,
                    chip.ici_hop_latency_s, options.record_tasks ? &records : nullptr, &marks,
                    &done, &fold);
  sg4::Actor::create("representative", platform.host, [runner, &finished, &end_s]() mutable {
    runner();
    end_s = sg4::Engine::get_clock();
    finished = true;
  });
  LinkMonitor monitor(platform.links, options.record_link_intervals);
  sg4::Engine::on_time_advance_cb([&monitor](double delta_s) { monitor.on_advance(delta_s); });
  logger("replay")->info("replaying {} tasks of the representative, folded for {} chips",
                         rep.tasks.size(), torus.chip_count());
  engine.run();

  result.makespan_s = sg4::Engine::get_clock();
  {
    Program single(1);
    single.chips[0] = rep;
    single.labels = program.labels;
    check_completed(single, {done}, {static_cast<char>(finished)}, result.makespan_s);
  }
  result.transfers *= static_cast<std::uint64_t>(torus.chip_count());
  result.chip_end_s.assign(torus.chip_count(), end_s);
  result.mark_s = marks;
  // Expand by translation: every link of direction d is the folded link d.
  const std::vector<LinkStats> folded = monitor.take();
  std::vector<const LinkStats*> of_direction(kDirections, nullptr);
  for (const LinkStats& s : folded) of_direction[s.link] = &s;
  std::vector<std::vector<LinkInterval>> intervals_of(kDirections);
  for (const LinkInterval& i : monitor.take_intervals()) intervals_of[i.link].push_back(i);
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (int d = 0; d < kDirections; ++d) {
      if (!torus.has_link(c, static_cast<Direction>(d))) continue;
      const LinkId id = Torus::link_id(c, static_cast<Direction>(d));
      LinkStats s = *of_direction[d];
      s.link = id;
      result.links.push_back(s);
      result.total_link_bytes += s.bytes;
      for (LinkInterval i : intervals_of[d]) {
        i.link = id;
        result.link_intervals.push_back(i);
      }
    }
  result.tasks = std::move(records);
  return result;
}

ReplayResult replay(const ChipSpec& chip, const Torus& torus, const Program& program,
                    const ReplayOptions& options) {
  PODSIM_CHECK(static_cast<int>(program.chips.size()) == torus.chip_count(),
               "program has {} chips, the slice {}", program.chips.size(), torus.chip_count());
  sg4::Engine engine = make_engine();
  const simgrid_platform::TorusPlatform platform = simgrid_platform::build_torus_platform(engine, chip, torus);

  ReplayResult result;
  Mailboxes mailboxes(torus.chip_count());
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (const Task& task : program.chips[c].tasks)
      if (task.kind == TaskKind::send) {
        PODSIM_CHECK(task.peer >= 0 && task.peer < torus.chip_count() && task.peer != c,
                     "chip {} sends to invalid peer {}", c, task.peer);
        mailboxes.declare(task.channel, c, task.peer);
        ++result.transfers;
      }

  std::vector<std::vector<TaskRecord>> records(options.record_tasks ? torus.chip_count() : 0);
  result.chip_end_s.assign(torus.chip_count(), 0.0);
  std::vector<sg4::ActorPtr> actors;
  std::vector<std::vector<Seconds>> chip_marks(torus.chip_count());
  std::vector<std::vector<bool>> chip_done(torus.chip_count());
  std::vector<char> chip_finished(torus.chip_count(), 0);
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    std::vector<TaskRecord>* chip_records = options.record_tasks ? &records[c] : nullptr;
    ChipRunner runner(c, program.chips[c], &mailboxes, platform.hosts[c], platform.hbm[c], platform.mxu[c], chip.ici_hop_latency_s,
                      chip_records, &chip_marks[c], &chip_done[c]);
    actors.push_back(sg4::Actor::create(platform.hosts[c]->get_name(), platform.hosts[c],
                                        [runner, &result, &chip_finished, c]() mutable {
                                          runner();
                                          result.chip_end_s[c] = sg4::Engine::get_clock();
                                          chip_finished[c] = 1;
                                        }));
  }
  mailboxes.make_eager(actors);

  LinkMonitor monitor(platform.links, options.record_link_intervals);
  sg4::Engine::on_time_advance_cb([&monitor](double delta_s) { monitor.on_advance(delta_s); });
  logger("replay")->info("replaying {} tasks on {} chips", program.task_count(), torus.chip_count());
  engine.run();

  result.makespan_s = sg4::Engine::get_clock();
  check_completed(program, chip_done, chip_finished, result.makespan_s);
  result.links = monitor.take();
  result.link_intervals = monitor.take_intervals();
  for (const LinkStats& s : result.links) result.total_link_bytes += s.bytes;
  for (ChipId c = 0; c < torus.chip_count(); ++c) {
    PODSIM_CHECK(chip_marks[c].size() == program.chips[0].marks.size(),
                 "every chip must have the same marks");
    result.mark_s.resize(chip_marks[c].size(), 0.0);
    for (std::size_t i = 0; i < chip_marks[c].size(); ++i)
      result.mark_s[i] = std::max(result.mark_s[i], chip_marks[c][i]);
  }
  for (auto& chip_records : records)
    result.tasks.insert(result.tasks.end(), chip_records.begin(), chip_records.end());
  return result;
}

}  // namespace podsim
