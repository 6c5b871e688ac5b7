#pragma once
// Running podsim (and Chromium) as a user does, for the timeline tests: the shared process
// helpers, and where screenshots are left.

#include "test/support/podsim_process.hpp"

namespace podsim::test {

// Where tests leave artefacts worth looking at (screenshots): beside the podsim binary.
inline fs::path artefact_dir() {
  const fs::path dir = fs::path(PODSIM_BINARY).parent_path() / "timeline-artefacts";
  fs::create_directories(dir);
  return dir;
}

}  // namespace podsim::test
