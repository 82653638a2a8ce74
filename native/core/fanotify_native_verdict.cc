// native/core/fanotify_native_verdict.cc — native verdicts of a fanotify Group (issue #12):
// permission events the current plan can decide are read and scanned on the group's own
// threads (scanbatch::ScanFiles: hashes for the sizes that have signatures, Vectorscan over the
// body signatures, the head) and allowed there when clean, without a round trip through
// JavaScript. Only "clean → allow" is decided here; a possible detection, an EICAR-sized file, a
// read error or an oversized file goes to JS with its entry, which decides as it always did.
// Ownership (fanotify_group.h): the job's entry is registered in the pending table before the
// job is queued, so the deadline sweeper and Close() can answer it; whoever take()s the entry
// answers it. The job's own dup of the event fd is closed here or passed on to JS.
// close_write notifications of such files are checked the same way: clean → ignore mark.
// Must not: decide a detection, write a DENY, or call into JS other than through the Sink.
#include <pthread.h>
#include <unistd.h>

#include <cstring>
#include <shared_mutex>
#include <utility>

#include "core/content_link.h"
#include "fanotify_file.h"
#include "fanotify_group.h"

namespace wdav {
namespace fan {

namespace {

namespace sb = scanbatch;

template <typename T>
T At(const uint8_t* rec, size_t off) {
  T v;
  std::memcpy(&v, rec + off, sizeof v);
  return v;
}

// Whether the record proves the file clean for the plan it was scanned with.
bool ProvenClean(const uint8_t* rec) {
  if (At<int32_t>(rec, sb::kOffStatus) != sb::kScanned) return false;  // errors, too large: JS decides
  if (At<int32_t>(rec, sb::kOffBody) >= 0) return false;               // a body signature matched
  const uint32_t flags = At<uint32_t>(rec, sb::kOffFlags);
  if (flags & sb::kHasHead) return false;  // small enough to be EICAR: the built-in check is in JS
  const bool digests = flags & (sb::kHasMd5 | sb::kHasSha1 | sb::kHasSha256);
  if (digests && (!(flags & sb::kTablesChecked) || (flags & sb::kHashHit))) return false;
  return true;
}

// Reads and matches the job's file through its fd (the reader's dup, left open: it is closed
// after the answer or handed to JS) and says whether its plan proves it clean.
bool ScannedClean(const FastJob& j) {
  alignas(8) uint8_t rec[sb::kRecordSize];
  std::memset(rec, 0, sizeof rec);
  sb::Options o;
  o.max_file_size = j.max_size;
  o.keep_open = true;
  // In the scanner process when the plan is loaded there; no answer by the event's deadline
  // (or no scanner) leaves the file to JavaScript, which the deadline rule still bounds.
  contentlink::Mode mode;
  mode.real_time = true;
  mode.until = j.deadline;
  mode.names = &j.path;
  contentlink::ScanFiles(*j.plan, &j.fd, 1, o, nullptr, rec, mode);
  return ProvenClean(rec);
}

}  // namespace

void Group::SetNativeVerdicts(std::shared_ptr<const scanbatch::Plan> plan, int64_t max_size, uint32_t threads, uint32_t capacity) {
  std::lock_guard<std::mutex> lk(fast_mu_);
  if (fast_stop_) return;
  fast_plan_ = std::move(plan);
  fast_max_ = max_size;
  fast_capacity_ = capacity;
  if (!fast_plan_) return;
  while (fast_threads_.size() < threads) fast_threads_.emplace_back([this] { RunFast(); });
}

bool Group::FastSubmit(std::vector<FastJob>* jobs) {
  {
    std::lock_guard<std::mutex> lk(fast_mu_);
    if (fast_stop_) return false;
    for (FastJob& j : *jobs) (j.close_write ? fast_cw_q_ : fast_q_).push_back(std::move(j));
  }
  // One job wakes one thread: waking them all costs a context switch each for nothing.
  if (jobs->size() == 1) fast_cv_.notify_one();
  else fast_cv_.notify_all();
  return true;
}

void Group::RunFast() {
#ifdef __linux__
  pthread_setname_np(pthread_self(), "wdav-rtp-native");
#endif
  for (;;) {
    FastJob j;
    {
      std::unique_lock<std::mutex> lk(fast_mu_);
      fast_cv_.wait(lk, [this] { return fast_stop_ || !fast_q_.empty() || !fast_cw_q_.empty(); });
      if (fast_stop_) return;  // StopFast() closes what is still queued
      // An opener is waiting on a permission event; nobody waits on an after-write verdict.
      std::deque<FastJob>& q = !fast_q_.empty() ? fast_q_ : fast_cw_q_;
      j = std::move(q.front());
      q.pop_front();
    }
    FastVerdict(j);
  }
}

void Group::FastAfterWrite(FastJob& j) {
  const bool clean = !closed_.load() && ScannedClean(j);
  if (clean || closed_.load()) {
    if (clean) {
      std::shared_lock<FdLock> lk(fd_lock_);
      // The identity read with the event: a write since then makes the mark refuse itself.
      if (fan_fd_ >= 0 && MaybeIgnoreLocked(j.fd, j.file, j.epoch, /*local=*/true) == 0) counters_.ignore_after_write++;
      counters_.fast_cw_clean++;
    }
    close(j.fd);
    cw_in_flight_.fetch_sub(1);
    return;
  }
  counters_.fast_cw_to_js++;
  auto* batch = new Batch();
  batch->events.push_back(EventRecord{j.id, j.fd, j.pid, Kind::kCloseWrite, std::move(j.path), j.file, j.epoch});
  batch->close_writes = 1;  // still in flight: BatchConsumed() counts it off
  if (sink_->deliver(batch)) return;
  delete batch;
  close(j.fd);
  cw_in_flight_.fetch_sub(1);
  counters_.cw_dropped++;
}

void Group::FastVerdict(FastJob& j) {
  if (j.close_write) return FastAfterWrite(j);
  // Past its deadline the sweeper answers it (or already did); a closed group answered all.
  if (closed_.load() || Clock::now() >= j.deadline) {
    close(j.fd);
    counters_.fast_late++;
    return;
  }
  const bool clean = ScannedClean(j);
  if (clean) {
    Reply r;
    close(j.fd);
    if (!table_.take(j.id, &r.p)) {
      counters_.fast_late++;
      return;
    }
    counters_.fast_clean++;
    r.mark = true;
    r.local = true;  // the reader took the native path only for a local file
    r.epoch = r.p.epoch;
    Deliver(std::move(r), true, /*queue=*/false);
    return;
  }
  counters_.fast_to_js++;
  auto* batch = new Batch();
  batch->events.push_back(EventRecord{j.id, j.fd, j.pid, j.kind, std::move(j.path), j.file, j.epoch});
  if (sink_->deliver(batch)) return;
  delete batch;
  close(j.fd);
  Pending p;
  if (table_.take(j.id, &p)) {
    Answer(p.fd, default_allow_.load());
    counters_.native_tsfn_full++;
  }
}

void Group::StopFast() {
  std::deque<FastJob> rest;
  {
    std::lock_guard<std::mutex> lk(fast_mu_);
    fast_stop_ = true;
    fast_plan_.reset();
    rest.swap(fast_q_);
    for (FastJob& j : fast_cw_q_) rest.push_back(std::move(j));
    fast_cw_q_.clear();
  }
  fast_cv_.notify_all();
  for (auto& t : fast_threads_)
    if (t.joinable()) t.join();
  fast_threads_.clear();
  // Their entries are still in the table: Close() answers them with the rest.
  for (FastJob& j : rest) {
    close(j.fd);
    if (j.close_write) cw_in_flight_.fetch_sub(1);
  }
}

}  // namespace fan
}  // namespace wdav
