#!/usr/bin/env bash
# Module boundaries (DESIGN.md §2): SimGrid only in sim/replay/, yaml-cpp only in sim/config/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
status=0
stray=$(grep -rl --include='*.[ch]pp' '#include *<simgrid/' sim | grep -v '^sim/replay/' || true)
if [ -n "$stray" ]; then echo "SimGrid included outside sim/replay/: $stray"; status=1; fi
stray=$(grep -rl --include='*.[ch]pp' '#include *<yaml-cpp/' sim | grep -v '^sim/config/' || true)
if [ -n "$stray" ]; then echo "yaml-cpp included outside sim/config/: $stray"; status=1; fi
exit $status
