// The sweep result table's CSV (sweep_table.hpp) against RFC 4180 written out by hand: quoting,
// doubled quotes, line breaks folded into spaces, 9 significant digits, whole bytes; and reading
// back what was written, with and without a row torn by an interrupted write.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/core/input_error.hpp"
#include "sim/report/sweep_table.hpp"
#include "test/support/podsim_process.hpp"

namespace podsim {

TEST_CASE("csv fields are quoted only when they hold a comma, a quote or a line break") {
  // The line itself, without its terminator.
  CHECK(csv_line({"a", "b c", "1.5"}) == "a,b c,1.5");
  CHECK(csv_line({"x,y"}) == "\"x,y\"");
  CHECK(csv_line({"say \"hi\""}) == "\"say \"\"hi\"\"\"");
  CHECK(csv_line({"", "z"}) == ",z");
  // One line per row: a line break becomes a space (and then needs no quotes).
  CHECK(csv_line({"two\nlines", "cr\rlf"}) == "two lines,cr lf");
}

TEST_CASE("metrics print with 9 significant digits, byte columns as integers") {
  CHECK(format_metric("total_s", 1.0 / 3.0) == "0.333333333");
  CHECK(format_metric("total_s", 12345678912.0) == "1.23456789e+10");
  std::string bytes_column;
  for (const std::string& c : metric_columns())
    if (is_bytes_column(c)) bytes_column = c;
  REQUIRE_FALSE(bytes_column.empty());
  CHECK(format_metric(bytes_column, 34359738368.0) == "34359738368");
}

TEST_CASE("a written table reads back, and a torn last row is dropped only when tolerated") {
  test::TempDir dir;
  const std::vector<std::string> header{"index", "point", "reason"};
  const std::vector<std::string> row1{"1", "chips=8 ffn_layout=ws-1d", "ok, \"really\""};
  const std::vector<std::string> row2{"2", "chips=64", ""};
  const std::string text = csv_line(header) + "\n" + csv_line(row1) + "\n" + csv_line(row2) + "\n";
  const CsvTable table = read_csv(dir.write("t.csv", text), false);
  CHECK(table.header == header);
  REQUIRE(table.rows.size() == 2u);
  CHECK(table.rows[0] == row1);
  CHECK(table.rows[1] == row2);
  CHECK(table.column("point") == 1);
  CHECK(table.column("nope") == -1);
  // An interrupted write leaves half a row without its line break.
  const std::string torn = dir.write("torn.csv", text + "3,chi");
  CHECK(read_csv(torn, true).rows.size() == 2u);
  // A complete row with a field missing is an error unless tolerated.
  const std::string short_row = dir.write("short.csv", text + "3,chips=8\n");
  CHECK(read_csv(short_row, true).rows.size() == 2u);
  CHECK_THROWS_AS(read_csv(short_row, false), InputError);
  CHECK_THROWS_AS(read_csv(dir.file("missing.csv"), true), InputError);
}

// A last line without its line break may be cut short (a torn write): refused unless tolerated.
TEST_CASE("an untolerated torn last row is refused") {
  test::TempDir dir;
  const std::string torn = dir.write("torn.csv", "index,point,reason\n1,a,b\n3,chi");
  CHECK_THROWS_AS(read_csv(torn, false), InputError);
  // Cut inside the last field, the row has the header's field count and a wrong value.
  const std::string cut = dir.write("cut.csv", "index,point,reason\n1,a,b\n3,chi,0.00");
  CHECK_THROWS_AS(read_csv(cut, false), InputError);
  CHECK(read_csv(cut, true).rows.size() == 1);
}

TEST_CASE("a CSV that is not a regular file is refused without being read") {
  // /dev/zero never ends: reading it whole would exhaust memory.
  CHECK_THROWS_AS(read_csv("/dev/zero", false), InputError);
  test::TempDir dir;
  CHECK_THROWS_AS(read_csv(dir.path.string(), false), InputError);
}

}  // namespace podsim
