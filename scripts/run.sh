#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 machine, builds podsim and runs the main job.
# Usage: scripts/run.sh [podsim arguments]   (default: the embedded default job below)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install_deps.sh"
"$root/scripts/build.sh" -DPODSIM_BUILD_TESTS=OFF
cd "$root"
if [ $# -gt 0 ]; then
  exec "$root/build/podsim" "$@"
fi
# The main job: an all-gather of 64 MiB per chip over all three axes of a 4x4x4 TPU v4 slice,
# simulated and compared with its closed form.
exec "$root/build/podsim" collective --shape 4x4x4 --op all-gather --axes xyz --bytes 64MiB
