#pragma once
// A self-contained HTML report of a Timeline: one file, no network access (inline SVG drawn by
// inline JavaScript from inline JSON data, system fonts only). It shows:
//   - the scenario and the headline numbers the command computed;
//   - the breakdown (a stacked bar) and the op instances on a time axis;
//   - a heat map of link utilisation, links x time (the most loaded links, exact averages of the
//     replay's rate intervals over each time bin);
//   - the torus unfolded into XY planes, one per Z, each directed link coloured by its mean load
//     in a time window chosen with sliders; the most loaded link is named;
//   - optionally (teaching mode) the steps of a collective: the window snaps to each step, its
//     transfers are listed and the links it used light up, with previous/next/play.

#include <string>
#include <utility>
#include <vector>

#include "sim/report/timeline.hpp"

namespace podsim {

// One transfer the teaching page animates: a dot moving from chip to chip along the route.
struct HtmlMove {
  ChipId from = 0, to = 0;
};

struct HtmlStep {
  std::string title;               // "step 2 of 3"
  Seconds start_s = 0, end_s = 0;  // the window the torus view shows for it
  std::vector<std::string> lines;  // what happens: "c(0,0,0) -> c(1,0,0): chunk of c3, 128 KiB"
  std::vector<HtmlMove> moves;     // the listed chips' transfers of the step
  std::vector<LinkId> links;       // the links the step's transfers cross (whole slice); empty:
                                   // every link busy in the window
};

struct HtmlReport {
  std::string title;
  std::vector<std::pair<std::string, std::string>> scenario;  // what was simulated
  std::vector<std::pair<std::string, std::string>> headline;  // the numbers a user looks for
  std::vector<std::pair<std::string, Seconds>> breakdown;     // where the time went
  std::string breakdown_title = "Breakdown";
  std::vector<std::string> notes;                             // shown under the headline
  std::vector<HtmlStep> steps;                                // teaching mode; empty otherwise
  std::string text;  // a preformatted text block (e.g. podsim explain's walk-through)
};

// Heat-map rows shown at most (the most loaded links); the torus view shows every link.
inline constexpr int kHeatMapMaxRows = 256;
// Time bins per link: at most 200, fewer on large slices so links x bins stays near 2 million.
inline constexpr int kMaxTimeBins = 200;
inline constexpr std::size_t kMaxLinkBinCells = 2'000'000;

// Writes the report to `path` and returns its size in bytes. Throws InputError when the file
// cannot be written.
std::size_t write_html_report(const Timeline& timeline, const HtmlReport& report,
                              const std::string& path);

// Mean utilisation (0..1 of the link bandwidth) of every link slot in each of `bins` equal
// bins of [0, timeline.makespan_s]: the exact integral of the rate intervals over each bin.
std::vector<std::vector<double>> binned_utilisation(const Timeline& timeline, int bins);

}  // namespace podsim
