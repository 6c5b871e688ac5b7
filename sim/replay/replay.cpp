#include "sim/replay/replay.hpp"

#include <fmt/format.h>
#include <simgrid/kernel/resource/Action.hpp>
#include <simgrid/s4u.hpp>
#include <xbt/config.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <deque>
#include <queue>
#include <tuple>
#include <unordered_map>

#include "sim/core/check.hpp"
#include "sim/core/logging.hpp"
#include "sim/core/progress_board.hpp"
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

class ChipRunner;

// The folded replay's matching (program/fold.hpp): where each representative's sends go (the
// sink of its peer, reached by the folded route), and which receive queue a send's completion
// feeds: representative r's send to chip q stands for its translate by -offset(q), a send from
// r - offset(q) to representative(q), so it feeds that representative's receives from
// r - offset(q) (with one representative: chip 0's receives from -q).
struct Fold {
  const Torus* torus = nullptr;
  const FoldGroup* group = nullptr;
  // By (representative index, peer): the mailbox of the peer's sink, whose receiver (a daemon on
  // the sink) makes it eager. The folded zone routes by destination alone, so the one actor
  // that runs every representative can post the sends of all of them: mailbox comms, not
  // detached Comm::sendto_async ones, which SimGrid 3.32 keeps in one maestro list (24x slower
  // on a 16x16x16 all-to-all here; platforms/README.md §6).
  std::map<std::pair<int, ChipId>, sg4::Mailbox*> sink_box;
  std::vector<ChipRunner*> runners;                    // by representative index
};

// The event loop of one actor: the activities it waits for, its timers and the tasks ready to
// finish. Per chip, one loop runs one chip's runner; folded, one loop runs every representative's,
// so that a send of one can complete a receive of another at the instant it ends.
struct Loop {
  struct Timer {
    double at_s;
    std::uint64_t order;  // ties broken by arming order, for determinism
    int runner;
    TaskId task;
    bool operator>(const Timer& o) const {
      return at_s > o.at_s || (at_s == o.at_s && order > o.order);
    }
  };
  std::vector<ChipRunner*> runners;
  std::vector<sg4::ActivityPtr> waiting;
  std::vector<std::pair<int, TaskId>> waiting_task;  // (runner, task) of each waited activity
  std::vector<std::pair<int, TaskId>> sinks;         // activities nothing depends on
  std::vector<std::pair<int, TaskId>> ready;         // instant tasks to finish
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::uint64_t timer_order = 0;
  // Folded: a timer is due once the clock is within SimGrid's time precision of it. A timeout
  // may end up to that much early, and waiting again for the remainder ends one precision quantum
  // late (measured: +1e-9 s on a send of an 8x4x4 all-gather over xy), where in the per-chip
  // replay another chip's event usually wakes the actor on time. The per-chip replay keeps its
  // exact rule, so that its outputs stay byte-identical (the slack there moves a chaotic ws-1d
  // decode by 0.04%).
  double timer_slack_s = 0;

  // Folded: completions come from the network model's state-change signal (on_finished, called by
  // SimGrid's maestro), not from wait_any. SimGrid 3.32's wait_any tests every activity it is
  // given at every call, which made a 16x16x16 all-to-all (4095 sends in flight) quadratic
  // (platforms/README.md §6). Every running activity is watched, keyed by its kernel object (an
  // activity may finish before any sentinel would watch it, and the signal fires once), and
  // finishes at the instant the model ends it: a task still starts when its last dependency
  // ends, as with sentinels. The loop sleeps on a semaphore that the signal releases.
  bool signalled = false;
  std::unordered_map<const void*, std::pair<int, TaskId>> watched;  // by activity impl
  std::deque<std::pair<int, TaskId>> completed;  // in the order the model finished them
  sg4::SemaphorePtr wake;
  bool sleeping = false;

  void arm(double at_s, int runner, TaskId task) {
    timers.push(Timer{at_s, timer_order++, runner, task});
  }
  void watch(const sg4::ActivityPtr& activity, int runner, TaskId task) {
    if (signalled) {
      watched.emplace(activity->get_impl(), std::pair{runner, task});
    } else {
      waiting.push_back(activity);
      waiting_task.push_back({runner, task});
    }
  }
  // Maestro side: the activity behind a network action has finished.
  void on_finished(const void* impl) {
    const auto it = watched.find(impl);
    if (it == watched.end()) return;
    completed.push_back(it->second);
    watched.erase(it);
    if (sleeping) {
      sleeping = false;
      wake->release();
    }
  }
  void run();
  void run_signalled();
  bool fire_due_timer(double now);
  void drain();
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
        mark_s_(mark_s),
        me_(me),
        program_(program),
        mailboxes_(mailboxes),
        host_(host),
        hbm_(hbm),
        mxu_(mxu),
        hop_latency_s_(hop_latency_s),
        records_(records),
        done_(done) {}

  // Joins `loop` as its runner number `index`.
  void attach(Loop* loop, int index) {
    loop_ = loop;
    index_ = index;
  }

  // Starts every task without dependencies (after prepare(), and link_fold() when folded).
  void start_initial() {
    const auto& tasks = program_.tasks;
    for (std::size_t t = 0; t < tasks.size(); ++t)
      if (remaining_[t] == 0) start(static_cast<TaskId>(t));
  }

  // A timer of task t is due: its send leaves, or its delay has elapsed.
  void on_timer(TaskId t) {
    if (program_.tasks[t].kind == TaskKind::send)
      post_send(t);
    else
      loop_->ready.push_back({index_, t});
  }

  // The waited activity of t has ended.
  void on_activity(TaskId t) {
    watched_[t] = false;
    finish(t);
  }

  // An activity nothing depends on: waited for at the end.
  void on_sink(TaskId t) {
    activity_[t]->wait();
    finish(t);
  }

  void finish_ready(TaskId t) { finish(t); }

  void check_finished() const {
    PODSIM_CHECK(finished_ == program_.tasks.size(), "chip {} finished {} of {} tasks: the program "
                 "has a cycle or an unmatched receive", me_, finished_, program_.tasks.size());
  }

  // When this runner finished its last task.
  double end_s() const { return end_s_; }

  // Folded: data for queue q has arrived (another runner's send ended).
  void arrive(std::int32_t q) {
    ++arrived_[q];
    deliver(q);
  }

  // Folded: per send, the runner and receive queue it feeds (every runner prepared first).
  void link_fold() {
    const auto& tasks = program_.tasks;
    fed_runner_.assign(tasks.size(), -1);
    fed_queue_.assign(tasks.size(), -1);
    const Torus& torus = *fold_->torus;
    const FoldGroup& group = *fold_->group;
    const bool single = group.representative_count() == 1;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
      const Task& task = tasks[t];
      if (task.kind != TaskKind::send) continue;
      const ChipId source = single && task.fold_source >= 0
                                ? task.fold_source
                                : translate(torus, me_, negate(torus, group.offset_of(task.peer)));
      const int target = group.index_of(group.representative_of(task.peer));
      const std::int32_t q = fold_->runners[target]->queue_from(task.channel, source);
      if (q < 0) continue;
      fed_runner_[t] = target;
      fed_queue_[t] = q;
    }
  }

  // Folded: the receive queue of (channel, source), -1 when there is none.
  std::int32_t queue_from(std::int32_t channel, ChipId source) const {
    const auto it = queue_of_source_.find({channel, source});
    return it == queue_of_source_.end() ? -1 : it->second;
  }

  void prepare() {
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
    box_.assign(n, nullptr);
    queue_of_.assign(n, -1);
    for (std::size_t t = 0; t < n; ++t) {
      const Task& task = tasks[t];
      if (task.kind == TaskKind::send) {
        box_[t] = fold_ ? fold_->sink_box.at({fold_->group->index_of(me_), task.peer})
                        : mailboxes_->get(task.channel, me_, task.peer);
      }
      if (task.kind != TaskKind::recv) continue;
      std::int32_t q = 0;
      if (fold_) {
        auto [it, inserted] = queue_of_source_.try_emplace(
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
    if (fold_) arrived_.assign(queues_.size(), 0);
  }

 private:

  // Folded: completes the ready receives of queue q whose data has arrived, in FIFO order.
  void deliver(std::int32_t q) {
    auto& queue = queues_[q];
    while (!queue.empty() && arrived_[q] > 0 && receive_ready_[queue.back()]) {
      loop_->ready.push_back({index_, queue.back()});
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
    running(t, box_[t]->get_async<void>(&no_payload_));
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
          loop_->arm(sg4::Engine::get_clock() + task.hops * hop_latency_s_, index_, t);
        else
          post_send(t);
        break;
      case TaskKind::compute:
        if (task.flops > 0)
          running(t, sg4::Comm::sendto_async(host_, mxu_, static_cast<std::uint64_t>(std::llround(task.flops))));
        else
          loop_->ready.push_back({index_, t});
        break;
      case TaskKind::hbm:
        if (task.bytes > 0)
          running(t, sg4::Comm::sendto_async(host_, hbm_, task.bytes));
        else
          loop_->ready.push_back({index_, t});
        break;
      case TaskKind::join:
        loop_->ready.push_back({index_, t});
        break;
      case TaskKind::delay: {
        Seconds delay_s = task.delay_s;
        if (task.memo >= 0) {  // a memoised op: as long as its first instance took
          PODSIM_CHECK(span_end_s_[task.memo] >= 0, "chip {}: memoised op {} replayed before its "
                       "first instance ended", me_, task.memo);
          delay_s = span_end_s_[task.memo] - span_begin_s_[task.memo];
        }
        if (delay_s > 0)
          loop_->arm(sg4::Engine::get_clock() + delay_s, index_, t);
        else
          loop_->ready.push_back({index_, t});
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
    if (loop_->signalled) {  // every activity is watched: it finishes when the model says so
      loop_->watch(activity_[t], index_, t);
      return;
    }
    // Per chip (the folded replay is always signalled): sentinels only.
    const auto& successors = program_.tasks[t].successors;
    if (successors.empty()) {
      loop_->sinks.push_back({index_, t});
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
    loop_->watch(activity_[t], index_, t);
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
    progress_add(1);  // the run's progress (core/progress_board): a no-op unless it is shown
    end_s_ = sg4::Engine::get_clock();
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
    if (task.kind == TaskKind::send && fold_)
      fold_->runners[fed_runner_[t]]->arrive(fed_queue_[t]);
    activity_[t] = nullptr;
    for (TaskId s : task.successors) {
      if (--remaining_[s] == 0)
        start(s);
      else if (sentinel_[s] == t)
        next_sentinel(s);
    }
  }

  const Fold* fold_;
  std::vector<std::int32_t> arrived_;    // folded: per receive queue, data in and not yet taken
  std::vector<std::int32_t> fed_runner_, fed_queue_;  // folded: per send, the queue it feeds
  std::map<std::pair<std::int32_t, ChipId>, std::int32_t> queue_of_source_;  // folded
  Loop* loop_ = nullptr;
  int index_ = 0;
  double end_s_ = 0;
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
  std::size_t finished_ = 0;
  void* no_payload_ = nullptr;  // receives carry no payload
  int payload_ = 0;       // SimGrid refuses a null payload; ours carry nothing
};

void Loop::drain() {
  while (!ready.empty()) {
    const auto [k, t] = ready.back();
    ready.pop_back();
    runners[k]->finish_ready(t);
  }
}

// Fires the earliest timer when it is due at `now` (then drains what it released).
bool Loop::fire_due_timer(double now) {
  if (timers.empty() || timers.top().at_s > now + timer_slack_s) return false;
  const Timer due = timers.top();
  timers.pop();
  runners[due.runner]->on_timer(due.task);
  drain();
  return true;
}

// As run(), with completions from the signal: timers due first, then completions in the order
// the model finished them, as run() takes them from wait_any.
void Loop::run_signalled() {
  for (ChipRunner* r : runners) r->start_initial();
  drain();
  while (!watched.empty() || !completed.empty() || !timers.empty()) {
    const double now = sg4::Engine::get_clock();
    if (fire_due_timer(now)) continue;
    if (!completed.empty()) {
      const auto [k, t] = completed.front();
      completed.pop_front();
      runners[k]->on_activity(t);
      drain();
      continue;
    }
    if (watched.empty()) {
      sg4::this_actor::sleep_until(timers.top().at_s);
      continue;
    }
    sleeping = true;
    if (timers.empty())
      wake->acquire();
    else
      wake->acquire_timeout(timers.top().at_s - now);
    sleeping = false;
  }
  for (const auto& [k, t] : sinks) runners[k]->on_sink(t);
  for (ChipRunner* r : runners) r->check_finished();
}

void Loop::run() {
  if (signalled) {
    run_signalled();
    return;
  }
  for (ChipRunner* r : runners) r->start_initial();
  drain();
  while (!waiting.empty() || !timers.empty()) {
    const double now = sg4::Engine::get_clock();
    if (fire_due_timer(now)) continue;
    if (waiting.empty()) {
      sg4::this_actor::sleep_until(timers.top().at_s);
      continue;
    }
    const double timeout = timers.empty() ? -1.0 : timers.top().at_s - now;
    const ssize_t index = sg4::Activity::wait_any_for(waiting, timeout);
    if (index < 0) continue;  // a timer is due
    const auto [k, t] = waiting_task[index];
    waiting[index] = waiting.back();
    waiting_task[index] = waiting_task.back();
    waiting.pop_back();
    waiting_task.pop_back();
    runners[k]->on_activity(t);
    drain();
  }
  for (const auto& [k, t] : sinks) runners[k]->on_sink(t);
  for (ChipRunner* r : runners) r->check_finished();
}

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
// `chips[i]` ran with done[i] and finished[i].
void check_completed(const Program& program, const std::vector<ChipId>& chips,
                     const std::vector<std::vector<bool>>& done,
                     const std::vector<char>& finished, Seconds clock_s) {
  for (std::size_t i = 0; i < chips.size(); ++i) {
    if (finished[i]) continue;
    const ChipId c = chips[i];
    const ChipProgram& chip = program.chips[c];
    std::size_t count = 0, first = chip.tasks.size();
    for (std::size_t t = 0; t < done[i].size(); ++t) {
      if (done[i][t]) ++count;
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
  char arg0[] = "podsim";
  char arg1[] = "--log=root.thres:critical";
  // KiB per actor; our actors use the heap. task_budget.hpp counts the stacks' address space.
  std::string arg2 = fmt::format("--cfg=contexts/stack-size:{}", kActorStackKiB);
#ifdef PODSIM_SANITIZE
  // Under AddressSanitizer (scripts/sanitize.sh) every actor runs on a system thread of its own:
  // ASan cannot follow SimGrid's swapped contexts (Debian's SimGrid is not built with it), and
  // their stack switches gave false stack-use-after-scope reports when a deadlocked actor was
  // unwound, and a "False positive error reports may follow" warning on stderr that a sweep took
  // for its point's error line.
  char arg3[] = "--cfg=contexts/factory:thread";
  int argc = 4;
  char* argv[] = {arg0, arg1, arg2.data(), arg3, nullptr};
#else
  int argc = 3;
  char* argv[] = {arg0, arg1, arg2.data(), nullptr};
#endif
  // The root appender exists from the library's load on (xbt's log pre-initialisation).
  simgrid_memory::install_xbt_out_of_memory_hook();
  return sg4::Engine(&argc, argv);
}

}  // namespace

ReplayResult replay_folded(const ChipSpec& chip, const Torus& torus, const FoldGroup& group,
                           const Program& program, const ReplayOptions& options) {
  PODSIM_CHECK(static_cast<int>(program.chips.size()) == torus.chip_count(),
               "program has {} chips, the slice {}", program.chips.size(), torus.chip_count());
  const std::vector<ChipId>& reps = group.representatives();
  const int count = group.representative_count();
  // Every send must feed receives of the same count (the representative and queue it feeds,
  // Fold above), before the engine runs.
  std::map<std::tuple<int, std::int32_t, ChipId>, long long> balance;
  std::vector<std::vector<ChipId>> peers(count);
  ReplayResult result;
  for (int i = 0; i < count; ++i)
    for (const Task& task : program.chips[reps[i]].tasks) {
      if (task.kind == TaskKind::send) {
        PODSIM_CHECK(task.peer >= 0 && task.peer < torus.chip_count() && task.peer != reps[i],
                     "representative {} sends to invalid peer {}", reps[i], task.peer);
        const ChipId source =
            count == 1 && task.fold_source >= 0
                ? task.fold_source
                : translate(torus, reps[i], negate(torus, group.offset_of(task.peer)));
        ++balance[{group.index_of(group.representative_of(task.peer)), task.channel, source}];
        peers[i].push_back(task.peer);
        ++result.transfers;
      } else if (task.kind == TaskKind::recv) {
        --balance[{i, task.channel, task.peer}];
      }
    }
  for (const auto& [key, n] : balance)
    PODSIM_CHECK(n == 0, "folded program: representative {} channel {} from chip {} has {} more "
                 "sends than receives", reps[std::get<0>(key)], std::get<1>(key),
                 std::get<2>(key), n);
  for (auto& list : peers) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }

  sg4::Engine engine = make_engine();
  const simgrid_platform::FoldedPlatform platform =
      simgrid_platform::build_folded_platform(engine, chip, torus, group, peers);
  Fold fold;
  fold.torus = &torus;
  fold.group = &group;
  for (int i = 0; i < count; ++i)
    for (std::size_t j = 0; j < peers[i].size(); ++j) {
      sg4::Host* host = platform.sinks[i][j];
      sg4::Mailbox* box = sg4::Mailbox::by_name(host->get_name());
      // The sink's receiver never takes anything: it only makes the mailbox eager, so that a
      // send moves its bytes to the sink as soon as it is posted. A daemon ends with the
      // representatives; it sleeps rather than suspends, since SimGrid suspends the comms of a
      // suspended actor.
      sg4::ActorPtr receiver = sg4::Actor::create(host->get_name(), host, []() {
        sg4::this_actor::sleep_for(1e300);
      });
      receiver->daemonize();
      box->set_receiver(receiver);
      fold.sink_box.emplace(std::pair{i, peers[i][j]}, box);
    }

  std::vector<std::vector<TaskRecord>> records(options.record_tasks ? count : 0);
  std::vector<std::vector<Seconds>> marks(count);
  std::vector<std::vector<bool>> done(count);
  std::vector<ChipRunner> runners;
  runners.reserve(count);
  for (int i = 0; i < count; ++i)
    runners.emplace_back(reps[i], program.chips[reps[i]], nullptr, platform.hosts[i],
                         platform.hbm[i], platform.mxu[i], chip.ici_hop_latency_s,
                         options.record_tasks ? &records[i] : nullptr, &marks[i], &done[i], &fold);
  for (ChipRunner& r : runners) fold.runners.push_back(&r);
  bool finished = false;
  Loop loop;
  loop.signalled = true;
  loop.wake = sg4::Semaphore::create(0);
  // A NetworkAction is an Action (its only base): the signal hands the derived type, whose
  // definition SimGrid does not install.
  sg4::Link::on_communication_state_change_cb(
      [&loop](simgrid::kernel::resource::NetworkAction& action,
              simgrid::kernel::resource::Action::State /*previous*/) {
        const auto& a = reinterpret_cast<const simgrid::kernel::resource::Action&>(action);
        if (a.get_state() == simgrid::kernel::resource::Action::State::FINISHED)
          loop.on_finished(a.get_activity());
      });
  sg4::Actor::create("representatives", platform.hosts[0], [&runners, &finished, &loop]() {
    loop.timer_slack_s = simgrid::config::get_value<double>("surf/precision");
    for (std::size_t i = 0; i < runners.size(); ++i) {
      runners[i].attach(&loop, static_cast<int>(i));
      loop.runners.push_back(&runners[i]);
    }
    for (ChipRunner& r : runners) r.prepare();
    for (ChipRunner& r : runners) r.link_fold();
    loop.run();
    finished = true;
  });
  LinkMonitor monitor(platform.links, options.record_link_intervals);
  sg4::Engine::on_time_advance_cb([&monitor](double delta_s) { monitor.on_advance(delta_s); });
  std::size_t tasks = 0;
  for (ChipId r : reps) tasks += program.chips[r].tasks.size();
  logger("replay")->info("replaying {} tasks of {} representative{} ({}), folded for {} chips",
                         tasks, count, count == 1 ? "" : "s", group.describe(),
                         torus.chip_count());
  progress_begin(tasks);
  engine.run();
  progress_end();

  result.makespan_s = sg4::Engine::get_clock();
  check_completed(program, reps, done, std::vector<char>(count, static_cast<char>(finished)),
                  result.makespan_s);
  result.transfers *= static_cast<std::uint64_t>(group.orbit_size());
  result.chip_end_s.assign(torus.chip_count(), 0.0);
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    result.chip_end_s[c] = runners[group.index_of(group.representative_of(c))].end_s();
  for (int i = 0; i < count; ++i) {
    PODSIM_CHECK(marks[i].size() == marks[0].size(), "every chip must have the same marks");
    result.mark_s.resize(marks[i].size(), 0.0);
    for (std::size_t m = 0; m < marks[i].size(); ++m)
      result.mark_s[m] = std::max(result.mark_s[m], marks[i][m]);
  }
  // Expand by translation: the link of direction d at chip c is the folded link of c's
  // representative and d.
  const std::vector<LinkStats> folded = monitor.take();
  std::vector<const LinkStats*> of_class(platform.links.size(), nullptr);
  for (const LinkStats& s : folded) of_class[s.link] = &s;
  std::vector<std::vector<LinkInterval>> intervals_of(platform.links.size());
  for (const LinkInterval& i : monitor.take_intervals()) intervals_of[i.link].push_back(i);
  for (ChipId c = 0; c < torus.chip_count(); ++c)
    for (int d = 0; d < kDirections; ++d) {
      if (!torus.has_link(c, static_cast<Direction>(d))) continue;
      const LinkId id = Torus::link_id(c, static_cast<Direction>(d));
      const std::size_t k =
          static_cast<std::size_t>(group.index_of(group.representative_of(c))) * kDirections + d;
      LinkStats s = *of_class.at(k);
      s.link = id;
      result.links.push_back(s);
      result.total_link_bytes += s.bytes;
      for (LinkInterval i : intervals_of[k]) {
        i.link = id;
        result.link_intervals.push_back(i);
      }
    }
  for (auto& list : records) result.tasks.insert(result.tasks.end(), list.begin(), list.end());
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
                                          Loop loop;
                                          loop.runners.push_back(&runner);
                                          runner.attach(&loop, 0);
                                          runner.prepare();
                                          loop.run();
                                          result.chip_end_s[c] = sg4::Engine::get_clock();
                                          chip_finished[c] = 1;
                                        }));
  }
  mailboxes.make_eager(actors);

  LinkMonitor monitor(platform.links, options.record_link_intervals);
  sg4::Engine::on_time_advance_cb([&monitor](double delta_s) { monitor.on_advance(delta_s); });
  logger("replay")->info("replaying {} tasks on {} chips", program.task_count(), torus.chip_count());
  progress_begin(program.task_count());
  engine.run();
  progress_end();

  result.makespan_s = sg4::Engine::get_clock();
  std::vector<ChipId> all(torus.chip_count());
  for (ChipId c = 0; c < torus.chip_count(); ++c) all[c] = c;
  check_completed(program, all, chip_done, chip_finished, result.makespan_s);
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
