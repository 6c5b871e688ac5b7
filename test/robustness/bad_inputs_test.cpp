// The bad-input catalogue (test/inputs/bad/<format>/): every file is given to the podsim binary as
// a user would, and must be refused with exit code 2 and one line on stderr matching the regex of
// its sidecar `.expect` file:
//   args: run {file}                 the podsim arguments; {file} is the input, {good} the
//                                    directory of valid inputs (test/inputs/good)
//   error: ^{file}:7:1: bacth: ...$  a regex for the whole line; {file} and {good} match the
//                                    paths literally
//   # ...                            comments
// Nothing may abort, crash or hang (each run has a timeout).

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "test/support/podsim_process.hpp"

namespace {

using namespace podsim::test;

const fs::path kInputs = fs::path(PODSIM_TEST_DIR) / "inputs";
const fs::path kBad = kInputs / "bad";
const fs::path kGood = kInputs / "good";

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string regex_escape(const std::string& text) {
  static const std::string kSpecial = "\\^$.|?*+()[]{}";
  std::string out;
  for (char c : text) {
    if (kSpecial.find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

struct Expectation {
  std::string args;
  std::string error;
};

Expectation read_expectation(const fs::path& path) {
  Expectation e;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("args: ", 0) == 0)
      e.args = line.substr(6);
    else if (line.rfind("error: ", 0) == 0)
      e.error = line.substr(7);
    else
      FAIL(path.string() << ": unexpected line '" << line << "'");
  }
  REQUIRE_FALSE(e.args.empty());
  REQUIRE_FALSE(e.error.empty());
  return e;
}

// The inputs of a format directory: every entry except the .expect files (a directory given as a
// file is an input too), sorted.
std::vector<fs::path> inputs_of(const std::string& format) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(kBad / format)) {
    const fs::path& p = entry.path();
    if (p.extension() == ".expect" || p.extension() == ".py") continue;
    out.push_back(p);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void check_catalogue(const std::string& format) {
  const std::vector<fs::path> inputs = inputs_of(format);
  REQUIRE(inputs.size() >= 10);
  for (const fs::path& input : inputs) {
    fs::path expect_path = input;
    expect_path.replace_extension(".expect");
    INFO("input: " << input.string());
    REQUIRE(fs::exists(expect_path));
    const Expectation e = read_expectation(expect_path);
    const std::string args = replace_all(replace_all(e.args, "{file}", shell_quote(input.string())),
                                         "{good}", shell_quote(kGood.string()));
    const std::string pattern =
        replace_all(replace_all(e.error, "{file}", regex_escape(input.string())), "{good}",
                    regex_escape(kGood.string()));
    const Run run = run_podsim(args, 30);
    INFO("podsim " << args << "\nexit code: " << run.exit_code << "\nstderr: " << run.err
                   << "stdout: " << run.out << "\nexpected: " << pattern);
    CHECK(run.exit_code == 2);
    CHECK(run.out.empty());
    // One line, ending with a newline.
    CHECK(run.err.size() > 1);
    CHECK(std::count(run.err.begin(), run.err.end(), '\n') == 1);
    CHECK((!run.err.empty() && run.err.back() == '\n'));
    const std::string line = run.err.substr(0, run.err.find('\n'));
    CHECK(line.find("internal error") == std::string::npos);
    CHECK(std::regex_search(line, std::regex(pattern)));
  }
}

}  // namespace

TEST_CASE("bad scenario files exit 2 with their one-line message", "[robustness]") {
  check_catalogue("scenario");
}

TEST_CASE("bad platform files exit 2 with their one-line message", "[robustness]") {
  check_catalogue("platform");
}

TEST_CASE("bad model files exit 2 with their one-line message", "[robustness]") {
  check_catalogue("model");
}

TEST_CASE("bad trace files exit 2 with their one-line message", "[robustness]") {
  check_catalogue("trace");
}

TEST_CASE("bad calibration files exit 2 with their one-line message", "[robustness]") {
  check_catalogue("calibration");
}

TEST_CASE("the catalogue holds at least 30 bad inputs and each has its expectation",
          "[robustness]") {
  std::size_t inputs = 0;
  std::set<std::string> formats;
  for (const auto& dir : fs::directory_iterator(kBad)) {
    formats.insert(dir.path().filename().string());
    for (const fs::path& input : inputs_of(dir.path().filename().string())) {
      ++inputs;
      fs::path expect_path = input;
      expect_path.replace_extension(".expect");
      INFO(input.string());
      CHECK(fs::exists(expect_path));
    }
    // And no expectation without its input.
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      if (entry.path().extension() != ".expect") continue;
      bool found = false;
      for (const auto& other : fs::directory_iterator(dir.path()))
        found = found || (other.path().stem() == entry.path().stem() &&
                          other.path().extension() != ".expect");
      INFO(entry.path().string());
      CHECK(found);
    }
  }
  CHECK(inputs >= 30);
  CHECK(formats == std::set<std::string>{"calibration", "model", "platform", "scenario", "trace"});
}
