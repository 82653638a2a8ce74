// native/core/fanotify_verdict.cc — answers and kernel ignore marks of a fanotify Group:
// Respond() (JS verdicts), the responder thread that writes queued allows, MarkClean()
// (after-write verdicts), the reader's native answers, and the ignore-mark rules.
// Ownership rules (who may answer which event, and when): fanotify_group.h.
// Must not: read events, touch the pending table other than take(), or call into JS.
#include <cerrno>
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <shared_mutex>
#include <utility>

#include "fanotify_file.h"
#include "fanotify_group.h"

namespace wdav {
namespace fan {

namespace {
constexpr uint64_t kIgnoreMask = FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM;
// Each response wakes every process waiting for any answer of the group (one shared kernel
// wait queue), so a write costs the writer about one wake-up per blocked opener. With fewer
// events outstanding than this, Respond() writes itself (a hand-off to the responder thread
// would cost a wake-up of its own); with more, the responder thread pays.
constexpr size_t kRespondInlineBelow = 4;
}  // namespace

void Group::AnswerLocked(int fd, bool allow) {
  // A closed group fd means the kernel already allowed every pending event at release.
  if (fan_fd_ < 0) return;
  struct fanotify_response resp;
  resp.fd = fd;
  resp.response = allow ? FAN_ALLOW : FAN_DENY;
  ssize_t n;
  do {
    n = write(fan_fd_, &resp, sizeof(resp));
  } while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(sizeof(resp))) counters_.response_errors++;
}

void Group::Answer(int fd, bool allow) {
  {
    std::shared_lock<FdLock> lk(fd_lock_);
    AnswerLocked(fd, allow);
  }
  close(fd);
}

int Group::IgnoreMarkLocked(int fd, bool add) {
  for (;;) {
    unsigned cur = ignore_flags_.load();
    unsigned flags = add ? FAN_MARK_ADD | cur : FAN_MARK_REMOVE | (cur & ~FAN_MARK_EVICTABLE);
    if (fanotify_mark(fan_fd_, flags, kIgnoreMask, fd, nullptr) == 0) return 0;
    int err = errno;
    if (!add || err != EINVAL) return err;
    // Older kernels: FAN_MARK_EVICTABLE is 5.19+, FAN_MARK_IGNORE 6.0+. Step down once each;
    // every ignore mark of the group then uses the same flavour (mixing them gives EEXIST).
    // Two threads may step down at once: the exchange lets only one of them move a step.
    unsigned next;
    if (cur & FAN_MARK_EVICTABLE) next = cur & ~FAN_MARK_EVICTABLE;
    else if (cur & FAN_MARK_IGNORE) next = FAN_MARK_IGNORED_MASK;
    else return err;
    ignore_flags_.compare_exchange_strong(cur, next);
  }
}

const char* Group::IgnoreMode() {
  unsigned f = ignore_flags_.load();
  bool evictable = f & FAN_MARK_EVICTABLE;
  if (f & FAN_MARK_IGNORE) return evictable ? "ignore+evictable" : "ignore";
  return evictable ? "ignored_mask+evictable" : "ignored_mask";
}

// 0 added; 1 stale epoch; 2 remote fs; 3 changed; 4 fanotify_mark failed.
int Group::MaybeIgnoreLocked(int fd, const FileId& file, uint32_t epoch, bool local) {
  if (epoch != epoch_.load()) {
    counters_.ignore_skipped_epoch++;  // verdict from before a flush: definitions may differ
    return 1;
  }
  if (!local && remote_filesystem(fd)) {
    counters_.ignore_skipped_remote++;
    return 2;
  }
  // A writer that already had the file open may have changed it after it was read; the mark
  // would then cache a verdict for content nobody scanned. Checked after adding it: a write
  // after the mark clears it in the kernel, a write before it changed ctime for good, which
  // the check sees (and the mark goes again).
  if (IgnoreMarkLocked(fd, true) != 0) {
    counters_.ignore_failed++;
    return 4;
  }
  if (!same_identity(file, fd_identity(fd))) {
    IgnoreMarkLocked(fd, false);
    counters_.ignore_skipped_changed++;
    return 3;
  }
  // The responder thread runs beside FlushIgnoreMarks(), which bumps the epoch before it
  // flushes: a mark added after that flush sees the new epoch here and goes again.
  if (epoch != epoch_.load()) {
    IgnoreMarkLocked(fd, false);
    counters_.ignore_skipped_epoch++;
    return 1;
  }
  counters_.ignore_added++;
  return 0;
}

bool Group::QueueReply(Reply&& r) {
  const size_t outstanding = table_.depth();
  {
    std::lock_guard<std::mutex> lk(reply_mu_);
    if (reply_stop_ || replies_.size() >= pending_capacity_.load()) return false;
    if (replies_.empty() && outstanding + 1 < kRespondInlineBelow) return false;
    replies_.push_back(std::move(r));
    if (replies_.size() > reply_max_) reply_max_ = replies_.size();
  }
  reply_cv_.notify_one();
  return true;
}

bool Group::Respond(uint64_t id, bool allow, bool ignore_mark, bool has_epoch, uint32_t epoch) {
  Reply r;
  if (!table_.take(id, &r.p)) {
    counters_.js_late++;
    return false;
  }
  if (allow) counters_.js_allow++;
  else counters_.js_deny++;
  r.mark = allow && ignore_mark;
  r.epoch = has_epoch ? epoch : r.p.epoch;
  Deliver(std::move(r), allow);
  return true;
}

bool Group::RemoteCached(int fd, const FileId& file) {
  if (file.mnt_id == 0) return remote_filesystem(fd);
  auto it = remote_by_mount_.find(file.mnt_id);
  if (it != remote_by_mount_.end()) return it->second;
  if (remote_by_mount_.size() >= 4096) remote_by_mount_.clear();  // bounded; ids are never reused
  const bool remote = remote_filesystem(fd);
  remote_by_mount_.emplace(file.mnt_id, remote);
  return remote;
}

void Group::Deliver(Reply&& r, bool allow, bool queue) {
  // An allow may be written later by the responder: if the group closes first, the kernel
  // allows the event at release, which is the same answer. A deny must be in before we return.
  if (allow && queue) {
    if (QueueReply(std::move(r))) {  // on false `r` was not moved from
      counters_.replies_async++;
      return;
    }
    counters_.replies_sync++;  // few openers waiting, queue full, or closing: answer here
  }
  {
    std::shared_lock<FdLock> lk(fd_lock_);
    // The mark goes in before the answer so the OPEN_PERM that follows an exec's
    // OPEN_EXEC_PERM is already covered.
    if (r.mark && fan_fd_ >= 0) MaybeIgnoreLocked(r.p.fd, r.p.file, r.epoch, r.local);
    AnswerLocked(r.p.fd, allow);
  }
  close(r.p.fd);
}

void Group::RunResponder() {
  std::vector<Reply> work;
  for (;;) {
    {
      std::unique_lock<std::mutex> lk(reply_mu_);
      reply_cv_.wait(lk, [this] { return reply_stop_ || !replies_.empty(); });
      if (replies_.empty()) return;  // stopping and drained
      work.swap(replies_);
    }
    for (Reply& r : work) {
      {
        std::shared_lock<FdLock> lk(fd_lock_);
        if (r.mark && fan_fd_ >= 0) MaybeIgnoreLocked(r.p.fd, r.p.file, r.epoch, r.local);
        AnswerLocked(r.p.fd, true);  // after Close() closed the group: nothing to write
      }
      close(r.p.fd);
    }
    work.clear();  // keeps its capacity: no allocation per batch
  }
}

int Group::MarkClean(int fd, const FileId& file, uint32_t epoch) {
  std::shared_lock<FdLock> lk(fd_lock_);
  if (fan_fd_ < 0) return 5;
  int r = MaybeIgnoreLocked(fd, file, epoch);
  if (r == 0) counters_.ignore_after_write++;
  return r;
}

void Group::AnswerEmpty(int fd, const FileId& file, uint32_t epoch) {
  // Nothing to scan in an empty file, whoever opens it: answer first (the opener is waiting),
  // then cache it in the kernel. A write in between changes the size, which the identity
  // check sees; a write after the mark clears it.
  std::shared_lock<FdLock> lk(fd_lock_);
  AnswerLocked(fd, true);
  if (fan_fd_ >= 0) MaybeIgnoreLocked(fd, file, epoch);
  lk.unlock();
  close(fd);
  counters_.native_empty++;
}

void Group::ClearIgnoreOnCloseWrite(int fd) {
  // mmap writes do not clear ignore marks (no FS_MODIFY); a close after writing does give
  // FAN_CLOSE_WRITE, so drop any mark here. ENOENT (no mark) is the common case.
  if (counters_.ignore_added.load() == 0) return;
  std::shared_lock<FdLock> lk(fd_lock_);
  if (fan_fd_ < 0) return;
  if (IgnoreMarkLocked(fd, false) == 0) counters_.ignore_cleared_close_write++;
}

}  // namespace fan
}  // namespace wdav
