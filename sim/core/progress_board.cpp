#include "sim/core/progress_board.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <new>

namespace podsim {

namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr std::size_t kKindChars = 24;

}  // namespace

// Lives in an anonymous shared mapping: plain lock-free atomics, shared by the forked children
// (std::atomic of 64 bits is lock-free on every target podsim builds for; checked below).
struct ProgressBoard::Shared {
  struct Slot {
    std::atomic<std::uint64_t> total{0}, done{0};
    std::atomic<std::int64_t> start_ns{-1}, end_ns{-1};
    char kind[kKindChars] = {};
  };
  std::atomic<int> round{0}, count{0}, parallel{1};
  std::atomic<std::int64_t> round_start_ns{0};
  Slot slots[kProgressSlots];
};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::int64_t>::is_always_lock_free);

namespace {

ProgressBoard::Shared* g_board = nullptr;
int g_slot = 0;
// Finished tasks not yet added to the slot: added in batches, so that a replay touches the
// shared line once per kBatch tasks.
std::uint64_t g_unreported = 0;
constexpr std::uint64_t kBatch = 256;

ProgressBoard::Shared::Slot* slot() {
  if (g_board == nullptr || g_slot < 0 || g_slot >= kProgressSlots) return nullptr;
  return &g_board->slots[g_slot];
}

}  // namespace

ProgressBoard::ProgressBoard() {
  void* p = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return;  // no progress, nothing else lost
  shared_ = new (p) Shared();
  shared_->round_start_ns = now_ns();
  g_board = shared_;
}

ProgressBoard::~ProgressBoard() {
  if (shared_ == nullptr) return;
  if (g_board == shared_) g_board = nullptr;
  shared_->~Shared();
  munmap(shared_, sizeof(Shared));
}

ProgressSnapshot ProgressBoard::snapshot() const {
  ProgressSnapshot out;
  if (shared_ == nullptr) return out;
  const std::int64_t now = now_ns(), start = shared_->round_start_ns.load();
  out.round = shared_->round.load();
  out.parallel = std::max(1, shared_->parallel.load());
  out.now_s = static_cast<double>(now - start) * 1e-9;
  const int count = std::clamp(shared_->count.load(), 0, kProgressSlots);
  for (int i = 0; i < count; ++i) {
    const Shared::Slot& s = shared_->slots[i];
    SimulationProgress p;
    p.kind.assign(s.kind, strnlen(s.kind, kKindChars));
    p.total = s.total.load();
    p.done = std::min(s.done.load(), p.total);
    const std::int64_t b = s.start_ns.load(), e = s.end_ns.load();
    p.start_s = b < 0 ? -1 : static_cast<double>(b - start) * 1e-9;
    p.end_s = e < 0 ? -1 : static_cast<double>(e - start) * 1e-9;
    out.simulations.push_back(std::move(p));
  }
  return out;
}

void progress_round(const std::vector<std::string>& kinds, int parallel) {
  g_slot = 0;
  if (g_board == nullptr) return;
  const int count = static_cast<int>(std::min<std::size_t>(kinds.size(), kProgressSlots));
  g_board->count = 0;  // readers see no half-cleared slot as part of the round
  for (int i = 0; i < kProgressSlots; ++i) {
    ProgressBoard::Shared::Slot& s = g_board->slots[i];
    s.total = 0;
    s.done = 0;
    s.start_ns = -1;
    s.end_ns = -1;
    std::memset(s.kind, 0, kKindChars);
    if (i < count) std::strncpy(s.kind, kinds[i].c_str(), kKindChars - 1);
  }
  g_board->parallel = std::max(1, parallel);
  g_board->round_start_ns = now_ns();
  g_board->round = g_board->round + 1;
  g_board->count = count;
}

void progress_slot(int slot_index) { g_slot = slot_index; }

void progress_begin(std::uint64_t tasks) {
  g_unreported = 0;
  if (auto* s = slot()) {
    s->done = 0;
    s->total = tasks;
    s->end_ns = -1;
    s->start_ns = now_ns();
  }
}

void progress_add(std::uint64_t tasks) {
  g_unreported += tasks;
  if (g_unreported < kBatch) return;
  if (auto* s = slot()) s->done.fetch_add(g_unreported, std::memory_order_relaxed);
  g_unreported = 0;
}

void progress_end() {
  if (auto* s = slot()) {
    s->done.fetch_add(g_unreported, std::memory_order_relaxed);
    s->end_ns = now_ns();
  }
  g_unreported = 0;
}

double progress_remaining_s(const ProgressSnapshot& snapshot) {
  const auto& sims = snapshot.simulations;
  // The observed seconds per task of one process.
  double elapsed = 0, done = 0;
  std::map<std::string, double> total_of_kind;
  double known_total = 0;
  int known = 0;
  for (const SimulationProgress& s : sims) {
    if (s.start_s < 0) continue;
    elapsed += (s.end_s >= 0 ? s.end_s : snapshot.now_s) - s.start_s;
    done += static_cast<double>(s.done);
    total_of_kind[s.kind] = static_cast<double>(s.total);
    known_total += static_cast<double>(s.total);
    ++known;
  }
  if (done <= 0 || known == 0) return -1;
  const double per_task = elapsed / done;
  const double mean_total = known_total / known;
  double left = 0;
  for (std::size_t b = 0; b < sims.size(); b += static_cast<std::size_t>(snapshot.parallel)) {
    double longest = 0;
    for (std::size_t i = b; i < sims.size() && i < b + static_cast<std::size_t>(snapshot.parallel);
         ++i) {
      const SimulationProgress& s = sims[i];
      double tasks_left = 0;
      if (s.end_s >= 0) {
        tasks_left = 0;
      } else if (s.start_s >= 0) {
        tasks_left = static_cast<double>(s.total - s.done);
      } else {
        const auto it = total_of_kind.find(s.kind);
        tasks_left = it != total_of_kind.end() ? it->second : mean_total;
      }
      longest = std::max(longest, tasks_left * per_task);
    }
    left += longest;
  }
  return left;
}

}  // namespace podsim
