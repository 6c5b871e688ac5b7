// libFuzzer target: the trace reader (podsim replay), then what podsim does with an accepted trace
// before simulating it: the memory-limit estimate and writing it back. Bad input must end in
// InputError; anything else is a bug. An accepted trace must also survive a round trip: written
// and read again, it gives the same text.

#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/core/input_error.hpp"
#include "sim/program/task_budget.hpp"
#include "sim/workload/trace_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  podsim::Trace trace;
  try {
    trace = podsim::trace_from_json(text, "fuzz.json");
  } catch (const podsim::InputError&) {
    return 0;
  }
  (void)podsim::replay_memory_need(trace, false);
  (void)podsim::replay_memory_need(trace, true);
  const std::string written = podsim::trace_to_json(trace);
  try {
    if (podsim::trace_to_json(podsim::trace_from_json(written, "round-trip.json")) != written)
      __builtin_trap();  // not a fixed point: the writer and the reader disagree
  } catch (const podsim::InputError&) {
    __builtin_trap();  // podsim refuses a trace it wrote itself
  }
  return 0;
}
