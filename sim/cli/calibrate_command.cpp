// `podsim calibrate FILE...`: fits the chip-model parameters a platform file marks as fitted to
// the measured cases of the files, each kind to its own data: `fit_network:` to the network
// measurements (`kind: network` files), then `fit:` to the end-to-end latencies with the network
// values fixed. Prints each parameter with its documented range and standard error, every case
// with its error and its leave-one-out prediction, and writes the fitted platform.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
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
  std::vector<std::string> files;
  std::string platform = "tpu-v4";
  std::string output;
  std::string json;
  bool no_fit = false;
  bool no_loo = false;
  bool loo = false;
  int parallel = 2;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::string format_value(double v) { return fmt::format("{:.4g}", v); }

nlohmann::json print_parameters(const CalibrationResult& fit, bool fitted) {
  nlohmann::json out = nlohmann::json::object();
  for (const ParameterFit& p : fit.parameters) {
    const bool inside = p.value >= p.min && p.value <= p.max;
    const std::string error =
        std::isnan(p.standard_error) ? "undetermined" : "+- " + format_value(p.standard_error);
    std::cout << fmt::format("  {:<24} {:>11} {:<18} range {}-{}{}{}\n", p.name,
                             format_value(p.value), error, format_value(p.min),
                             format_value(p.max), fitted ? fmt::format("   (was {})", format_value(p.initial)) : "",
                             !inside ? "   OUTSIDE ITS RANGE" : (p.at_bound() ? "   AT A BOUND" : ""));
    out[p.name] = {{"value", p.value},
                   {"standard_error", std::isnan(p.standard_error) ? nlohmann::json(nullptr)
                                                                   : nlohmann::json(p.standard_error)},
                   {"min", p.min},
                   {"max", p.max},
                   {"range_source", p.range_source},
                   {"at_bound", p.at_bound()}};
  }
  return out;
}

int run_calibrate(const CalibrateArgs& args) {
  const std::string platform_file = platform_path(args.platform);
  const Platform platform = config::load_platform(platform_file);
  std::vector<CalibrationCase> cases;
  std::vector<NetworkCase> network_cases;
  std::vector<std::string> sources, network_sources;
  for (const std::string& path : args.files) {
    config::CalibrationFile file = config::load_calibration(path, platform_file, data_dir());
    (file.network ? network_sources : sources).push_back(file.source);
    for (CalibrationCase& c : file.cases) cases.push_back(std::move(c));
    for (NetworkCase& c : file.network_cases) network_cases.push_back(std::move(c));
  }
  if (platform.fitted.empty() && platform.fitted_network.empty())
    throw InputError(SourceLocation{platform_file, 0, 0}, "fit",
                     "the platform marks no parameter as fitted; add e.g. `fit: [mxu_efficiency]`");
  if (!cases.empty() && platform.fitted.size() > cases.size())
    throw InputError(SourceLocation{platform_file, 0, 0}, "fit",
                     fmt::format("{} parameters marked as fitted but the files have only {} "
                                 "end-to-end cases: fit at most as many parameters as there are "
                                 "measured cases",
                                 platform.fitted.size(), cases.size()));
  if (platform.fitted.size() > kMaxEndToEndParameters)
    throw InputError(SourceLocation{platform_file, 0, 0}, "fit",
                     fmt::format("{} end-to-end parameters marked as fitted: fit at most {}",
                                 platform.fitted.size(), kMaxEndToEndParameters));

  CalibrationOptions options;
  options.fit = !args.no_fit;
  options.parallel = args.parallel;
  options.progress = [](const std::string& what, int iteration, double rms, int evaluations) {
    std::cerr << fmt::format("  {}: iteration {}: rms log error {:.4f} after {} evaluations\n", what,
                             iteration, rms, evaluations);
  };
  nlohmann::json doc;
  doc["platform"] = platform_file;
  doc["files"] = args.files;
  ChipSpec chip = platform.chip;
  CalibrationResult network_fit, e2e_fit;
  const bool do_network = !network_cases.empty() && !platform.fitted_network.empty();
  if (do_network) {
    std::cout << fmt::format("network sub-model: {} parameters {} {} measured collectives "
                             "(closed forms; priors from other TPU generations)\n",
                             platform.fitted_network.size(), args.no_fit ? "evaluated on" : "fitted to",
                             network_cases.size());
    CalibrationOptions network = options;
    network.leave_one_out = args.loo || (!args.no_fit && !args.no_loo);
    network_fit = calibrate_network(network_cases, chip, platform.fitted_network, network);
    for (const ParameterFit& p : network_fit.parameters) set_parameter(chip, p.name, p.value);
    doc["network"]["parameters"] = print_parameters(network_fit, options.fit);
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t i = 0; i < network_cases.size(); ++i) {
      const NetworkCase& c = network_cases[i];
      const double error = network_fit.simulated_s[i] / c.measured_s - 1;
      const double loo = network_fit.loo_predicted_s.empty()
                             ? std::nan("")
                             : network_fit.loo_predicted_s[i] / c.measured_s - 1;
      std::cout << fmt::format("  {:<36} measured {:>9.4g} s   podsim {:>9.4g} s   error {:+6.1f}%{}\n",
                               c.id, c.measured_s, network_fit.simulated_s[i], 100 * error,
                               std::isnan(loo) ? "" : fmt::format("   leave-one-out {:+6.1f}%", 100 * loo));
      rows.push_back({{"id", c.id}, {"source", c.source}, {"measured_s", c.measured_s},
                      {"simulated_s", network_fit.simulated_s[i]}, {"error", error},
                      {"loo_error", loo}});
    }
    doc["network"]["cases"] = rows;
    doc["network"]["rms_log_error"] = network_fit.rms_log_error;
  }
  if (!cases.empty() && !platform.fitted.empty()) {
    std::cout << fmt::format(
        "end to end: {} parameters {} {} cases ({}), each simulated in a child process, {} at a "
        "time\n",
        platform.fitted.size(), args.no_fit ? "evaluated on" : "fitted to", cases.size(),
        fmt::join(sources, "; "), args.parallel);
    options.leave_one_out = args.loo || (!args.no_fit && !args.no_loo);
    e2e_fit = calibrate(cases, chip, platform.fitted, options);
    for (const ParameterFit& p : e2e_fit.parameters) set_parameter(chip, p.name, p.value);
    doc["end_to_end"]["parameters"] = print_parameters(e2e_fit, options.fit);
    nlohmann::json rows = nlohmann::json::array();
    std::vector<double> loo_errors;
    std::cout << "cases (error: with the parameters above; leave-one-out: predicted by a refit "
                 "without the case):\n";
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const CalibrationCase& c = cases[i];
      const double error = e2e_fit.simulated_s[i] / c.measured_s - 1;
      nlohmann::json row = {{"id", c.id},
                            {"source", c.source},
                            {"chips", c.scenario.chips()},
                            {"topology", c.scenario.shape.name()},
                            {"model", c.scenario.model.name},
                            {"measured_s", c.measured_s},
                            {"simulated_s", e2e_fit.simulated_s[i]},
                            {"error", error}};
      std::string loo_text;
      if (!e2e_fit.loo_predicted_s.empty()) {
        const double loo = e2e_fit.loo_predicted_s[i] / c.measured_s - 1;
        loo_errors.push_back(std::abs(loo));
        row["loo_predicted_s"] = e2e_fit.loo_predicted_s[i];
        row["loo_error"] = loo;
        loo_text = fmt::format("   leave-one-out {:>9.4g} s ({:+6.1f}%)", e2e_fit.loo_predicted_s[i],
                               100 * loo);
      }
      std::cout << fmt::format("  {:<28} measured {:>9.4g} s   podsim {:>9.4g} s   error {:+6.1f}%{}\n",
                               c.id, c.measured_s, e2e_fit.simulated_s[i], 100 * error, loo_text);
      rows.push_back(row);
    }
    doc["end_to_end"]["cases"] = rows;
    doc["end_to_end"]["rms_log_error"] = e2e_fit.rms_log_error;
    if (!loo_errors.empty()) {
      const double worst = *std::max_element(loo_errors.begin(), loo_errors.end());
      std::cout << fmt::format("leave-one-out over {} cases: median |error| {:.1f}%, worst {:.1f}%\n",
                               loo_errors.size(), 100 * median(loo_errors), 100 * worst);
      doc["end_to_end"]["loo_median_abs_error"] = median(loo_errors);
      doc["end_to_end"]["loo_worst_abs_error"] = worst;
    }
    std::cout << fmt::format("rms log error {:.4f}; {} case simulations ({} more answered by the "
                             "cache)\n",
                             e2e_fit.rms_log_error, e2e_fit.evaluations, e2e_fit.cache_hits);
  }
  if (!args.output.empty()) {
    std::ifstream in(platform_file);
    std::stringstream original;
    original << in.rdbuf();
    std::string text = original.str();
    if (do_network)
      text = fitted_platform_text(text, network_fit,
                                  fmt::format("{}", fmt::join(network_sources, "; ")));
    if (!e2e_fit.parameters.empty())
      text = fitted_platform_text(text, e2e_fit, fmt::format("{}", fmt::join(sources, "; ")));
    write_output_file(args.output, text, "-o");
    std::cout << "wrote " << args.output << "\n";
  }
  if (!args.json.empty()) write_json(doc, args.json);
  return 0;
}

}  // namespace

Command add_calibrate_command(CLI::App& app) {
  auto args = std::make_shared<CalibrateArgs>();
  CLI::App* sub = app.add_subcommand(
      "calibrate", "Fit the platform's fitted chip-model parameters to measured cases");
  sub->add_option("files", args->files,
                  "Calibration files (e.g. scenarios/calibration/network-ici.yaml "
                  "scenarios/calibration/paper-table2.yaml scenarios/calibration/paper-table3.yaml)")
      ->required()
      ->type_name("FILE...");
  sub->add_option("--platform", args->platform, "Platform name in platforms/ or a YAML file")
      ->type_name("NAME|FILE")
      ->capture_default_str();
  sub->add_option("-o,--output", args->output, "Write the fitted platform file here")
      ->type_name("FILE");
  sub->add_option("--json", args->json, "Write the fit as JSON to FILE (- for stdout)")
      ->type_name("FILE");
  sub->add_flag("--no-fit", args->no_fit,
                "Only evaluate the cases with the platform's current values (no fitting, no "
                "leave-one-out unless --loo)");
  sub->add_flag("--no-loo", args->no_loo, "Skip the leave-one-out refits");
  sub->add_flag("--loo", args->loo,
                "Run the leave-one-out refits even with --no-fit (they start at the platform's "
                "values)");
  set_examples(sub, {"podsim calibrate scenarios/calibration/network-ici.yaml "
                     "scenarios/calibration/paper-table2.yaml scenarios/calibration/paper-table3.yaml "
                     "-o fitted.yaml"});
  // -j N: N simulation processes at once, as on every command that simulates (--parallel, its
  // older name, stays).
  sub->add_option("-j,--jobs,--parallel", args->parallel,
                  "Simulation processes at once: the end-to-end cases simulated side by side")
      ->type_name("N")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  return [args]() { return run_calibrate(*args); };
}

}  // namespace podsim::cli
