#pragma once
// Output files that are either complete or absent, in the manner of git's lock files and rsync's
// temporary files: the bytes go to a temporary file in the same directory, which is renamed over
// the target only once every write, the flush and the close succeeded. A full disk, a read-only
// directory or a lost write is an InputError naming the path, the flag and errno's text, never an
// exit 0 with a torn or 0-byte file (issue 14). Targets that are not regular files (/dev/full,
// /dev/stdout, a FIFO) cannot be renamed onto: they are written directly, every write checked.

#include <string>
#include <string_view>

namespace podsim {

class OutputFile {
 public:
  // Opens the temporary file beside `path` (or `path` itself when it exists and is not a regular
  // file). `flag` names the option in messages ("--json"). Throws InputError when it cannot.
  OutputFile(std::string path, std::string flag);
  // Without commit(), removes the temporary file: the target is left as it was.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends `bytes`. Throws InputError with errno's text when the write fails.
  void write(std::string_view bytes);
  // Syncs and closes the file and renames it onto the target. Throws InputError when any of it
  // fails (the temporary file is then removed).
  void commit();

  const std::string& path() const { return path_; }

 private:
  [[noreturn]] void fail(const std::string& what, int error);
  void discard();

  std::string path_;   // the target
  std::string flag_;   // for messages
  std::string temp_;   // the temporary file; empty when writing the target directly
  std::string target_;  // what temp_ is renamed onto (path_, or the file a link names)
  int fd_ = -1;
};

// Writes `text` to `path` through an OutputFile (complete or absent).
void write_output_file(const std::string& path, std::string_view text, const std::string& flag);

// Appends `line` to the open file descriptor `fd` of `path`, every byte or an InputError naming
// `path`, `flag` and errno's text: for files that grow while a run goes on (a sweep's CSV). A
// write that fails part-way is cut back (ftruncate), so that the file ends with a whole line.
void append_checked(int fd, std::string_view line, const std::string& path, const std::string& flag);

// Sends std::cout through write(2), remembering the errno of the first write that fails, so that
// check_stdout can say why. stdio's buffer loses it: a failed flush of stdout leaves only the
// error flag. Called once by main() before anything is printed.
void checked_stdout();
// Flushes std::cout and throws InputError ("stdout: cannot write: No space left on device") when
// any write to it failed (e.g. `podsim run > /dev/full`): the CLI calls it before exiting.
void check_stdout();

}  // namespace podsim
