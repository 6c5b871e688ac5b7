#!/usr/bin/env bash
# Module boundaries: every row of the include table of sim/README.md ("Modules and what each may
# include") holds. Each `#include "sim/<module>/..."` and each `#include <...>` of every file under
# sim/ is checked against the allowed set of the file's module.
#
# Usage: scripts/check_layout.sh [ROOT]
#   ROOT  the tree to check (default: this repository); ROOT/sim/ is read.
# Prints one line per violation, `file:line: module X may not include Y (header)`, and exits 1 on
# any; exits 0 when every include is allowed.
#
# Libraries are classified by the header's path (lib_of below). The C++ and C standard headers are
# allowed everywhere, and so are fmt and spdlog (core's set, and every module may include core).
# Every other library is allowed only where the table names it:
#   Boost.Graph  sim/topology/          SimGrid  sim/replay/ only
#   yaml-cpp     sim/config/ only       CLI11    sim/cli/ only
#   nlohmann     the modules that write or read JSON: workload (trace JSON), report, explore
#                (the ranking JSON, the run JSON of sweep points), cli
#   posix        process and file-descriptor headers (<unistd.h>, <sys/...>, <spawn.h>,
#                <fcntl.h>): the env unit of sim/core/ owns processes, and cli may include all
# A header the script cannot classify is a violation too, so that a new library gets a row.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
if [ ! -d "$root/sim" ]; then
  echo "check_layout: $root/sim is not a directory" >&2
  exit 2
fi
cd "$root"

# The include table, top to bottom: a module may include itself and the modules listed here.
declare -A modules=(
  [core]=""
  [topology]="core"
  [model]="core"
  [partition]="core model topology"
  [workload]="core model partition topology"
  [analytic]="core model partition topology"
  [program]="core topology model partition workload analytic"
  [config]="core topology model partition workload analytic program"
  [replay]="core topology model partition workload analytic program"
  [report]="core topology model partition workload analytic program"
  [explore]="core topology model partition workload analytic program config replay report"
  [cli]="core topology model partition workload analytic program config replay report explore"
)
# Libraries beyond std, fmt and spdlog.
declare -A libraries=(
  [core]="posix"
  [topology]="boost-graph"
  [workload]="nlohmann"
  [replay]="simgrid"
  [config]="yaml-cpp"
  [report]="nlohmann"
  [explore]="nlohmann"
  [cli]="CLI11 nlohmann posix"
)

c_headers=" assert.h ctype.h errno.h fenv.h float.h inttypes.h limits.h locale.h math.h setjmp.h
  signal.h stdarg.h stddef.h stdint.h stdio.h stdlib.h string.h time.h uchar.h wchar.h wctype.h "

# lib_of HEADER: the library a <HEADER> belongs to, or "unknown".
lib_of() {
  local h=$1
  case $h in
    fmt/*) echo fmt ;;
    spdlog/*) echo spdlog ;;
    boost/graph/*) echo boost-graph ;;
    boost/*) echo boost ;;
    simgrid/* | xbt/* | xbt.h | simgrid.h) echo simgrid ;;
    yaml-cpp/*) echo yaml-cpp ;;
    CLI/*) echo CLI11 ;;
    nlohmann/*) echo nlohmann ;;
    sys/* | unistd.h | spawn.h | fcntl.h | poll.h | pthread.h | dirent.h | dlfcn.h) echo posix ;;
    */*) echo unknown ;;
    *.h)
      if [[ $c_headers == *" $h "* ]]; then echo std; else echo unknown; fi ;;
    *) echo std ;;  # <vector>, <cstdio>, ...: no suffix, no directory
  esac
}

contains() {  # contains "LIST" WORD
  [[ " $1 " == *" $2 "* ]]
}

status=0
violation() {
  echo "$1"
  status=1
}

while IFS= read -r file; do
  rel=${file#sim/}
  module=${rel%%/*}
  if [ "$module" = "$rel" ] || [ -z "${modules[$module]+set}" ]; then
    violation "$file:1: not in a module of the include table (sim/<module>/)"
    continue
  fi
  allowed_modules="$module ${modules[$module]}"
  allowed_libs="std fmt spdlog ${libraries[$module]:-}"
  lineno=0
  while IFS= read -r line || [ -n "$line" ]; do
    lineno=$((lineno + 1))
    [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]*)[\"\>] ]] || continue
    kind=${BASH_REMATCH[1]}
    header=${BASH_REMATCH[2]}
    if [ "$kind" = '"' ]; then
      if [[ $header =~ ^sim/([^/]+)/ ]]; then
        target=${BASH_REMATCH[1]}
        if [ -z "${modules[$target]+set}" ]; then
          violation "$file:$lineno: module $module may not include $target ($header): no such module"
        elif ! contains "$allowed_modules" "$target"; then
          violation "$file:$lineno: module $module may not include $target ($header)"
        fi
      else
        violation "$file:$lineno: module $module: include \"$header\" is not rooted at sim/<module>/"
      fi
    else
      lib=$(lib_of "$header")
      if [ "$lib" = unknown ]; then
        violation "$file:$lineno: module $module may not include <$header>: unknown library (give it a row in check_layout.sh)"
      elif ! contains "$allowed_libs" "$lib"; then
        violation "$file:$lineno: module $module may not include $lib (<$header>)"
      fi
    fi
  done < "$file"
done < <(find sim -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cc' \) | LC_ALL=C sort)

exit $status
