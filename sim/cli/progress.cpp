#include "sim/cli/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>


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

}  // namespace podsim::cli
