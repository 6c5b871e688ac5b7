#include "sim/workload/trace.hpp"

#include "sim/core/check.hpp"

namespace podsim {

void TraceSteps::push_back(StepTrace step) {
  PODSIM_CHECK(made_count_ == 0, "a stored step cannot follow made steps");
  stored_.push_back(std::move(step));
}

void TraceSteps::append_made(long long count, Phase phase, Maker make) {
  PODSIM_CHECK(made_count_ == 0 && count >= 0 && make, "made steps are appended once");
  made_count_ = count;
  made_phase_ = phase;
  make_ = std::move(make);
}

StepTrace TraceSteps::operator[](std::size_t i) const {
  PODSIM_CHECK(i < size(), "step {} of {}", i, size());
  if (i < stored_.size()) return stored_[i];
  return make_(static_cast<long long>(i - stored_.size()));
}

Phase TraceSteps::phase(std::size_t i) const {
  PODSIM_CHECK(i < size(), "step {} of {}", i, size());
  return i < stored_.size() ? stored_[i].phase : made_phase_;
}

std::string_view TraceSteps::phase_label(std::size_t i) const {
  PODSIM_CHECK(i < size(), "step {} of {}", i, size());
  return i < stored_.size() ? stored_[i].phase_label() : phase_name(made_phase_);
}

void TraceSteps::resize(std::size_t n) {
  if (n >= size()) return;
  if (n <= stored_.size()) {
    stored_.resize(n);
    made_count_ = 0;
    make_ = nullptr;
  } else {
    made_count_ = static_cast<long long>(n - stored_.size());
  }
}

std::vector<StepTrace> TraceSteps::to_vector() const {
  std::vector<StepTrace> out;
  out.reserve(size());
  for (std::size_t i = 0; i < size(); ++i) out.push_back((*this)[i]);
  return out;
}

}  // namespace podsim
