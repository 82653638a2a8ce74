// native/core/fanotify_group.cc — group lifecycle, marks, verdicts, ignore marks, close.
// The reader thread is in fanotify_reader.cc. Ownership rules: fanotify_group.h.
#include "fanotify_group.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "fanotify_file.h"

#ifndef FAN_MARK_EVICTABLE
#define FAN_MARK_EVICTABLE 0x00000200
#endif
#ifndef FAN_MARK_IGNORE
#define FAN_MARK_IGNORE 0x00000400
#endif

namespace wdav {
namespace fan {

namespace {
constexpr uint64_t kMarkMask = FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE;
constexpr uint64_t kIgnoreMask = FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM;
}  // namespace

int Group::Create(const Config& cfg, std::shared_ptr<Group>* out, const char** what) {
  std::shared_ptr<Group> g(new Group());
  const unsigned init_flags = FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_MARKS;
  const unsigned event_flags = O_RDONLY | O_LARGEFILE | O_CLOEXEC;
  if (cfg.try_noatime) {
    g->fan_fd_ = fanotify_init(init_flags, event_flags | O_NOATIME);
    g->noatime_ = g->fan_fd_ >= 0;
  }
  // Kernels that refuse O_NOATIME in event_f_flags answer EINVAL; anything else is final.
  if (g->fan_fd_ < 0 && (!cfg.try_noatime || errno == EINVAL)) g->fan_fd_ = fanotify_init(init_flags, event_flags);
  if (g->fan_fd_ < 0) {
    *what = "fanotify_init";
    return errno;
  }
  g->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (g->wake_fd_ < 0) {
    int err = errno;
    *what = "eventfd";
    return err;  // ~Group closes fan_fd_
  }
  // Mount-table changes are reported by poll(POLLPRI) on this file; without it JS is simply
  // not told about new mounts (MountWatch() false), which the caller can report.
  g->mount_fd_ = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  g->ignore_flags_ = FAN_MARK_IGNORE | FAN_MARK_EVICTABLE;
  g->self_pid_ = static_cast<int32_t>(getpid());
  g->timeout_ms_.store(cfg.timeout_ms);
  g->default_allow_.store(cfg.default_allow);
  g->pending_capacity_.store(cfg.pending_capacity);
  g->close_write_capacity_.store(cfg.close_write_capacity);
  g->buf_.resize(64 * 1024 / sizeof(uint64_t));
  *out = std::move(g);
  return 0;
}

Group::~Group() {
  Close();
}

int Group::Start(std::unique_ptr<Sink> sink) {
  sink_ = std::move(sink);
  try {
    reader_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    return e.code().value() ? e.code().value() : EAGAIN;
  }
  return 0;
}

int Group::AddMark(const std::string& path, bool filesystem) {
  std::lock_guard<std::mutex> lk(fd_mu_);
  if (fan_fd_ < 0) return EBADF;
  unsigned flags = FAN_MARK_ADD | (filesystem ? FAN_MARK_FILESYSTEM : FAN_MARK_MOUNT);
  return fanotify_mark(fan_fd_, flags, kMarkMask, AT_FDCWD, path.c_str()) == 0 ? 0 : errno;
}

int Group::RemoveMark(const std::string& path, bool filesystem) {
  std::lock_guard<std::mutex> lk(fd_mu_);
  if (fan_fd_ < 0) return EBADF;
  unsigned flags = FAN_MARK_REMOVE | (filesystem ? FAN_MARK_FILESYSTEM : FAN_MARK_MOUNT);
  return fanotify_mark(fan_fd_, flags, kMarkMask, AT_FDCWD, path.c_str()) == 0 ? 0 : errno;
}

void Group::SetScope(const std::vector<std::string>& prefixes) {
  std::vector<std::string> norm;
  norm.reserve(prefixes.size());
  for (const std::string& p : prefixes) norm.push_back(normalize_prefix(p));
  std::lock_guard<std::mutex> lk(scope_mu_);
  scope_.swap(norm);
}

std::vector<std::string> Group::Scope() {
  std::lock_guard<std::mutex> lk(scope_mu_);
  return scope_;
}

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
    std::lock_guard<std::mutex> lk(fd_mu_);
    AnswerLocked(fd, allow);
  }
  close(fd);
}

int Group::IgnoreMarkLocked(int fd, bool add) {
  for (;;) {
    unsigned flags = (add ? FAN_MARK_ADD | ignore_flags_ : FAN_MARK_REMOVE | (ignore_flags_ & ~FAN_MARK_EVICTABLE));
    if (fanotify_mark(fan_fd_, flags, kIgnoreMask, fd, nullptr) == 0) return 0;
    int err = errno;
    if (!add || err != EINVAL) return err;
    // Older kernels: FAN_MARK_EVICTABLE is 5.19+, FAN_MARK_IGNORE 6.0+. Step down once each;
    // every ignore mark of the group then uses the same flavour (mixing them gives EEXIST).
    if (ignore_flags_ & FAN_MARK_EVICTABLE) {
      ignore_flags_ &= ~FAN_MARK_EVICTABLE;
    } else if (ignore_flags_ & FAN_MARK_IGNORE) {
      ignore_flags_ = FAN_MARK_IGNORED_MASK;
    } else {
      return err;
    }
  }
}

const char* Group::IgnoreMode() {
  std::lock_guard<std::mutex> lk(fd_mu_);
  bool evictable = ignore_flags_ & FAN_MARK_EVICTABLE;
  if (ignore_flags_ & FAN_MARK_IGNORE) return evictable ? "ignore+evictable" : "ignore";
  return evictable ? "ignored_mask+evictable" : "ignored_mask";
}

void Group::MaybeIgnoreLocked(const Pending& p, uint32_t epoch) {
  if (epoch != epoch_.load()) {
    counters_.ignore_skipped_epoch++;  // verdict from before a flush: definitions may differ
    return;
  }
  if (remote_filesystem(p.fd)) {
    counters_.ignore_skipped_remote++;
    return;
  }
  // A writer that already had the file open may have changed it after it was read; the mark
  // would then cache a verdict for content nobody scanned. Check before and after adding: a
  // write after the mark clears it in the kernel, a write before shows in the second check.
  if (!same_identity(p.file, fd_identity(p.fd))) {
    counters_.ignore_skipped_changed++;
    return;
  }
  if (IgnoreMarkLocked(p.fd, true) != 0) {
    counters_.ignore_failed++;
    return;
  }
  if (!same_identity(p.file, fd_identity(p.fd))) {
    IgnoreMarkLocked(p.fd, false);
    counters_.ignore_skipped_changed++;
    return;
  }
  counters_.ignore_added++;
}

bool Group::Respond(uint64_t id, bool allow, bool ignore_mark, bool has_epoch, uint32_t epoch) {
  Pending p;
  if (!table_.take(id, &p)) {
    counters_.js_late++;
    return false;
  }
  {
    std::lock_guard<std::mutex> lk(fd_mu_);
    // The mark goes in before the answer so the OPEN_PERM that follows an exec's
    // OPEN_EXEC_PERM is already covered.
    if (allow && ignore_mark && fan_fd_ >= 0) MaybeIgnoreLocked(p, has_epoch ? epoch : p.epoch);
    AnswerLocked(p.fd, allow);
  }
  close(p.fd);
  if (allow) counters_.js_allow++;
  else counters_.js_deny++;
  return true;
}

void Group::ClearIgnoreOnCloseWrite(int fd) {
  // mmap writes do not clear ignore marks (no FS_MODIFY); a close after writing does give
  // FAN_CLOSE_WRITE, so drop any mark here. ENOENT (no mark) is the common case.
  if (counters_.ignore_added.load() == 0) return;
  std::lock_guard<std::mutex> lk(fd_mu_);
  if (fan_fd_ < 0) return;
  if (IgnoreMarkLocked(fd, false) == 0) counters_.ignore_cleared_close_write++;
}

int Group::FlushIgnoreMarks(uint32_t* epoch_out) {
  std::lock_guard<std::mutex> lk(fd_mu_);
  if (fan_fd_ < 0) return EBADF;
  // Bump first: a verdict racing this call then cannot re-add a mark with the old epoch.
  *epoch_out = epoch_.fetch_add(1) + 1;
  // Without FAN_MARK_MOUNT/FILESYSTEM this removes inode marks only; the mount marks stay,
  // so monitoring never pauses — events just come back for every file.
  if (fanotify_mark(fan_fd_, FAN_MARK_FLUSH, 0, AT_FDCWD, nullptr) != 0) return errno;
  counters_.flushes++;
  return 0;
}

void Group::BatchConsumed(const Batch& batch) {
  if (batch.close_writes) cw_in_flight_.fetch_sub(batch.close_writes);
}

Stats Group::GetStats() {
  Stats s;
#define WDAV_FAN_COPY(name, group, key) s.name = counters_.name.load();
  WDAV_FAN_COUNTERS(WDAV_FAN_COPY)
#undef WDAV_FAN_COPY
  s.pending_depth = table_.depth();
  s.pending_max = table_.max_depth();
  s.pending_capacity = pending_capacity_.load();
  Clock::time_point oldest;
  if (table_.oldest_received(&oldest))
    s.pending_oldest_age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - oldest).count();
  s.cw_in_flight = cw_in_flight_.load();
  s.epoch = epoch_.load();
  return s;
}

void Group::Close() {
  if (closed_.exchange(true)) return;
  stop_.store(true);
  {
    // First: releasing the group makes the kernel allow every pending permission event, so
    // nothing below can leave an opener blocked.
    std::lock_guard<std::mutex> lk(fd_mu_);
    if (fan_fd_ >= 0) close(fan_fd_);
    fan_fd_ = -1;
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    (void)n;
  }
  if (reader_.joinable()) reader_.join();
  std::vector<PendingTable::Entry> rest;
  table_.take_all(&rest);
  for (auto& e : rest) {
    close(e.second.fd);
    counters_.native_closed++;
  }
  if (wake_fd_ >= 0) close(wake_fd_);
  if (mount_fd_ >= 0) close(mount_fd_);
  wake_fd_ = mount_fd_ = -1;
  if (sink_) sink_->release();
}

}  // namespace fan
}  // namespace wdav
