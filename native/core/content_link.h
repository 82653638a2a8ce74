// native/core/content_link.h — the broker's native client of the scanner's content pass
// (native/scanner/content.h): native threads (real-time verdicts, on-demand lanes) hand it
// files as fds and get back their scanbatch records, without JavaScript in between. One Link
// per scanner (src/scanner/process.ts): attached to its two content sockets (real time, on
// demand) when a scanner process is ready, detached when it goes. Replies are matched to the
// waiting callers by id; the receiving is done by a waiting caller, not a thread of its own.
// Detaching (or a reply that breaks the protocol) shuts the socket down, and the scanner ends
// when its content socket closes: a process that answers nonsense does not stay.
// Scan() runs scanbatch::ScanFiles's contract with the reading and matching done in the
// scanner: the plan must have been loaded there (RemotePlan), and the caller's fds stay the
// caller's (the scanner gets copies). Without a remote plan it scans in this process.
// Owns: the content sockets and the requests in flight.
// Must not: decide verdicts, or call into N-API.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/archclean.h"
#include "core/scanbatch.h"

namespace wdav {
namespace contentlink {

using Clock = std::chrono::steady_clock;

struct Request {
  uint32_t plan = 0;
  uint32_t flags = 0;  // protocol.h kScan* flags
  uint64_t max_file_size = 0;
  archclean::Limits limits;  // sent with kScanProveArchives
  uint32_t deadline_ms = 0;  // the scanner drops the batch when no thread took it by then
  uint32_t yara_limit_ms = 0;  // YARA's time limit per file (0: the plan's)
};

struct Stats {
  uint64_t batches = 0;    // requests answered with records
  uint64_t files = 0;
  uint64_t failures = 0;   // requests that got no records (scanner gone, busy, late)
  uint64_t attaches = 0;
  uint64_t in_flight = 0;  // requests sent and not answered yet (filled by stats())
};

class Link {
 public:
  Link() = default;
  ~Link();
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  // Takes the broker's ends of a scanner's content sockets (its fds 4 and 5: real-time and
  // on-demand requests); the previous ones are detached.
  void Attach(int real_time_fd, int on_demand_fd);
  // Fails what is in flight (EPIPE) and shuts the sockets down. Idempotent.
  void Detach();
  // Detach() for good: no scanner will come back (the daemon stops); nobody waits for one.
  void Close();
  // Which scanner is attached: changes with every Attach().
  uint64_t generation();
  // Waits until a scanner newer than `generation` is attached, at most until `until`.
  bool WaitNewer(uint64_t generation, Clock::time_point until);

  // Scans fds[0..n) (1..protocol kMaxScanFds) in the scanner; `records` (n × kRecordSize) are
  // written when it returns 0. Otherwise an errno: ENOTCONN (no scanner attached), EPIPE (it
  // went away), ETIMEDOUT (no reply by `until`), EBUSY (its queue is full), ENOENT (it holds no
  // such plan), EIO (it refused the request), EPROTO (the reply does not fit the request).
  // Once `*cancel` (may be null) is non-zero, the scanner is asked to stop the batch: the files
  // it has not read come back kCancelled.
  int Scan(const Request& r, const int32_t* fds, size_t n, uint8_t* records, Clock::time_point until, const std::string* names = nullptr,
           const int32_t* cancel = nullptr);
  // The files (named by the callers) that were in flight when a scanner went away, oldest
  // first, at most 10; cleared by the call. Complete once Detach() returned.
  std::vector<std::string> TakeLostFiles();

  struct Conn;

  Stats stats();

 private:
  std::mutex mu_;
  std::condition_variable attached_cv_;
  std::shared_ptr<Conn> conn_[2];  // real time, on demand
  Stats stats_;
  std::vector<std::string> lost_;
  bool closed_ = false;
};

// A plan the scanner process holds: set on the plan by the broker once kLoadPlan succeeded.
struct RemotePlan {
  std::shared_ptr<Link> link;
  uint32_t id = 0;
};

// How a scan is taken to the scanner.
struct Mode {
  bool real_time = false;
  Clock::time_point until = Clock::time_point::max();  // no reply by then: the files fail
  // A scanner that is away (restarting) is waited for this long before the files fail.
  std::chrono::milliseconds reattach_wait{0};
  const std::string* names = nullptr;  // n names of the files, for the crash report (optional)
};

// scanbatch::ScanFiles(plan, fds, n, o, cancel, records) — in the scanner when the plan has a
// RemotePlan (its records say kScanError with detail kDetailScannerUnavailable when it cannot
// be reached), else here. Returns whether the scanner did it.
bool ScanFiles(const scanbatch::Plan& plan, const int32_t* fds, size_t n, const scanbatch::Options& o, const int32_t* cancel,
               uint8_t* records, const Mode& mode);

constexpr int32_t kDetailScannerUnavailable = 2;  // kOffDetail of a kScanError record: gone, busy
constexpr int32_t kDetailScannerLate = 3;         // ...: no answer in time

}  // namespace contentlink
}  // namespace wdav
