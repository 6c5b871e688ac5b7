// Lost writes (issue 14, "What was found" 6): every output flag on a full device exits 2 with
// one line naming the file and the system's reason, and a write that fails part-way leaves no
// file behind (outputs go to a temporary file renamed into place). Each case runs podsim with a
// timeout; the expected messages are written from the flags and strerror(ENOSPC), not copied
// from podsim's output.

#include <catch2/catch.hpp>
#include <string>

#include "test/support/podsim_process.hpp"

namespace {

using podsim::test::contains;
using podsim::test::run_command;
using podsim::test::run_podsim;
using podsim::test::shell_quote;
namespace fs = std::filesystem;

const std::string kGood = std::string(PODSIM_TEST_DIR) + "/inputs/good";
const std::string kPrefill = shell_quote(kGood + "/toy-prefill.yaml");
constexpr int kTimeout = 60;

// One line on stderr, `<path>: <flag>: <what>: No space left on device`.
void require_enospc(const podsim::test::Run& run, const std::string& path,
                    const std::string& flag) {
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, path + ": " + flag + ": "));
  CHECK(contains(run.err, ": No space left on device\n"));
  CHECK(run.err.find('\n') == run.err.size() - 1);
}

}  // namespace

TEST_CASE("every output flag on /dev/full exits 2 naming the file and the reason", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string trace = kGood + "/toy-prefill.trace.json";
  const std::string sweep_csv = dir.write(
      "sweep.csv",
      "point,id,status,reason,prefill_s,prefill_cost_chip_s_per_token\n"
      "1,a,ok,,0.01,0.001\n");
  struct Case {
    std::string args, flag;
  };
  const Case cases[] = {
      {"run " + kPrefill + " --json /dev/full", "--json"},
      {"run " + kPrefill + " --perfetto /dev/full", "--perfetto"},
      {"run " + kPrefill + " --html /dev/full", "--html"},
      {"trace " + kPrefill + " -o /dev/full", "-o"},
      {"replay " + shell_quote(trace) + " --json /dev/full", "--json"},
      {"collective --shape 2x2x2 --bytes 1KiB --json /dev/full", "--json"},
      {"compare " + kPrefill + " --vary batch=8,16 --csv /dev/full", "--csv"},
      {"compare " + kPrefill + " --vary batch=8,16 --json /dev/full", "--json"},
  };
  for (const Case& c : cases) {
    INFO("podsim " << c.args);
    require_enospc(run_podsim(c.args, kTimeout), "/dev/full", c.flag);
  }
}

TEST_CASE("the explore outputs on /dev/full exit 2 naming the file and the reason", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string sweep = shell_quote(kGood + "/toy-sweep.yaml");
  const std::string csv = dir.file("sweep.csv");
  REQUIRE(run_podsim("sweep " + sweep + " -o " + shell_quote(csv), kTimeout).exit_code == 0);
  struct Case {
    std::string args, flag;
  };
  const Case cases[] = {
      {"pareto " + shell_quote(csv) + " -o /dev/full", "-o"},
      {"pareto " + shell_quote(csv) + " --json /dev/full", "--json"},
      {"sweep " + sweep + " -o " + shell_quote(dir.file("jobs.csv")) + " --emit-jobs /dev/full",
       "--emit-jobs"},
  };
  for (const Case& c : cases) {
    INFO("podsim " << c.args);
    require_enospc(run_podsim(c.args, kTimeout), "/dev/full", c.flag);
  }
}

TEST_CASE("a result lost on a full stdout exits 2, not 0", "[fault]") {
  const podsim::test::Run run = run_command("timeout -k 5 60 " + shell_quote(PODSIM_BINARY) +
                                            " run " + kPrefill + " > /dev/full");
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(run.err == "stdout: cannot write: No space left on device\n");
}

TEST_CASE("a write that fails part-way leaves no file, not a torn one", "[fault]") {
  // A file size limit of 1 KiB with SIGXFSZ ignored: write() fails with EFBIG after the first
  // kilobyte, as on a disk that fills up during the write. The JSON of a run is larger.
  const podsim::test::TempDir dir;
  const std::string json = dir.file("run.json");
  const podsim::test::Run run =
      run_command("trap '' XFSZ; ulimit -f 1; timeout -k 5 60 " + shell_quote(PODSIM_BINARY) +
                  " run " + kPrefill + " --json " + shell_quote(json));
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, json + ": --json: cannot write: File too large\n"));
  // Neither the output nor its temporary file is left in the directory.
  CHECK(fs::is_empty(dir.path));
}

TEST_CASE("an output in a directory that does not exist exits 2 naming it", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string json = dir.file("missing/run.json");
  const podsim::test::Run run = run_podsim("run " + kPrefill + " --json " + shell_quote(json),
                                           kTimeout);
  INFO("stderr: " << run.err);
  CHECK(run.exit_code == 2);
  CHECK(contains(run.err, json + ": --json: cannot create a file in its directory: No such file "
                                 "or directory\n"));
}

TEST_CASE("a completed output replaces the old file whole", "[fault]") {
  const podsim::test::TempDir dir;
  const std::string json = dir.write("run.json", "stale\n");
  const podsim::test::Run run = run_podsim("run " + kPrefill + " --json " + shell_quote(json),
                                           kTimeout);
  REQUIRE(run.exit_code == 0);
  const std::string text = podsim::test::read_file(json);
  CHECK(text.front() == '{');
  CHECK(text.substr(text.size() - 2) == "}\n");
  // Only the output itself is in the directory: no temporary file is left over.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    (void)entry;
    ++files;
  }
  CHECK(files == 1);
}
