// native/core/fanotify_native_verdict.cc — native verdicts of a fanotify Group (issue #12):
// permission events the current plan can decide are taken by the group's own threads, their
// fds sent to the scanner process (content_link.h: hashes for the sizes that have signatures,
// Vectorscan over the body signatures, the head — up to kFastBatch queued files per request),
// and allowed from its records when clean, without a round trip through JavaScript. Only
// "clean → allow" is decided here; a possible detection (the EICAR test file included:
// scanbatch::IsEicar), a read error or an oversized file goes to JS with its entry, which
// decides as it always did.
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

// Whether the record proves the file clean for the plan it was scanned with.
bool ProvenClean(const uint8_t* rec) {
  if (sb::Field<int32_t>(rec, sb::kOffStatus) != sb::kScanned) return false;  // errors, too large: JS decides
  if (sb::Field<int32_t>(rec, sb::kOffBody) >= 0) return false;               // a body signature matched
  const uint32_t flags = sb::Field<uint32_t>(rec, sb::kOffFlags);
  if ((flags & sb::kHasHead) && sb::IsEicar(rec + sb::kOffHead, sb::Field<uint32_t>(rec, sb::kOffHeadLen))) return false;  // JS names it
  if (flags & (sb::kYaraMatched | sb::kYaraIncomplete | sb::kYaraTimeout)) return false;  // a YARA rule matched, or YARA did not finish
  const bool digests = flags & (sb::kHasMd5 | sb::kHasSha1 | sb::kHasSha256);
  if (digests && (!(flags & sb::kTablesChecked) || (flags & sb::kHashHit))) return false;
  return true;
}

// Up to this many queued files go to the scanner in one request: under a storm one round trip
// serves many opens; a single open goes alone, at once.
constexpr size_t kFastBatch = 16;

// After-write checks wait this long for company (nobody waits on them): a tree being written
// (tar, git checkout, a build) then costs one request, one scanner wake-up and one reply per
// kFastBatch files instead of per file, on CPUs the writer needs.
constexpr auto kAfterWriteGather = std::chrono::milliseconds(2);

constexpr size_t kSlowRemembered = 256;  // looked through on every event: kept small

struct Scanned {
  bool clean = false;
  bool yara_slow = false;  // YARA did not finish: JS decides, now and at the next events
};

// Reads and matches the jobs' files through their fds (the reader's dups, left open: closed
// after the answer or handed to JS) — in the scanner process when the plan is loaded there —
// and says for each whether its plan proves it clean. No answer by `until` (or no scanner)
// leaves the files to JavaScript, with time left before the deadline to decide.
std::vector<Scanned> ScannedClean(const std::vector<FastJob*>& jobs, Clock::time_point until) {
  const size_t n = jobs.size();
  std::vector<int32_t> fds(n);
  std::vector<std::string> names(n);
  contentlink::Mode mode;
  mode.real_time = true;
  mode.until = until;
  // The paths are lent (moved there and back), not copied: they name the files only if the
  // scanner crashes on them.
  for (size_t i = 0; i < n; i++) {
    fds[i] = jobs[i]->fd;
    names[i] = std::move(jobs[i]->path);
  }
  mode.names = names.data();
  std::vector<uint64_t> buf(n * sb::kRecordSize / sizeof(uint64_t), 0);  // 8-aligned records
  uint8_t* recs = reinterpret_cast<uint8_t*>(buf.data());
  sb::Options o;
  o.max_file_size = jobs[0]->max_size;
  o.keep_open = true;
  contentlink::ScanFiles(*jobs[0]->plan, fds.data(), n, o, nullptr, recs, mode);
  for (size_t i = 0; i < n; i++) jobs[i]->path = std::move(names[i]);
  std::vector<Scanned> out(n);
  for (size_t i = 0; i < n; i++) {
    const uint8_t* rec = recs + i * sb::kRecordSize;
    out[i].clean = ProvenClean(rec);
    const int32_t status = sb::Field<int32_t>(rec, sb::kOffStatus);
    out[i].yara_slow = (status == sb::kScanned && (sb::Field<uint32_t>(rec, sb::kOffFlags) & (sb::kYaraIncomplete | sb::kYaraTimeout))) ||
                       (status == sb::kScanError && sb::Field<int32_t>(rec, sb::kOffDetail) == contentlink::kDetailScannerLate);
  }
  return out;
}

}  // namespace

void Group::SetNativeVerdicts(std::shared_ptr<const scanbatch::Plan> plan, int64_t max_size, uint32_t threads, uint32_t capacity) {
  std::lock_guard<std::mutex> lk(fast_mu_);
  if (fast_stop_) return;
  fast_plan_ = std::move(plan);
  fast_max_ = max_size;
  fast_capacity_ = capacity;
  if (!fast_plan_) return;
  while (fast_threads_.size() < threads) {
    const bool opens_only = fast_threads_.empty() && threads > 1;
    fast_threads_.emplace_back([this, opens_only] { RunFast(opens_only); });
  }
}

bool Group::FastSubmit(std::vector<FastJob>* jobs) {
  size_t opens = 0;
  bool wake_cw = false;
  {
    std::lock_guard<std::mutex> lk(fast_mu_);
    if (fast_stop_) return false;
    const Clock::time_point now = Clock::now();
    for (FastJob& j : *jobs) {
      if (!j.close_write) {
        opens++;
        fast_q_.push_back(std::move(j));
        continue;
      }
      // The first of a gathering (a thread starts its timed wait) and a full batch wake.
      wake_cw = wake_cw || fast_cw_q_.empty() || fast_cw_q_.size() + 1 == kFastBatch;
      j.queued = now;
      fast_cw_q_.push_back(std::move(j));
    }
  }
  // One open wakes one thread: waking them all costs a context switch each for nothing. An
  // after-write gathering wakes all: the one woken might be the thread that takes only opens.
  if (wake_cw || opens > 1) fast_cv_.notify_all();
  else if (opens == 1) fast_cv_.notify_one();
  return true;
}

void Group::RunFast(bool opens_only) {
#ifdef __linux__
  pthread_setname_np(pthread_self(), "wdav-rtp-native");
#endif
  for (;;) {
    std::vector<FastJob> jobs;
    {
      std::unique_lock<std::mutex> lk(fast_mu_);
      // The first thread takes permission events only: a slow after-write scan never holds
      // every thread while openers wait. After-write jobs are taken once kFastBatch of them
      // are queued or the oldest has waited kAfterWriteGather.
      for (;;) {
        if (fast_stop_) return;  // StopFast() closes what is still queued
        if (!fast_q_.empty()) break;
        if (opens_only || fast_cw_q_.empty()) {
          fast_cv_.wait(lk);
          continue;
        }
        const Clock::time_point ready = fast_cw_q_.front().queued + kAfterWriteGather;
        if (fast_cw_q_.size() >= kFastBatch || Clock::now() >= ready) break;
        fast_cv_.wait_until(lk, ready);
      }
      // An opener is waiting on a permission event; nobody waits on an after-write verdict.
      std::deque<FastJob>& q = !fast_q_.empty() ? fast_q_ : fast_cw_q_;
      // What is queued behind it on the same plan rides along (a storm), up to kFastBatch.
      do {
        jobs.push_back(std::move(q.front()));
        q.pop_front();
      } while (!q.empty() && jobs.size() < kFastBatch && q.front().plan == jobs[0].plan && q.front().max_size == jobs[0].max_size);
    }
    FastBatch(jobs);
  }
}

void Group::FastBatch(std::vector<FastJob>& jobs) {
  std::vector<FastJob*> live;
  for (FastJob& j : jobs) {
    // Past its deadline the sweeper answers it (or already did); a closed group answered all.
    if (!j.close_write && (closed_.load() || Clock::now() >= j.deadline)) {
      close(j.fd);
      counters_.fast_late++;
      continue;
    }
    live.push_back(&j);
  }
  if (live.empty()) return;
  Clock::time_point until = Clock::time_point::max();
  for (FastJob* j : live) until = std::min(until, FastUntil(*j));
  std::vector<Scanned> r = closed_.load() ? std::vector<Scanned>(live.size()) : ScannedClean(live, until);
  for (size_t i = 0; i < live.size(); i++) {
    if (r[i].yara_slow) RememberYaraSlow(live[i]->file);
    if (live[i]->close_write) FastAfterWrite(*live[i], r[i].clean);
    else FastVerdict(*live[i], r[i].clean);
  }
}

// The answer must leave JavaScript time to decide before the deadline when the scanner cannot
// prove the file clean: the reserve the JS path keeps too (answerReserveMs in rtp/pipeline.ts).
Clock::time_point Group::FastUntil(const FastJob& j) const {
  const int64_t timeout = timeout_ms_.load();
  const int64_t reserve = std::min<int64_t>(1000, std::max<int64_t>(100, timeout / 10));
  return j.deadline - std::chrono::milliseconds(std::min(reserve * 2, timeout / 2));
}

bool Group::YaraSlow(const FileId& f) {
  std::lock_guard<std::mutex> l(slow_mu_);
  for (const FileId& s : slow_)
    if (same_identity(s, f)) return true;
  return false;
}

void Group::RememberYaraSlow(const FileId& f) {
  std::lock_guard<std::mutex> l(slow_mu_);
  slow_.push_back(f);
  if (slow_.size() > kSlowRemembered) slow_.pop_front();
}

void Group::FastAfterWrite(FastJob& j, bool clean) {
  clean = clean && !closed_.load();
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

void Group::FastVerdict(FastJob& j, bool clean) {
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
