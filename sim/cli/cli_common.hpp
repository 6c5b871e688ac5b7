#pragma once
// Pieces shared by the podsim subcommands: where data files are found, the one output vocabulary
// of every command (-o/--output FILE, --format), help text conventions (FILE metavars, help
// wrapped to 100 columns, an example per command).

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace podsim::cli {

// The project directory holding platforms/, workloads/ and scenarios/: $PODSIM_HOME if set, else
// the current directory if it has platforms/, else the source tree podsim was built from.
std::string data_dir();

// Resolves --platform (a name such as "tpu-v4" or a path to a YAML file).
std::string platform_path(const std::string& name_or_path);

// Writes `doc` (2-space indented, keys sorted, so the same result gives the same bytes) to
// `path`, or to stdout when path is "-". Throws InputError when the file cannot be written.
void write_json(const nlohmann::json& doc, const std::string& path);

// The `format_version` of every JSON result podsim writes (docs/outputs.md): raised when a field
// is removed or changes meaning; added fields keep it.
inline constexpr int kJsonFormatVersion = 1;

// The output vocabulary of every command (README, "Command line"):
//   -o, --output FILE   where the result goes ("-" or absent: stdout)
//   --format FORMAT     text, json, csv, ... as the command offers; without it, FILE's extension
//                       (.json, .csv, .txt, .yaml) decides, else the command's file format
// The text report goes to stdout unless stdout carries data (--format json without -o, or -o -)
// or -o FILE takes the text itself. The older per-format flags stay as aliases that each also
// write their format to a file: --json FILE (or - for stdout) and --csv FILE.
struct OutputArgs {
  std::string output;  // -o
  std::string format;  // --format
  std::string json;    // --json alias
  std::string csv;     // --csv alias
};

struct OutputFormats {
  std::vector<std::string> formats;  // what --format accepts; the first is the stdout default
  std::string file_default;          // the format of -o FILE without --format or a known extension
  bool json_alias = false;           // register --json FILE
  bool csv_alias = false;            // register --csv FILE
  std::string what;                  // "the metrics", for the help text
};

// Registers -o/--output, --format and the aliases of `formats` on `sub`.
void add_output_options(CLI::App* sub, OutputArgs& args, const OutputFormats& formats);

struct Destination {
  std::string format;
  std::string path;  // "-" = stdout
  std::string flag;  // for error messages
};

struct ResolvedOutputs {
  std::vector<Destination> files;  // in the order they are written
  bool text_on_stdout = true;      // print the text report on stdout as well
  bool stdout_is_data() const { return !text_on_stdout; }
};

// Decides what goes where; throws InputError for an unknown format or two outputs on stdout.
ResolvedOutputs resolve_outputs(const OutputArgs& args, const OutputFormats& formats);

// Writes every destination with render(format) and, when text_on_stdout, render("text") on
// stdout. Files are written atomically (core/output_file).
void emit_outputs(const ResolvedOutputs& outputs,
                  const std::function<std::string(const std::string& format)>& render);

// Help conventions: "Example:" footer lines under a command's --help.
void set_examples(CLI::App* sub, const std::vector<std::string>& examples);

// A help formatter that wraps every line to 100 columns (continuation lines indented to the
// description column). Set on the app before its subcommands are added, which inherit it.
std::shared_ptr<CLI::Formatter> wrapping_formatter();

// The column width of every help text.
inline constexpr std::size_t kHelpColumns = 100;
// Where option descriptions start (CLI11's column width, which counts the two-space indent).
inline constexpr std::size_t kHelpDescriptionColumn = 32;

// Wraps `text` to `columns`, each line's continuation indented to its description column.
std::string wrap_help(const std::string& text, std::size_t columns = kHelpColumns);

}  // namespace podsim::cli
