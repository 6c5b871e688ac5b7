// OutputFile: complete or absent. Failures are provoked with /dev/full (every write fails with
// ENOSPC) and a missing directory; the expected texts are strerror's.

#include <catch2/catch.hpp>
#include <string>

#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"
#include "test/support/podsim_process.hpp"

namespace podsim {

namespace {
int entries(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += !e.path().empty();
  return n;
}
}  // namespace

TEST_CASE("an output file appears only when committed, whole") {
  test::TempDir dir;
  const std::string path = dir.write("out.txt", "old\n");
  {
    OutputFile out(path, "-o");
    out.write("new ");
    out.write("text\n");
    CHECK(test::read_file(path) == "old\n");  // not yet
  }
  CHECK(test::read_file(path) == "old\n");  // dropped without commit, temporary removed
  CHECK(entries(dir.path) == 1);
  {
    OutputFile out(path, "-o");
    out.write("new text\n");
    out.commit();
  }
  CHECK(test::read_file(path) == "new text\n");
  CHECK(entries(dir.path) == 1);
}

TEST_CASE("a failed write names the path, the flag and errno's text") {
  std::string message;
  try {
    write_output_file("/dev/full", "x", "--json");
  } catch (const InputError& e) {
    message = e.what();
  }
  CHECK(message == "/dev/full: --json: cannot write: No space left on device");
  test::TempDir dir;
  const std::string missing = dir.file("no/such/out.json");
  CHECK_THROWS_WITH(write_output_file(missing, "x", "--json"),
                    missing + ": --json: cannot create a file in its directory: No such file or "
                              "directory");
}

}  // namespace podsim
