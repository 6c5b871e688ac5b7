#pragma once
// Reads a sweep file (scenarios/sweeps/*.yaml): a base scenario and a grid of scenario keys
// whose cartesian product is the list of points `podsim sweep` simulates. Every problem is
// reported as `file:line:col: key: problem`.
//
//   name: 1D vs 2D weight-stationary decode        # optional, default the file stem
//   base: palm-540b-decode.yaml                     # a scenario file, relative to this file
//   set:                                            # optional: overrides applied to every point
//     generate_tokens: 16
//   grid:                                           # key -> list of values; the first key
//     chips: [64, 128, 256]                         # varies slowest (grid order)
//     ffn_layout: [ws-1d, ws-2d]
//
// `grids:` (a list of such maps) instead of `grid:` concatenates several grids, for studies
// whose parts vary different keys (a point present in two grids is run once, at its first
// place). Keys are scenario keys (scenario_loader.hpp); their values are validated per point,
// when the point is loaded, so that a bad combination is a row with its reason, not a refused
// sweep.

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace podsim::config {

// One point of the grid: the values of the grid keys, in the order the grid names them.
struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> values;
  // "chips=64 ffn_layout=ws-1d": the point's identity in result files (resume, merge).
  std::string id() const;
};

struct SweepSpec {
  std::string name;
  std::string file;                                      // the sweep file as given
  std::string base_scenario;                             // absolute path of the base scenario file
  std::vector<std::pair<std::string, std::string>> set;  // applied to every point, in file order
  // Top-level scalar values of the base scenario file (what a point asks for where the grid and
  // `set` do not say), for describing points that cannot be loaded.
  std::map<std::string, std::string> base_values;
  std::vector<SweepPoint> points;  // grid order

  // The `--set` strings of point i: `set` first, then the point's values.
  std::vector<std::string> overrides(std::size_t i) const;
  // The requested value of `key` at point i (grid, then set, then base file); "" if none.
  std::string requested(std::size_t i, const std::string& key) const;
};

// The keys a scenario file accepts (scenario_loader.hpp); grid and `set` keys must be among them.
const std::vector<std::string>& scenario_keys();
// Whether `key` may be varied or set: a scenario key, or one phase of a per-phase key
// (ffn_layout.prefill, ffn_layout.decode, attention.prefill, attention.decode).
bool is_scenario_key(const std::string& key);

// Loads and checks a sweep file: known keys, a base scenario that exists, non-empty lists of
// scalar values, and no key that contradicts the base (a grid over `chips` on a base that names
// a `topology`, or the other way round). Throws InputError.
SweepSpec load_sweep(const std::string& path);

// Refuses a sweep whose base scenario (with `set` applied) does not load when no point among
// `points` (1-based grid indices) loads either: an error no grid value repairs would otherwise
// make every row `invalid` with exit 0 (issue 14). Throws the base's InputError, one line at its
// file:line:col. A base that fails only on a value the grid replaces (a point loads) is accepted,
// and its bad points become rows with their reasons. Loads scenarios only (no simulation); points
// are tried until one loads: all of them up to 1000, else the first and a fixed pseudo-random
// sample of 999 (a load takes about a millisecond; a million would take many minutes).
void check_sweep_base(const SweepSpec& spec, const std::vector<std::size_t>& points);

}  // namespace podsim::config
