#pragma once
// InputError: the one exception type for bad user input (files, flags). Its message is a single
// line `file:line:col: key: problem`; the CLI prints it and exits with code 2. Anything that is
// not the user's fault is a broken invariant: see check.hpp.

#include <stdexcept>
#include <string>

namespace podsim {

// Where in the user's input a value came from. `file` may be "<command line>" for flags, in
// which case line and column are 0 and are left out of the message.
struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown
};

class InputError : public std::runtime_error {
 public:
  // `key` names the offending key or flag (e.g. "chip.hbm_bytes", "--shape"); `problem` says what
  // is wrong and, where possible, what would be right.
  InputError(const SourceLocation& where, const std::string& key, const std::string& problem);
  // For input that has no file position (e.g. a command-line flag).
  InputError(const std::string& key, const std::string& problem);

  const SourceLocation& where() const { return where_; }
  const std::string& key() const { return key_; }
  const std::string& problem() const { return problem_; }

 private:
  SourceLocation where_;
  std::string key_;
  std::string problem_;
};

// Formats `file:line:col: ` (or `file: ` when the position is unknown; empty when no file).
std::string format_location(const SourceLocation& where);

}  // namespace podsim
