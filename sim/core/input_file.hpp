#pragma once
// Reading an input file whole, with a cap: a file that grows while it is read, or a device that
// never ends, must not exhaust memory (issue 14: `podsim pareto /dev/zero` never finished).

#include <istream>
#include <optional>
#include <string>

namespace podsim {

// The rest of `in`, or nothing once more than `max_bytes` have been read (the caller refuses the
// file, saying how large it may be). Reads in 64 KiB chunks.
inline std::optional<std::string> read_capped(std::istream& in, std::size_t max_bytes) {
  std::string text;
  char chunk[1 << 16];
  while (text.size() <= max_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) return std::nullopt;
  return text;
}

}  // namespace podsim
