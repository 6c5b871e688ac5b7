// The HTML reports render in real headless Chromium (Debian `chromium`) with no console errors:
// the page's script runs to its end, the SVG drawings are not empty, and a screenshot is saved
// (build-dir/timeline-artefacts/). For the all-to-all over xyz on 4x4x4 the report names the most
// loaded link, checked against the links' loads computed here from dimension-order routes.

#include <catch2/catch.hpp>

#include <regex>
#include <vector>

#include "sim/report/html_report.hpp"
#include "sim/topology/torus.hpp"
#include "test/support/cli_support.hpp"

namespace podsim::test {
namespace {

std::string chromium_flags(const fs::path& profile) {
  return "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
         "--disable-background-networking --disable-component-update --disable-sync "
         "--user-data-dir='" + profile.string() + "'";
}

struct Page {
  std::string dom;
  std::vector<std::string> console;  // console messages (the page logs none when all is well)
};

Page load(const fs::path& html, const fs::path& screenshot) {
  REQUIRE(run_command("command -v chromium").exit_code == 0);  // scripts/install_deps.sh
  TempDir profile, profile2;
  const Run run = run_command("timeout 120 chromium " + chromium_flags(profile.path) +
                              " --enable-logging=stderr --v=0 --dump-dom 'file://" +
                              html.string() + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  Page page;
  page.dom = run.out;
  std::istringstream err(run.err);
  for (std::string line; std::getline(err, line);)
    if (line.find(":CONSOLE") != std::string::npos) page.console.push_back(line);
  const Run shot = run_command("timeout 120 chromium " + chromium_flags(profile2.path) +
                               " --window-size=1300,2600 --screenshot='" + screenshot.string() +
                               "' 'file://" + html.string() + "'");
  CHECK(shot.exit_code == 0);
  CHECK(fs::exists(screenshot));
  CHECK(fs::file_size(screenshot) > 10000);
  return page;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

// The inner text of the element with id `id` (a leaf element in the dumped DOM).
std::string element_text(const std::string& dom, const std::string& id) {
  const std::regex re("id=\"" + id + "\"[^>]*>([^<]*)");
  std::smatch m;
  return std::regex_search(dom, m, re) ? std::string(m[1]) : std::string("<missing>");
}

void check_rendered(const Page& page) {
  for (const std::string& line : page.console) INFO(line);
  CHECK(page.console.empty());
  CHECK(page.dom.find("data-rendered=\"yes\"") != std::string::npos);  // the script ran through
  CHECK(element_text(page.dom, "errors").empty());
  CHECK(page.dom.find("http://") == page.dom.find("http://www.w3.org/2000/svg"));  // no fetches
  // Torus view: one segment per directed link; heat map and breakdown: rectangles.
  CHECK(count(page.dom, "<line class=\"link\"") > 0);
  CHECK(count(page.dom, "<rect") > 20);
  CHECK(count(page.dom, "<circle") > 0);
}

TEST_CASE("html report of an all-to-all renders in chromium and names the most loaded link",
          "[timeline]") {
  TempDir dir;
  const fs::path html = dir.path / "a2a.html";
  const Run run = run_podsim("collective --shape 4x4x4 --op all-to-all --axes xyz --bytes 1MiB "
                             "--html '" + html.string() + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const std::string source = read_file(html);
  CHECK(source.find("<script src") == std::string::npos);
  CHECK(source.find("<link") == std::string::npos);
  const Page page = load(html, artefact_dir() / "all-to-all-4x4x4.png");
  check_rendered(page);
  // 4x4x4 chips x 6 links, all wrapped: 384 segments in the torus view.
  CHECK(count(page.dom, "<line class=\"link\"") == 384);
  // More than 64 busy links: the heat map adds one row per direction and scrolls the rest.
  CHECK(page.dom.find("By direction") != std::string::npos);
  CHECK(page.dom.find("class=\"scroll\"") != std::string::npos);
  // Loads are against the effective rate, which the page names.
  CHECK(element_text(page.dom, "ratenote").find("effective link rate") != std::string::npos);

  // Reference: every chip sends 1 MiB / 64 to every other along its dimension-order route.
  const Torus torus(parse_shape("4x4x4", "shape"));
  std::vector<double> load(torus.link_slot_count(), 0.0);
  for (ChipId a = 0; a < 64; ++a)
    for (ChipId b = 0; b < 64; ++b)
      if (a != b)
        for (const Hop& h : torus.route(a, b)) load[Torus::link_id(h.from, h.direction)] += 1;
  const double most = *std::max_element(load.begin(), load.end());
  const double least_busy = *std::min_element(load.begin(), load.end());
  CHECK(most > least_busy);  // dimension-order routing loads links unevenly
  const std::string named = element_text(page.dom, "most");
  std::smatch m;
  REQUIRE(std::regex_search(named, m, std::regex(R"(^(c\(\d,\d,\d\)[+-][xyz]) )")));
  bool found = false;
  for (LinkId l = 0; l < torus.link_slot_count(); ++l)
    if (torus.link_name(l) == std::string(m[1])) {
      found = true;
      CHECK(load[l] == most);
    }
  CHECK(found);
}

TEST_CASE("html teaching page of an all-gather renders in chromium with its steps", "[timeline]") {
  TempDir dir;
  const fs::path html = dir.path / "explain.html";
  const Run run = run_podsim("explain --op all-gather --axes x --shape 4x4x1 --wrap x --bytes 1MiB "
                             "--html '" + html.string() + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const Page page = load(html, artefact_dir() / "explain-all-gather-4x4x1.png");
  check_rendered(page);
  CHECK(element_text(page.dom, "steptitle").find("step 1 of 3") != std::string::npos);
  // The torus is one picture with labelled chips, its controls beside it (one .stage row), and
  // the step's transfers drawn on it (a dot and an arrow per listed transfer).
  CHECK(page.dom.find("id=\"torussvg\"") != std::string::npos);
  const std::size_t stage = page.dom.find("class=\"stage\""),
                    picture = page.dom.find("id=\"torussvg\""),
                    controls = page.dom.find("class=\"controls\""), prev = page.dom.find("id=\"prev\"");
  CHECK(stage < picture);
  CHECK(picture < controls);
  CHECK(controls < prev);
  CHECK(prev < page.dom.find("id=\"scenariotitle\""));  // teaching mode: the picture comes first
  CHECK(page.dom.find(">0,0</text>") != std::string::npos);
  CHECK(count(page.dom, "<polyline") >= 8);  // 4 chips x 2 directions, wraps drawn in two parts
  CHECK(count(page.dom, "<li>") >= 4);  // the step's transfers are listed
}

TEST_CASE("html report of a toy run renders in chromium", "[timeline]") {
  TempDir dir;
  const fs::path html = dir.path / "run.html";
  const Run run = run_podsim("run '" + std::string(PODSIM_TEST_DIR) +
                             "/inputs/good/toy-deep-generate.yaml' --set generate_tokens=2 --html '" +
                             html.string() + "'");
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  const Page page = load(html, artefact_dir() / "run-toy.png");
  check_rendered(page);
  CHECK(page.dom.find("decode step") != std::string::npos);
  CHECK(page.dom.find("in-process simulation") != std::string::npos);
}

}  // namespace
}  // namespace podsim::test

// The heat map's bins, worked by hand: a link of 100 B/s binned into 1 s bins carries at most
// 100 B per bin, so 50 B/s over half a bin is a quarter of it.
TEST_CASE("link utilisation bins are the mean load of each bin, by hand", "[report]") {
  podsim::Timeline timeline;
  timeline.shape = podsim::parse_shape("2x1x1", "shape");
  timeline.link_bytes_per_s = 100;
  timeline.makespan_s = 4;
  timeline.link_intervals = {{0, 0.5, 2.0, 50}, {3, 0.0, 0.25, 40}, {3, 3.0, 4.0, 100}};
  const auto util = podsim::binned_utilisation(timeline, 4);
  REQUIRE(util.size() == 2u * podsim::kDirections);
  CHECK(util[0] == std::vector<double>{0.25, 0.5, 0, 0});
  REQUIRE(util[3].size() == 4u);
  CHECK(util[3][0] == Approx(0.25 * 40 / 100));
  CHECK(util[3][1] == 0);
  CHECK(util[3][2] == 0);
  CHECK(util[3][3] == Approx(1.0));
  for (std::size_t slot : {1, 2, 4, 5, 6, 11}) CHECK(util[slot].empty());  // links never used
  // link_bytes integrates the same intervals: 50 B/s x 1.5 s, and 100 x 1 + 40 x 0.25.
  const std::vector<double> bytes = podsim::link_bytes(timeline);
  CHECK(bytes[0] == Approx(75));
  CHECK(bytes[3] == Approx(110));
}
