#pragma once
// The process environment podsim runs in, in one place (in the spirit of leveldb's Env): forked
// children and spawned processes, stop signals, temporary directories, the path of the running
// executable, the number of cores and the memory available. Every fork, posix_spawn, waitpid,
// kill, sigaction, mkdtemp and read of /proc in sim/ is in env.cpp, so that the rest of the
// simulator is plain C++ and a port to another system touches this file only.
//
// Why processes at all: SimGrid keeps global state, so one process runs one simulation
// (sim/README.md §7). A program that simulates several times runs each simulation in a forked child
// (run_in_child) or in a spawned `podsim run` (spawn_process).

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace podsim {

// Forked children that return numbers.

// Forks; the child runs `work` and sends its result back through a pipe, then exits. Returns what
// `work` returned. Throws std::runtime_error when the child dies or exits without a result (its
// stderr is inherited, so its own message is already printed). Requires that the caller has not
// started a SimGrid Engine (the child would inherit it). Flushes stdout and stderr before forking
// so that buffered output is not printed twice.
std::vector<double> run_in_child(const std::function<std::vector<double>()>& work);

// Runs each of `works` in a forked child, at most `parallel` at a time (at least one), and returns
// their results in the order of `works`. Throws and requires like run_in_child.
std::vector<std::vector<double>> run_in_children(
    const std::vector<std::function<std::vector<double>()>>& works, int parallel);

// Spawned processes.

// A spawned process, as returned by spawn_process. The caller owns it: it must wait for it
// (poll_process until it returns a status, or wait_process) so that it does not stay a zombie.
using ProcessId = int;

// How a process ended: exited with `code`, or killed by `signal`.
struct ExitStatus {
  int code = -1;   // the exit code when it exited, else -1
  int signal = 0;  // the signal that killed it, else 0
  bool exited() const { return signal == 0; }
};

// Starts `argv[0]` (an absolute path) with the arguments `argv` and this process's environment;
// its stdin and stdout are /dev/null and its stderr goes to the file `stderr_path` (created or
// truncated). The process leads a process group of its own, so that terminate_process_group also
// stops the processes it forks, and a Ctrl-C on the terminal reaches only this process, which
// then decides what to stop. Throws std::runtime_error when it cannot be started.
ProcessId spawn_process(const std::vector<std::string>& argv, const std::string& stderr_path);

// Returns how `process` ended if it has, without blocking; std::nullopt while it runs. Once a
// status is returned the process is gone: do not poll or wait for it again.
std::optional<ExitStatus> poll_process(ProcessId process);

// Blocks until `process` ends and returns how it ended.
ExitStatus wait_process(ProcessId process);

// Sends SIGTERM to the process group led by `process` (spawn_process made it a leader). The
// caller still waits for it.
void terminate_process_group(ProcessId process);

// The system's description of a signal number ("Killed" for 9).
std::string signal_description(int signal);

// While one is alive, SIGINT and SIGTERM do not end this process but set a flag that requested()
// reads, so that a long run can stop its children and report what it has; the destructor
// restores the previous handlers. At most one at a time (the flag is process-wide); constructing
// one clears the flag.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // True once SIGINT or SIGTERM arrived after construction.
  bool requested() const;
};

// A fresh, private directory `<system temp dir>/<prefix>XXXXXX` (mkdtemp), removed with all its
// content when this object is destroyed. A forked watchdog removes it too when this process dies
// without unwinding (SIGKILL, abort): it waits on a pipe that only this process writes to, and
// the pipe's end tells it that this process is gone. Throws std::runtime_error when it cannot be
// created.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // The path of `name` inside the directory (the file is not created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
  int watchdog_pipe_ = -1;    // the write end; closing it releases the watchdog
  ProcessId watchdog_ = -1;
};

// An exclusive advisory lock (flock) on the file `path`, created if needed and removed when the
// lock is released, so that two processes cannot write one output at once (two sweeps on one CSV
// would each keep only their own rows). Nothing blocks: acquired() is false when another process
// holds the lock, and holder() then says which (its pid, written in the file).
class FileLock {
 public:
  explicit FileLock(std::string path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  bool acquired() const { return fd_ >= 0; }
  // The pid written by the process holding the lock ("" when unknown), when not acquired.
  const std::string& holder() const { return holder_; }
  // errno of the failure to create or open the lock file (0 when it was opened).
  int error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string holder_;
  int fd_ = -1;
  int error_ = 0;
};

// Makes this process end with SIGTERM when the process that spawned it with spawn_process dies,
// even by SIGKILL (PR_SET_PDEATHSIG), so that no simulation outlives its sweep. spawn_process
// passes its pid in $PODSIM_PARENT_PID; without it this does nothing. Called first by main().
void die_with_parent();

// The machine.

// The absolute path of the running executable (/proc/self/exe). Throws std::runtime_error when it
// cannot be read.
std::string self_executable();

// The number of cores (std::thread::hardware_concurrency), at least 1: the default number of
// simulation processes at once.
int default_jobs();

// Bytes of memory available to a new simulation: $PODSIM_MEMORY_AVAILABLE when set (bytes, or a
// size such as 512MiB, parsed by parse_bytes; tests use it to exercise refusals), else
// MemAvailable of /proc/meminfo, and no more than an address-space limit (`ulimit -v`,
// RLIMIT_AS) leaves: the limit minus the address space mapped but not resident now (libraries,
// reserved regions), because the estimates compared with this count resident bytes, the
// process's own included. std::nullopt when nothing is readable. Throws InputError when the
// variable is set but is not a size.
std::optional<double> available_memory_bytes();

// The address-space limit (`ulimit -v`, RLIMIT_AS) in bytes; std::nullopt when there is none, or
// when $PODSIM_MEMORY_AVAILABLE is set (it then stands for every limit, so that tests can get
// past the estimates).
std::optional<double> address_space_limit_bytes();
// Address space mapped now but not resident (VmSize - VmRSS of /proc/self/status): libraries and
// reserved regions, which count against that limit besides resident bytes. 0 when unreadable.
double mapped_not_resident_bytes();

// Running out of memory (issue 14: `ulimit -v 80000` ended in SimGrid CRITICAL lines and
// "internal error"). main() calls install_out_of_memory_handler() first: from the first failed
// allocation on, an exception that escapes (a bad_alloc thrown inside a SimGrid actor, which
// SimGrid would log and abort on) ends the process with out_of_memory_message() and exit code 2;
// main() catches std::bad_alloc and prints the same line. In a forked child (run_in_child) the
// child exits silently with kOutOfMemoryExit and the parent throws std::bad_alloc, so that the
// line is printed once, by the parent, after its normal clean-up.
void install_out_of_memory_handler();
// "memory: podsim ran out of memory ...\n": one line, formatted at install time (printing it
// allocates nothing). Names the address-space limit when one is set.
const char* out_of_memory_message();
// Ends the process as an allocation failure does: in a forked child of run_in_child, silently
// with kOutOfMemoryExit; else out_of_memory_message() and exit code 2. Allocates nothing, so
// that an allocator hook of a library (SimGrid's xbt_malloc, replay/) can call it.
[[noreturn]] void exit_out_of_memory();
// Before main() (the executable's .preinit_array, ahead of every library's initialisers) an
// uncaught std::bad_alloc already ends in that line: under `ulimit -v 50000` the initialisers of
// ns-3, which Debian's SimGrid links, run out of memory before podsim's code runs.
inline constexpr int kOutOfMemoryExit = 4;
// How out_of_memory_message() starts, whatever the limit (a sweep tells it from bad input).
inline constexpr std::string_view kOutOfMemoryPrefix = "memory: podsim ran out of memory";

}  // namespace podsim
