// `podsim sweep SWEEP.yaml -o results.csv [-j N]`: simulates every point of a sweep file's grid,
// N processes at a time, into one CSV row per point (sweep_table.hpp); resumes an interrupted
// sweep; writes the grid as a job list for GNU parallel or Slurm (--emit-jobs) and merges the
// partial CSVs such jobs write (--merge).

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/cli/progress.hpp"
#include "sim/explore/point_runner.hpp"
#include "sim/config/sweep_loader.hpp"
#include "sim/core/env.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"
#include "sim/core/quantity_parse.hpp"
#include "sim/report/sweep_table.hpp"

namespace podsim::cli {

namespace fs = std::filesystem;

namespace {

struct SweepArgs {
  std::string sweep;
  std::string output;
  std::string format;
  int jobs = 0;
  std::string points;
  std::string emit_jobs;
  std::vector<std::string> merge;
};

using Rows = std::map<std::size_t, std::vector<std::string>>;  // grid index -> CSV fields

// "1-3,7" -> {1, 2, 3, 7}, each within 1..count.
std::set<std::size_t> parse_points(const std::string& text, std::size_t count) {
  std::set<std::size_t> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const auto dash = part.find('-');
    const auto a = parse_integer(part.substr(0, dash));
    const auto b = dash == std::string::npos ? a : parse_integer(part.substr(dash + 1));
    if (!a || !b || *a < 1 || *b < *a || static_cast<std::size_t>(*b) > count)
      throw InputError("--points",
                       fmt::format("'{}' must list points between 1 and {} (the grid's size), "
                                   "such as 1-3,7",
                                   part, count));
    for (long long i = *a; i <= *b; ++i) out.insert(static_cast<std::size_t>(i));
    start = end + 1;
  }
  return out;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  return fs::absolute(path, ec).lexically_normal().string();
}

// Rows of an existing result file, by grid index. Rows of points this sweep does not have mean
// the file belongs to another sweep (InputError). Rows with status `failed` are dropped when
// `drop_failed` (a resumed sweep runs them again).
Rows read_rows(const std::string& path, const config::SweepSpec& spec, bool drop_failed) {
  const CsvTable table = read_csv(path, true);
  if (table.header != result_header())
    throw InputError(SourceLocation{path, 1, 1}, "header",
                     "is not the header podsim sweep writes (another file, or another podsim "
                     "version); give another -o or remove the file");
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < spec.points.size(); ++i) index_of[spec.points[i].id()] = i + 1;
  const int point_col = table.column("point");
  const int status_col = table.column("status");
  Rows rows;
  for (std::size_t r = 0; r < table.rows.size(); ++r) {
    std::vector<std::string> row = table.rows[r];
    const auto it = index_of.find(row[point_col]);
    if (it == index_of.end())
      throw InputError(SourceLocation{path, static_cast<int>(r + 2), 1}, "point",
                       fmt::format("'{}' is not a point of the sweep {}; the file belongs to "
                                   "another sweep: give another -o",
                                   row[point_col], spec.file));
    if (drop_failed && row[status_col] == kStatusFailed) continue;
    row[0] = std::to_string(it->second);
    rows.emplace(it->second, std::move(row));  // the first row of a point wins
  }
  return rows;
}

// Writes the rows in grid order, through a temporary file renamed over `path` (OutputFile), so
// that an interruption or a full disk never leaves a half-written file.
void write_rows(const std::string& path, const Rows& rows) {
  std::string text = csv_line(result_header()) + '\n';
  for (const auto& [index, fields] : rows) text += csv_line(fields) + '\n';
  write_output_file(path, text, "-o");
}

// Progress on stderr (cli/progress.hpp: on a terminal or with --progress, with an estimate of the
// time left). Every finished row is also appended to the result file at once, so that a killed
// sweep loses at most the points that were running.
class SweepProgress : public PointObserver {
 public:
  SweepProgress(const std::vector<PointTask>& tasks, const std::vector<double>& work, int jobs,
                const std::string& output, Rows& rows)
      : rows_(rows),
        progress_("points", work, jobs, true),
        output_(output),
        fd_(::open(output.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC)) {
    if (fd_ < 0)
      throw InputError(SourceLocation{output, 0, 0}, "-o",
                       fmt::format("cannot append to it: {}", std::strerror(errno)));
    for (std::size_t i = 0; i < tasks.size(); ++i) position_[tasks[i].index] = i;
  }
  ~SweepProgress() override { ::close(fd_); }
  SweepProgress(const SweepProgress&) = delete;
  SweepProgress& operator=(const SweepProgress&) = delete;

  void started(std::size_t task) override { progress_.started(task); }
  void finished(const PointResult& r, double seconds) override {
    if (r.status != kStatusOk) ++failed_;
    const std::vector<std::string> fields = result_fields(r);
    // Checked at once: on a full disk the sweep stops with the reason instead of appending torn
    // lines (its children are stopped by run_points).
    append_checked(fd_, csv_line(fields) + '\n', output_, "-o");
    rows_[r.index] = fields;
    std::string what = r.status;
    if (r.status == kStatusOk)
      what += ", " + format_seconds(seconds, TimeUnit::s, decimals(1));
    else
      what += ": " + r.reason;
    progress_.finished(position_[r.index], r.status, fmt::format("{}: {}", r.point, what));
  }
  void tick() override { progress_.tick(); }
  std::size_t failed() const { return failed_; }

 private:
  Rows& rows_;
  PointsProgress progress_;
  std::map<std::size_t, std::size_t> position_;  // grid index -> position in the task list
  std::string output_;
  int fd_;  // the CSV, opened for appending
  std::size_t failed_ = 0;
};

int emit_jobs(const SweepArgs& args, const config::SweepSpec& spec,
              const std::set<std::size_t>& selected) {
  if (args.output.empty())
    throw InputError("-o", "is required with --emit-jobs: the jobs write their rows next to it");
  const fs::path output = absolute(args.output);
  const fs::path parts = output.parent_path() / (output.stem().string() + ".parts");
  std::error_code ec;
  fs::create_directories(parts, ec);
  if (ec) throw InputError("-o", fmt::format("cannot create {}: {}", parts.string(), ec.message()));
  OutputFile out(args.emit_jobs, "--emit-jobs");
  const std::string exe = self_executable();
  const std::string sweep = absolute(spec.file);
  for (std::size_t i : selected)
    out.write(fmt::format("{} sweep {} --points {} -j 1 -o {}\n", shell_quote(exe),
                          shell_quote(sweep), i,
                          shell_quote((parts / fmt::format("point-{:05}.csv", i)).string())));
  out.commit();
  std::cout << fmt::format(
      "wrote {} jobs to {} (one podsim command per line, each writing one CSV into {})\n"
      "run them, e.g.:  parallel -j 8 < {}\n"
      "then merge:      podsim sweep {} --merge {}/*.csv -o {}\n",
      selected.size(), args.emit_jobs, parts.string(), args.emit_jobs, spec.file, parts.string(),
      args.output);
  return 0;
}

int merge(const SweepArgs& args, const config::SweepSpec& spec) {
  if (args.output.empty()) throw InputError("-o", "is required with --merge: the merged CSV");
  Rows rows;
  for (const std::string& file : args.merge) {
    for (auto& [index, fields] : read_rows(file, spec, false)) {
      auto it = rows.find(index);
      // A point present twice: keep a simulated row over a failed one, else the first.
      if (it == rows.end() || (it->second[2] == kStatusFailed && fields[2] != kStatusFailed))
        rows[index] = fields;
    }
  }
  write_rows(args.output, rows);
  std::vector<std::string> missing;
  for (std::size_t i = 1; i <= spec.points.size(); ++i)
    if (!rows.count(i)) missing.push_back(std::to_string(i));
  std::cout << fmt::format("merged {} files into {}: {} of {} points", args.merge.size(),
                           args.output, rows.size(), spec.points.size());
  if (!missing.empty())
    std::cout << fmt::format("; missing points {} (run podsim sweep {} -o {} to complete them)",
                             fmt::join(missing, ","), spec.file, args.output);
  std::cout << "\n";
  return 0;
}

int run_sweep(const SweepArgs& args) {
  const config::SweepSpec spec = config::load_sweep(args.sweep);
  std::set<std::size_t> selected;
  if (args.points.empty())
    for (std::size_t i = 1; i <= spec.points.size(); ++i) selected.insert(i);
  else
    selected = parse_points(args.points, spec.points.size());

  // A base no point repairs is refused here, before a CSV or a job list is written (a merge
  // simulates nothing).
  if (!args.emit_jobs.empty() || args.merge.empty())
    config::check_sweep_base(spec, std::vector<std::size_t>(selected.begin(), selected.end()));
  if (!args.emit_jobs.empty()) return emit_jobs(args, spec, selected);
  if (!args.merge.empty()) return merge(args, spec);
  if (args.output.empty()) throw InputError("-o", "is required: the CSV file to write");

  std::error_code ec;
  // The CSV is read back to resume and replaced by a rename: it must be a regular file.
  if (fs::exists(args.output, ec) && !fs::is_regular_file(args.output, ec))
    throw InputError(SourceLocation{args.output, 0, 0}, "-o",
                     "is not a regular file; a sweep's CSV is read back to resume, so give a file");
  // One writer per CSV: two sweeps appending to one file would each keep only their own rows.
  const FileLock lock(args.output + ".lock");
  if (lock.error() != 0)
    throw InputError(SourceLocation{args.output, 0, 0}, "-o",
                     fmt::format("cannot create the lock file {}: {}", lock.path(),
                                 std::strerror(lock.error())));
  if (!lock.acquired())
    throw InputError(SourceLocation{args.output, 0, 0}, "-o",
                     fmt::format("another podsim sweep{} is writing this file (lock {}); wait for "
                                 "it to finish or give another -o",
                                 lock.holder().empty() ? "" : fmt::format(" (pid {})", lock.holder()),
                                 lock.path()));
  Rows rows;
  if (fs::exists(args.output, ec)) rows = read_rows(args.output, spec, true);
  const std::size_t resumed = rows.size();
  write_rows(args.output, rows);

  std::vector<PointTask> tasks;
  for (std::size_t i : selected) {
    if (rows.count(i)) continue;
    tasks.push_back(PointTask{i, spec.points[i - 1].id(), spec.overrides(i - 1)});
  }
  if (resumed > 0)
    std::fputs(
        fmt::format("{}: {} points already done, {} to run\n", args.output, resumed, tasks.size())
            .c_str(),
        stderr);

  PointRunOptions options;
  options.scenario = spec.base_scenario;
  options.jobs = args.jobs > 0 ? args.jobs : default_jobs();
  options.requested = [&spec](const PointTask& task, const std::string& column) {
    return spec.requested(task.index - 1, column);
  };
  const auto start = std::chrono::steady_clock::now();
  bool interrupted = false;
  std::size_t failed = 0;
  {
    std::vector<double> work;
    for (const PointTask& t : tasks)
      work.push_back(progress_wanted() ? predicted_point_work(spec.base_scenario, t.overrides) : 0);
    SweepProgress progress(tasks, work, options.jobs, args.output, rows);
    run_points(tasks, options, &progress, interrupted);
    failed = progress.failed();
  }
  write_rows(args.output, rows);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::map<std::string, std::size_t> by_status;
  for (const auto& [index, fields] : rows) ++by_status[fields[2]];
  std::string counts;
  for (const char* s : {kStatusOk, kStatusNoFit, kStatusInvalid, kStatusFailed})
    if (by_status[s]) counts += fmt::format("{}{} {}", counts.empty() ? "" : ", ", by_status[s], s);
  if (interrupted) {
    std::fputs(fmt::format("interrupted: {} of {} points in {}; run the same command again to "
                           "resume\n",
                           rows.size(), spec.points.size(), args.output)
                   .c_str(),
               stderr);
    return 130;
  }
  std::cout << fmt::format(
      "{}: {} points in {} ({}), {} run now in {:.1f} s with -j {}{}\n", spec.name, rows.size(),
      args.output, counts.empty() ? "none" : counts, tasks.size(), wall, options.jobs,
      failed ? fmt::format(", {} without a result (see the reason column)", failed) : "");
  return 0;
}

}  // namespace

Command add_sweep_command(CLI::App& app) {
  auto args = std::make_shared<SweepArgs>();
  CLI::App* sub = app.add_subcommand(
      "sweep", "Simulate every point of a sweep file's grid into one CSV row per point");
  sub->add_option("sweep", args->sweep, "Sweep YAML file (base scenario and grid)")
      ->required()
      ->type_name("FILE");
  sub->add_option("-o,--output", args->output,
                  "CSV file to write (required); if it exists, its points are kept and the rest "
                  "are run")
      ->required()
      ->type_name("FILE");
  // The one output vocabulary (cli_common.hpp): a sweep writes CSV only.
  sub->add_option("--format", args->format, "Format of the results: csv (the only one)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"csv"}));
  sub->add_option("-j,--jobs", args->jobs, "Simulation processes at once (default: cores)")
      ->check(CLI::Range(1, 1024));
  sub->add_option("--points", args->points, "Run only these grid points (1-based: 1-3,7)")
      ->type_name("LIST");
  sub->add_option("--emit-jobs", args->emit_jobs,
                  "Write one self-contained podsim command per point to FILE (GNU parallel, "
                  "Slurm arrays) instead of running")
      ->type_name("FILE");
  sub->add_option("--merge", args->merge,
                  "Merge these partial CSVs (from --emit-jobs runs) into -o, in grid order")
      ->expected(1, -1)
      ->type_name("FILE...");
  set_examples(sub, {"podsim sweep scenarios/sweeps/decode-context-attention.yaml -o results.csv "
                     "-j 2 && podsim pareto results.csv"});
  return [args]() { return run_sweep(*args); };
}

}  // namespace podsim::cli
