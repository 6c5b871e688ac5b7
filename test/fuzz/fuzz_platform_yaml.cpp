// libFuzzer target: the platform loader (platforms/*.yaml). Bad input must end in InputError;
// anything else (a crash, a sanitizer report, another exception, exit) is a bug.

#include <cstddef>
#include <cstdint>

#include "test/fuzz/fuzz_input_file.hpp"
#include "sim/config/platform_loader.hpp"
#include "sim/core/input_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = podsim::fuzz::write_input(data, size, "platform.yaml");
  try {
    const podsim::Platform platform = podsim::config::load_platform(path);
    for (const auto& [count, dims] : platform.slice_dims)
      if (static_cast<long long>(dims[0]) * dims[1] * dims[2] != count) __builtin_trap();
  } catch (const podsim::InputError&) {
  }
  return 0;
}
