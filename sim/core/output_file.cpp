#include "sim/core/output_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "sim/core/input_error.hpp"

namespace podsim {

namespace {

std::string errno_text(int error) { return std::strerror(error); }

// The permissions a plain open(O_CREAT, 0666) would give: mkstemp creates files readable by
// their owner only.
mode_t default_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

OutputFile::OutputFile(std::string path, std::string flag)
    : path_(std::move(path)), flag_(std::move(flag)) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    throw InputError(SourceLocation{path_, 0, 0}, flag_, "is a directory; give a file name");
  if (::stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    // A device or a FIFO: no rename can replace it, so write it directly.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd_ < 0) fail("cannot open", errno);
    return;
  }
  // Through a symbolic link, replace the file it names, not the link.
  std::error_code ec;
  const std::filesystem::path target = std::filesystem::is_symlink(path_, ec)
                                           ? std::filesystem::canonical(path_, ec)
                                           : std::filesystem::path(path_);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  std::string pattern = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd_ < 0) fail("cannot create a file in its directory", errno);
  temp_ = pattern;
  target_ = target.string();
  if (::fchmod(fd_, default_file_mode()) != 0) fail("cannot set its permissions", errno);
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
}

void OutputFile::fail(const std::string& what, int error) {
  discard();
  throw InputError(SourceLocation{path_, 0, 0}, flag_,
                   fmt::format("{}: {}", what, errno_text(error)));
}

void OutputFile::write(std::string_view bytes) {
  if (fd_ < 0) fail("is closed", EBADF);
  if (!write_all(fd_, bytes)) fail("cannot write", errno);
}

void OutputFile::commit() {
  if (fd_ < 0) fail("is closed", EBADF);
  if (!temp_.empty() && ::fsync(fd_) != 0) fail("cannot write", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot write", errno);
  if (temp_.empty()) return;
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("cannot replace it", errno);
  temp_.clear();
}

void write_output_file(const std::string& path, std::string_view text, const std::string& flag) {
  OutputFile out(path, flag);
  out.write(text);
  out.commit();
}

void append_checked(int fd, std::string_view line, const std::string& path,
                    const std::string& flag) {
  // The size before the line: a write that fails part-way (a disk filling up, a file size
  // limit) is cut back to it, so that the file keeps whole lines only.
  const off_t before = ::lseek(fd, 0, SEEK_END);
  if (!write_all(fd, line)) {
    const int error = errno;
    if (before >= 0 && ::ftruncate(fd, before) != 0) {
      // The torn line stays; a resumed sweep drops a torn last row when it reads the file back.
    }
    throw InputError(SourceLocation{path, 0, 0}, flag,
                     fmt::format("cannot write: {}", errno_text(error)));
  }
}

namespace {

// std::cout's buffer when checked_stdout() is on: 64 KiB, then write(2) to descriptor 1.
class StdoutBuffer : public std::streambuf {
 public:
  StdoutBuffer() { setp(buffer_, buffer_ + sizeof buffer_); }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    const std::string_view pending(pbase(), static_cast<std::size_t>(pptr() - pbase()));
    setp(buffer_, buffer_ + sizeof buffer_);
    if (error_ == 0 && !write_all(STDOUT_FILENO, pending)) error_ = errno;
    return error_ == 0 ? 0 : -1;
  }

 private:
  char buffer_[1 << 16];
  int error_ = 0;
};

StdoutBuffer* stdout_buffer = nullptr;

}  // namespace

void checked_stdout() {
  if (stdout_buffer != nullptr) return;
  // Never deleted: std::cout is flushed by the runtime after every static object is destroyed.
  stdout_buffer = new StdoutBuffer;
  std::cout.rdbuf(stdout_buffer);
}

void check_stdout() {
  std::cout.flush();
  errno = 0;
  int error = stdout_buffer != nullptr ? stdout_buffer->error() : 0;
  if (error == 0 && (std::fflush(stdout) != 0 || std::ferror(stdout))) error = errno ? errno : EIO;
  if (error != 0) throw InputError("stdout", fmt::format("cannot write: {}", errno_text(error)));
}

}  // namespace podsim
