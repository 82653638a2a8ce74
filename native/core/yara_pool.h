// native/core/yara_pool.h — the threads YARA scans run on: a few threads of their own (not
// libuv's threadpool, whose threads serve file reads and Vectorscan), one bounded queue, two
// classes of work, and cancellation by job id.
//   - Real-time jobs (open/exec verdicts and after-write scans) are taken first and may use every
//     thread; on-demand jobs (mdatp scan, archive members) may use at most half of them, so a
//     scan of many slow files leaves threads for real-time protection.
//   - Every job has a time limit: `limit_ns` of YARA work from its start, and optionally an
//     absolute `deadline` (a real-time event's: time spent waiting in the queue counts). A job
//     whose deadline passed before a thread took it is not scanned (kTimeout). A slow file
//     therefore holds one thread for at most its limit.
//   - Cancel(owner, id) stops a queued job before it runs and a running one within libyara's next
//     time check (yara_rules.h); StopAll(owner) does it for every job of an owner (shutdown).
// Completion is reported through the job's `done` callback, on the pool thread that ran it (or
// on the caller's thread for a job stopped while queued); the callback must not block.
// Owns: the threads, the queue and its measurements. Must not: know about N-API or verdicts.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/yara_rules.h"

namespace wdav {
namespace yara {

// The pool threads' name (at most 15 characters: the kernel's limit).
constexpr const char* kPoolThreadName = "wdav-yara";

struct Job {
  uint64_t id = 0;
  const void* owner = nullptr;  // who may stop it in bulk (StopAll)
  bool real_time = false;
  std::shared_ptr<Rules> rules;
  // What to scan: `data`/`len` (memory the caller keeps alive until `done`), or `fd` >= 0
  // (read with pread, at most max_bytes).
  const uint8_t* data = nullptr;
  size_t len = 0;
  int fd = -1;
  size_t max_bytes = 0;
  uint64_t limit_ns = 0;
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;
  std::function<void(Job*)> done;

  // Filled by the pool.
  Outcome outcome;
  std::chrono::steady_clock::time_point queued_at;
  std::chrono::steady_clock::time_point started_at;
  ScanControl control;
};

struct RunningJob {
  uint64_t id;
  bool real_time;
  uint64_t ms;  // since it started
};

struct PoolStats {
  size_t threads = 0;           // threads started (created when first needed)
  size_t max_threads = 0;
  size_t on_demand_max = 0;     // threads on-demand jobs may use at once
  size_t capacity = 0;          // queued jobs at most
  size_t depth = 0;             // queued now
  size_t max_depth = 0;
  uint64_t full = 0;            // submissions refused: queue full
  uint64_t oldest_queued_ms = 0;
  size_t running = 0;
  uint64_t completed = 0;
  uint64_t timeouts = 0;
  uint64_t cancelled = 0;
  uint64_t expired = 0;         // deadline passed while queued (counted in timeouts too)
  std::vector<RunningJob> running_jobs;
};

class Pool {
 public:
  Pool(size_t threads, size_t capacity);
  // Threads are joined only by Shutdown(); the process-wide pool is never destroyed (scans
  // must not keep a process from exiting).
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Takes the job (and calls its `done` exactly once) unless it returns false: queue full or
  // the pool shut down — the caller keeps the job then.
  bool Submit(std::unique_ptr<Job> job, bool* full);
  // Stops job `id` of `owner` (queued or running). False when no such job is queued or running.
  bool Cancel(const void* owner, uint64_t id);
  // Stops every queued and running job of `owner` (nullptr: of everyone). Returns how many.
  size_t StopAll(const void* owner);
  // Stops everything, refuses new work and joins the threads.
  void Shutdown();
  PoolStats Stats();

 private:
  void Loop();
  std::unique_ptr<Job> Next(std::unique_lock<std::mutex>& l);
  void Run(Job* job);
  void Finish(std::unique_ptr<Job> job);

  const size_t max_threads_;
  const size_t on_demand_max_;
  const size_t capacity_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Job>> real_time_;
  std::deque<std::unique_ptr<Job>> on_demand_;
  std::vector<Job*> running_;
  size_t running_on_demand_ = 0;
  size_t idle_threads_ = 0;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
  size_t max_depth_ = 0;
  uint64_t full_ = 0, completed_ = 0, timeouts_ = 0, cancelled_ = 0, expired_ = 0;
};

}  // namespace yara
}  // namespace wdav
