#include "sim/cli/cli_common.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "sim/config/platform_loader.hpp"
#include "sim/core/input_error.hpp"
#include "sim/core/output_file.hpp"

namespace podsim::cli {

std::string data_dir() {
  namespace fs = std::filesystem;
  if (const char* home = std::getenv("PODSIM_HOME"); home != nullptr && *home != '\0') return home;
  std::error_code ec;
  if (fs::is_directory("platforms", ec)) return ".";
  return PODSIM_SOURCE_DIR;
}

std::string platform_path(const std::string& name_or_path) {
  return config::resolve_platform_path(name_or_path,
                                       (std::filesystem::path(data_dir()) / "platforms").string());
}

void write_json(const nlohmann::json& doc, const std::string& path) {
  const std::string text = doc.dump(2) + "\n";
  if (path == "-") {
    std::cout << text;
    return;
  }
  write_output_file(path, text, "--json");
}

namespace {

bool offers(const OutputFormats& formats, const std::string& format) {
  return std::find(formats.formats.begin(), formats.formats.end(), format) !=
         formats.formats.end();
}

// The format a file's extension names, if the command offers it.
std::string format_of_extension(const std::string& path, const OutputFormats& formats) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string format;
  if (ext == ".json") format = "json";
  if (ext == ".csv") format = "csv";
  if (ext == ".txt" || ext == ".text") format = "text";
  if (ext == ".yaml" || ext == ".yml") format = "yaml";
  return offers(formats, format) ? format : "";
}

}  // namespace

void add_output_options(CLI::App* sub, OutputArgs& args, const OutputFormats& formats) {
  const std::string what = formats.what.empty() ? "the result" : formats.what;
  sub->add_option("-o,--output", args.output,
                  fmt::format("Write {} to FILE (- for stdout) in --format, or in the format "
                              "FILE's extension names (default {})",
                              what, formats.file_default))
      ->type_name("FILE");
  sub->add_option("--format", args.format,
                  fmt::format("Format of {}: {} (default {} on stdout)", what,
                              fmt::join(formats.formats, ", "), formats.formats.front()))
      ->type_name("FORMAT")
      ->check(CLI::IsMember(formats.formats));
  if (formats.json_alias)
    sub->add_option("--json", args.json,
                    fmt::format("Also write {} as JSON to FILE (- for stdout); same as "
                                "--format json -o FILE",
                                what))
        ->type_name("FILE");
  if (formats.csv_alias)
    sub->add_option("--csv", args.csv,
                    fmt::format("Also write {} as CSV to FILE (- for stdout); same as "
                                "--format csv -o FILE",
                                what))
        ->type_name("FILE");
}

ResolvedOutputs resolve_outputs(const OutputArgs& args, const OutputFormats& formats) {
  ResolvedOutputs out;
  if (!args.format.empty() && !offers(formats, args.format))
    throw InputError("--format", fmt::format("'{}' is not a format of this command; it writes {}",
                                             args.format, fmt::join(formats.formats, ", ")));
  std::string format = args.format;
  if (format.empty()) {
    if (!args.output.empty() && args.output != "-") {
      format = format_of_extension(args.output, formats);
      if (format.empty()) format = formats.file_default;
    } else {
      format = formats.formats.front();
    }
  }
  const std::string path = args.output.empty() ? "-" : args.output;
  int on_stdout = 0;
  if (format == "text") {
    if (path != "-") {
      out.files.push_back({format, path, "-o"});
      out.text_on_stdout = false;
    }
  } else {
    out.files.push_back({format, path, path == "-" ? "--format" : "-o"});
    if (path == "-") ++on_stdout;
  }
  if (!args.json.empty()) {
    out.files.push_back({"json", args.json, "--json"});
    if (args.json == "-") ++on_stdout;
  }
  if (!args.csv.empty()) {
    out.files.push_back({"csv", args.csv, "--csv"});
    if (args.csv == "-") ++on_stdout;
  }
  if (on_stdout > 1)
    throw InputError("-o", "two outputs would go to stdout: give at most one of them '-' (or no "
                           "-o), and the others a FILE");
  if (on_stdout > 0) out.text_on_stdout = false;
  return out;
}

void emit_outputs(const ResolvedOutputs& outputs,
                  const std::function<std::string(const std::string& format)>& render) {
  for (const Destination& d : outputs.files) {
    const std::string text = render(d.format);
    if (d.path == "-")
      std::cout << text;
    else
      write_output_file(d.path, text, d.flag);
  }
  if (outputs.text_on_stdout) std::cout << render("text");
}

void set_examples(CLI::App* sub, const std::vector<std::string>& examples) {
  std::string footer = examples.size() == 1 ? "Example:" : "Examples:";
  for (const std::string& e : examples) footer += "\n  " + e;
  sub->footer(footer);
}

std::string wrap_help(const std::string& text, std::size_t columns) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.size() <= columns) {
      out += line + "\n";
      continue;
    }
    // Continuation lines start at the description column: kHelpDescriptionColumn on an option
    // line ("  -o,--output FILE   Write ..."), else the line's own indent.
    std::size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos) indent = 0;
    if (indent == 2 && line.size() > kHelpDescriptionColumn) indent = kHelpDescriptionColumn;
    std::string rest = line;
    while (rest.size() > columns) {
      std::size_t cut = rest.rfind(' ', columns);
      if (cut == std::string::npos || cut <= indent) cut = rest.find(' ', columns);
      if (cut == std::string::npos) break;
      out += rest.substr(0, cut) + "\n";
      const std::size_t next = rest.find_first_not_of(' ', cut);
      rest = std::string(indent, ' ') + (next == std::string::npos ? "" : rest.substr(next));
    }
    out += rest + "\n";
  }
  if (!text.empty() && text.back() != '\n' && !out.empty()) out.pop_back();
  return out;
}

namespace {

class WrappingFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    return wrap_help(CLI::Formatter::make_help(app, std::move(name), mode));
  }
};

}  // namespace

std::shared_ptr<CLI::Formatter> wrapping_formatter() {
  auto formatter = std::make_shared<WrappingFormatter>();
  formatter->column_width(kHelpDescriptionColumn);
  return formatter;
}

}  // namespace podsim::cli
