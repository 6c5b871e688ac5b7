// `podsim calibrate FILE`: fits the chip-model parameters a platform file marks as fitted to the
// measured cases of FILE, prints the fit and the per-case errors, and writes the fitted platform.

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "sim/cli/cli_common.hpp"
#include "sim/cli/commands.hpp"
#include "sim/config/calibration_loader.hpp"
#include "sim/config/platform_loader.hpp"
#include "sim/core/output_file.hpp"
#include "sim/explore/calibration.hpp"

namespace podsim::cli {

namespace {

struct CalibrateArgs {
  std::string file;
  std::string platform = "tpu-v4";
  OutputArgs out;  // -o (the fitted platform file), --format, --json
  bool no_fit = false;
};

const OutputFormats kCalibrateFormats{
    {"text", "json", "yaml"}, "yaml", true, false,
    "the fit (yaml: the platform file with the fitted values)"};

int run_calibrate(const CalibrateArgs& args) {
  const ResolvedOutputs outputs = resolve_outputs(args.out, kCalibrateFormats);
  const std::string platform_file = platform_path(args.platform);
  const Platform platform = config::load_platform(platform_file);
  if (platform.fitted.empty())
    throw InputError(SourceLocation{platform_file, 0, 0}, "fit",
                     "the platform marks no parameter as fitted; add e.g. `fit: [mxu_efficiency]`");
  const config::CalibrationFile file = config::load_calibration(args.file, platform_file, data_dir());
  if (platform.fitted.size() > file.cases.size())
    throw InputError(SourceLocation{platform_file, 0, 0}, "fit",
                     fmt::format("{} parameters marked as fitted but {} has only {} cases: fit at "
                                 "most as many parameters as there are measured cases",
                                 platform.fitted.size(), args.file, file.cases.size()));

  std::string text;
  text += fmt::format("calibrating {} against {} ({} cases, {} free parameters)\n",
                           platform_file, args.file, file.cases.size(), platform.fitted.size());
  CalibrationResult fit;
  if (args.no_fit) {
    // Evaluate the cases with the platform's current (already fitted) values.
    fit = evaluate_calibration(file.cases, platform.chip, platform.fitted);
  } else {
    std::cerr << "fitting: every iteration simulates each case once per parameter and more\n";
    fit = calibrate(file.cases, platform.chip, platform.fitted, simulate_case,
                    [](int iteration, double rms, int evaluations) {
                      std::cerr << fmt::format(
                          "  iteration {}: rms log error {:.4f} after {} evaluations\n",
                          iteration, rms, evaluations);
                    });
  }

  bool plausible = true;
  text += (args.no_fit ? "parameters as in the platform file (not refitted):\n"
                            : "fitted parameters (least squares over log errors, Levenberg-Marquardt):\n");
  for (std::size_t k = 0; k < fit.names.size(); ++k) {
    const bool overhead = fit.names[k].ends_with("_s");
    const bool ok = overhead ? fit.values[k] < 1e-3 : fit.values[k] > 0 && fit.values[k] <= 1;
    plausible = plausible && ok;
    text += fmt::format("  {:<24} {:>12.6g}   (was {:.6g}){}\n", fit.names[k], fit.values[k],
                             get_parameter(platform.chip, fit.names[k]),
                             ok ? "" : "   IMPLAUSIBLE");
  }
  text += fmt::format("  plausibility: {}\n",
                           plausible ? "efficiencies in (0, 1] and overheads below a millisecond"
                                     : "some fitted values are physically implausible");
  text += "cases (all fitted):\n";
  nlohmann::json cases = nlohmann::json::array();
  for (std::size_t i = 0; i < file.cases.size(); ++i) {
    const CalibrationCase& c = file.cases[i];
    const double error = fit.simulated_s[i] / c.measured_s - 1;
    text += fmt::format("  {:<30} measured {:>10.4g} s   podsim {:>10.4g} s   error {:+6.1f}%\n",
                             c.id, c.measured_s, fit.simulated_s[i], 100 * error);
    cases.push_back({{"id", c.id}, {"measured_s", c.measured_s}, {"simulated_s", fit.simulated_s[i]},
                     {"error", error}});
  }
  text += fmt::format("rms log error {:.4f} after {} evaluations\n", fit.rms_log_error,
                           fit.evaluations);
  emit_outputs(outputs, [&](const std::string& format) {
    if (format == "yaml") {
      std::ifstream in(platform_file);
      std::stringstream original;
      original << in.rdbuf();
      return fitted_platform_text(original.str(), fit, file.source);
    }
    if (format == "json") {
      nlohmann::json doc;
      doc["format_version"] = kJsonFormatVersion;
      doc["platform"] = platform_file;
      doc["calibration"] = args.file;
      doc["source"] = file.source;
      doc["cases"] = cases;
      doc["rms_log_error"] = fit.rms_log_error;
      doc["plausible"] = plausible;
      for (std::size_t k = 0; k < fit.names.size(); ++k)
        doc["fitted"][fit.names[k]] = fit.values[k];
      return doc.dump(2) + "\n";
    }
    return text;
  });
  for (const Destination& d : outputs.files)
    if (d.format == "yaml" && d.path != "-")
      std::cerr << fmt::format("wrote {} (the platform with the fitted values)\n", d.path);
  return 0;
}

}  // namespace

Command add_calibrate_command(CLI::App& app) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* sub = app.add_subcommand(
      "calibrate", "Fit the platform's fitted chip-model parameters to measured cases");
  sub->add_option("file", args->file, "Calibration file (e.g. scenarios/calibration/paper-table2.yaml)")
      ->required()
      ->type_name("FILE");
  sub->add_option("--platform", args->platform, "Platform name in platforms/ or a YAML file")
      ->capture_default_str()
      ->type_name("NAME|FILE");
  add_output_options(sub, args->out, kCalibrateFormats);
  sub->add_flag("--no-fit", args->no_fit,
                "Only evaluate the cases with the platform's current values (no fitting)");
  set_examples(sub, {"podsim calibrate scenarios/calibration/paper-table2.yaml -o fitted.yaml"});
  return [args]() { return run_calibrate(*args); };
}

}  // namespace podsim::cli
