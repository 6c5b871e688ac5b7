#include "sim/cli/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>


namespace podsim::cli {

namespace {
bool g_forced = false;
}  // namespace

void set_progress_forced(bool forced) { g_forced = forced; }
bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }
bool progress_wanted() { return g_forced || stderr_is_terminal(); }

PointsProgress::PointsProgress(std::string what, std::vector<double> work, int parallel,
                               bool warn)
    : what_(std::move(what)),
      eta_(work, parallel),
      total_(work.size()),
      shown_(progress_wanted()),
      in_place_(stderr_is_terminal()),
      warn_(warn),
      start_(std::chrono::steady_clock::now()) {
  // In a log, the estimate before anything has run (on a terminal the bar shows it).
  if (shown_ && !in_place_ && total_ > 0)
    std::fputs(fmt::format("{} {} to run, about {} estimated\n", total_, what_,
                           clock_text(eta_.remaining_s(0)))
                   .c_str(),
               stderr);
  draw();
}

PointsProgress::~PointsProgress() {
  if (shown_ && in_place_) std::fputs("\n", stderr);
}

double PointsProgress::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void PointsProgress::started(std::size_t i) {
  eta_.started(i, now_s());
  draw();
}

void PointsProgress::finished(std::size_t i, const std::string& status, const std::string& line) {
  eta_.finished(i, now_s());
  ++done_;
  ++by_status_[status];
  if (shown_ && !in_place_) {
    const double left = eta_.remaining_s(now_s());
    std::fputs(fmt::format("[{}/{}] {}{}\n", done_, total_, line,
                           done_ < total_ ? fmt::format("; ~{} remaining", clock_text(left)) : "")
                   .c_str(),
               stderr);
  } else if (!shown_ && warn_ && status != kStatusOk) {
    // Not progress but a warning: a point without a result is said even in a log.
    std::fputs(fmt::format("{}\n", line).c_str(), stderr);
  }
  draw();
}

void PointsProgress::tick() { draw(); }

void PointsProgress::draw() {
  if (!shown_ || !in_place_) return;
  constexpr int kWidth = 30;
  const int filled = total_ ? static_cast<int>(kWidth * done_ / total_) : kWidth;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(kWidth, '.');
  std::string counts;
  // The words of the summary line and of the CSV's status column.
  for (const char* s : {kStatusOk, kStatusNoFit, kStatusInvalid, kStatusFailed})
    if (auto it = by_status_.find(s); it != by_status_.end())
      counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", it->second, s);
  const double left = eta_.remaining_s(now_s());
  std::fputs(fmt::format("\r\033[K[{}] {}/{} {}{}, {} elapsed, {} remaining", bar, done_, total_,
                         what_, counts.empty() ? "" : " (" + counts + ")", clock_text(now_s()),
                         done_ == total_ ? "0:00" : "~" + clock_text(left))
                 .c_str(),
             stderr);
  std::fflush(stderr);
}

namespace {

// Writes `text` on stderr with one write(2): the drawing thread keeps off stdio's locks, which a
// child forked by the main thread while it held one would inherit locked.
void write_stderr(const std::string& text) {
  std::size_t at = 0;
  while (at < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + at, text.size() - at);
    if (n <= 0) return;
    at += static_cast<std::size_t>(n);
  }
}

std::string tasks_text(double tasks) {
  if (tasks >= 1e6) return fmt::format("{:.1f}M", tasks / 1e6);
  if (tasks >= 1e4) return fmt::format("{:.0f}k", tasks / 1e3);
  return fmt::format("{:.0f}", tasks);
}

}  // namespace

std::string run_progress_line(const ProgressSnapshot& snapshot, double elapsed_s) {
  const auto& sims = snapshot.simulations;
  double done = 0, total = 0;
  std::map<std::string, double> total_of_kind;
  for (const SimulationProgress& s : sims)
    if (s.start_s >= 0) total_of_kind[s.kind] = static_cast<double>(s.total);
  int ended = 0, unknown = 0;
  for (const SimulationProgress& s : sims) {
    done += static_cast<double>(s.done);
    ended += s.end_s >= 0;
    if (s.start_s >= 0) {
      total += static_cast<double>(s.total);
    } else if (auto it = total_of_kind.find(s.kind); it != total_of_kind.end()) {
      total += it->second;  // the same phase lowers the same layers: the same tasks
    } else {
      ++unknown;
    }
  }
  const int count = static_cast<int>(sims.size());
  const double fraction = total > 0 ? std::min(1.0, done / total) : 0.0;
  constexpr int kWidth = 20;
  std::string bar(static_cast<std::size_t>(std::lround(kWidth * fraction)), '#');
  bar.resize(kWidth, '.');
  const std::string what =
      count == 1 ? fmt::format("{} simulation", sims.front().kind)
                 : fmt::format("{} simulations, {} at a time", count, std::min(count, snapshot.parallel));
  const double left = progress_remaining_s(snapshot);
  return fmt::format("round {} ({}): [{}] {:.0f}% of {}{} tasks, {} of {} done, {} elapsed, {}",
                     snapshot.round, what, bar, 100 * fraction, unknown > 0 ? "at least " : "",
                     tasks_text(total), ended, count, clock_text(elapsed_s),
                     left < 0 ? "--:-- left" : fmt::format("~{} left in the round", clock_text(left)));
}

RunProgress::RunProgress() : in_place_(stderr_is_terminal()), start_(std::chrono::steady_clock::now()) {
  if (!progress_wanted()) return;
  board_ = std::make_unique<ProgressBoard>();
  thread_ = std::thread([this]() { loop(); });
}

RunProgress::~RunProgress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RunProgress::loop() {
  // A terminal: redrawn every half second once the run has lasted a second (a quick run shows
  // nothing). A log: a line whenever a simulation has ended, and every 30 s in between.
  constexpr auto kTick = std::chrono::milliseconds(500);
  constexpr double kFirstDrawS = 1.0, kLogEveryS = 30.0;
  bool drawn = false;
  int last_round = 0, last_ended = 0;
  double last_log_s = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, kTick, [this]() { return stop_; })) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const ProgressSnapshot snap = board_->snapshot();
    if (snap.round == 0 || snap.simulations.empty()) continue;
    if (in_place_) {
      if (elapsed < kFirstDrawS) continue;
      write_stderr("\r\033[K" + run_progress_line(snap, elapsed));
      drawn = true;
      continue;
    }
    int ended = 0;
    for (const SimulationProgress& s : snap.simulations) ended += s.end_s >= 0;
    if (snap.round != last_round) last_ended = 0;
    if ((ended > last_ended) || elapsed - last_log_s >= kLogEveryS) {
      write_stderr(run_progress_line(snap, elapsed) + "\n");
      last_log_s = elapsed;
    }
    last_round = snap.round;
    last_ended = ended;
  }
  if (drawn) write_stderr("\r\033[K");
  if (in_place_) return;
  // A log ends with the last state, so that every simulation's end is said once at least.
  const ProgressSnapshot snap = board_->snapshot();
  int ended = 0;
  for (const SimulationProgress& s : snap.simulations) ended += s.end_s >= 0;
  if (!snap.simulations.empty() && (snap.round != last_round || ended > last_ended))
    write_stderr(run_progress_line(snap, std::chrono::duration<double>(
                                             std::chrono::steady_clock::now() - start_)
                                             .count()) +
                 "\n");
}

}  // namespace podsim::cli
