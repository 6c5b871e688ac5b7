// libFuzzer target: the model loader (workloads/*.yaml), then the model's size arithmetic.
// Bad input must end in InputError; anything else is a bug.

#include <cstddef>
#include <cstdint>

#include "test/fuzz/fuzz_input_file.hpp"
#include "sim/config/model_loader.hpp"
#include "sim/core/input_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = podsim::fuzz::write_input(data, size, "model.yaml");
  try {
    const podsim::ModelSpec model = podsim::config::load_model(path);
    // Every accepted model has countable sizes (UBSan checks the arithmetic for overflow).
    if (!(model.parameters(false) > 0) || !(model.parameters(true) > 0)) __builtin_trap();
    (void)model.kv_cache_bytes_per_token(true);
  } catch (const podsim::InputError&) {
  }
  return 0;
}
