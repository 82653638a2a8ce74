// native/core/yara_rules.h — YARA rules on libyara 4 (Debian's libyara-dev): compiling rule
// sources into one shared rule set, and scanning bytes or a file descriptor with a time limit
// that another thread can shorten (cancel, shutdown). Plain C++: no N-API, no threads of its
// own (yara_pool.h runs scans on threads), so it can move unchanged into a separate
// unprivileged scanner process that receives file descriptors.
// Owns: libyara's global initialisation, YR_RULES and the YR_SCANNERs made from them.
// Must not: know about JavaScript, queues or verdict policy.
//
// Why a scan can be stopped from another thread: libyara 4.2 checks a scan's time limit
// itself — every 4096 bytes of its string search (_yr_scanner_scan_mem_block) and every 100
// instructions of rule conditions (yr_execute_code) it compares the scanner's stopwatch with
// YR_SCANNER::timeout (nanoseconds; a public field of YR_SCAN_CONTEXT in <yara/types.h>). It
// offers no other hook that runs during the string search (the callback runs only after it,
// the memory-block iterator only between blocks, and a file must be one block for its strings
// to match across it). ScanControl::Stop() therefore stores 1 ns into the running scanner's
// timeout, so the next check ends the scan with ERROR_SCAN_TIMEOUT. That is safe because:
//   - the field is written only while the scanner is registered in the ScanControl, under its
//     mutex, and Scan() unregisters it (same mutex) before the scanner is reused or destroyed;
//   - the store is one naturally aligned 64-bit atomic store (__atomic_store_n), and libyara's
//     read of it is one aligned 64-bit load: single-copy atomic on x86-64 and aarch64, so it
//     sees the old or the new limit, never a torn value. (Under the C11 model the unsynchronised
//     plain load in libyara is still a data race; we accept that, as it cannot tear here.)
//   - libyara reloads the field at every check: calls into other translation units
//     (yr_scan_verify_match, module functions) sit between checks, so it cannot be cached;
//   - Scan() sets the limit afresh for every scan, so a stopped scanner is reusable.
// Scans run with SCAN_FLAGS_NO_TRYCATCH on memory we own (a Buffer, or bytes read with pread
// into our own vector): libyara's try/catch swaps the process-wide SIGSEGV/SIGBUS handlers
// around every scan, which races between threads and would leave V8's handlers replaced; it is
// only needed for mmap'd files, which we never give it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

struct YR_RULES;
struct YR_SCAN_CONTEXT;

namespace wdav {
namespace yara {

// One source to compile: a .yar file, or the body signatures translated one rule per line.
struct Unit {
  std::string file;       // display name, used in error messages
  std::string source;
  std::string ns;         // YARA namespace ("" = default)
  bool per_line = false;  // a line that does not compile is dropped alone, not the whole unit
};

struct CompileError {
  std::string file;
  int line = 0;  // 0 = unknown
  std::string message;
};

struct Meta {
  std::string id;
  enum Kind { kInt, kString, kBool } kind = kString;
  std::string text;
  int64_t number = 0;
};

struct Match {
  std::string rule;
  std::string ns;
  std::vector<Meta> metas;
};

enum class Status { kOk, kTimeout, kCancelled, kError };

struct Outcome {
  Status status = Status::kOk;
  std::vector<Match> matches;
  std::string error;
  uint64_t elapsed_ns = 0;
};

// libyara's version string ("4.2.3").
const char* Version();

class Rules;
class ScanControl;

// Scans `len` bytes at `data` with at most `limit_ns` nanoseconds of YARA work (at least 1 ms
// is used: libyara reads 0 as "no limit", which we never want). kTimeout when the limit ended
// it, kCancelled when `control` stopped it (before or during the scan). Matches only for kOk.
Outcome Scan(Rules& rules, const uint8_t* data, size_t len, uint64_t limit_ns, ScanControl* control);

// A compiled rule set, shared by every scan on it (YR_RULES is read-only while scanning). Keeps
// one YR_SCANNER per thread that scanned with it (a scanner is not thread-safe; creating one
// per scan would allocate per-rule tables every time).
class Rules {
 public:
  // Compiles `units`. A unit that does not compile alone is left out and reported with its own
  // line number (includes are disabled); a per-line unit loses only its failing lines (at most
  // kMaxLineRetries of them). The units that compiled alone are then compiled together in
  // order; one that fails only in combination (a rule name another unit already used) is left
  // out and reported. Returns null when nothing compiled (`errors` says why), or on a libyara
  // failure such as out of memory (`fatal` set).
  static std::shared_ptr<Rules> Compile(const std::vector<Unit>& units, std::vector<CompileError>* errors, size_t* loaded,
                                        std::string* fatal);
  ~Rules();
  Rules(const Rules&) = delete;
  Rules& operator=(const Rules&) = delete;

  size_t rule_count() const { return rule_count_; }

  static constexpr int kMaxLineRetries = 50;

 private:
  friend Outcome Scan(Rules&, const uint8_t*, size_t, uint64_t, ScanControl*);
  explicit Rules(YR_RULES* r);
  YR_SCAN_CONTEXT* Checkout(std::string* err);
  void Return(YR_SCAN_CONTEXT* s);

  YR_RULES* rules_;
  size_t rule_count_ = 0;
  std::mutex mu_;
  std::vector<YR_SCAN_CONTEXT*> idle_;
};

// Lets another thread stop a scan: before it starts (it then does not run) or while it runs.
class ScanControl {
 public:
  // Thread-safe; idempotent.
  void Stop();
  bool stopped();

 private:
  friend Outcome Scan(Rules&, const uint8_t*, size_t, uint64_t, ScanControl*);
  std::mutex mu_;
  bool stopped_ = false;
  YR_SCAN_CONTEXT* running_ = nullptr;
};

// Reads `fd` from offset 0 with pread (at most max_bytes; its file offset is untouched) into a
// buffer of the caller's thread and scans it like Scan(). kError with the reason when the read
// fails or the file is larger than max_bytes.
Outcome ScanFd(Rules& rules, int fd, size_t max_bytes, uint64_t limit_ns, ScanControl* control, std::vector<uint8_t>* buffer);

}  // namespace yara
}  // namespace wdav
