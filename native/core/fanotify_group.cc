// native/core/fanotify_group.cc — group lifecycle, mount/filesystem marks, flush, stats, close.
// The reader thread is in fanotify_reader.cc; verdicts, the responder thread and ignore marks
// in fanotify_verdict.cc. Ownership rules: fanotify_group.h.
#include "fanotify_group.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <shared_mutex>

#include "fanotify_file.h"

namespace wdav {
namespace fan {

namespace {
constexpr uint64_t kMarkMask = FAN_OPEN_PERM | FAN_OPEN_EXEC_PERM | FAN_CLOSE_WRITE;
}  // namespace

FdLock::FdLock() {
  pthread_rwlockattr_t attr;
  pthread_rwlockattr_init(&attr);
  pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  pthread_rwlock_init(&rw_, &attr);
  pthread_rwlockattr_destroy(&attr);
}

FdLock::~FdLock() {
  pthread_rwlock_destroy(&rw_);
}

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
  // The reserve the reader gives back when the process runs out of fds (fanotify_group.h).
  // A process already short at this point starts with less; the reader tops it up later.
  g->RestoreReserve();
  g->ignore_flags_.store(FAN_MARK_IGNORE | FAN_MARK_EVICTABLE);
  g->self_pid_ = static_cast<int32_t>(getpid());
  g->timeout_ms_.store(cfg.timeout_ms);
  g->default_allow_.store(cfg.default_allow);
  g->pending_capacity_.store(cfg.pending_capacity);
  g->close_write_capacity_.store(cfg.close_write_capacity);
  g->answer_empty_.store(cfg.answer_empty);
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
    responder_ = std::thread([this] { RunResponder(); });
    reader_ = std::thread([this] { Run(); });
  } catch (const std::system_error& e) {
    return e.code().value() ? e.code().value() : EAGAIN;
  }
  return 0;
}

int Group::AddMark(const std::string& path, bool filesystem) {
  std::shared_lock<FdLock> lk(fd_lock_);
  if (fan_fd_ < 0) return EBADF;
  unsigned flags = FAN_MARK_ADD | (filesystem ? FAN_MARK_FILESYSTEM : FAN_MARK_MOUNT);
  return fanotify_mark(fan_fd_, flags, kMarkMask, AT_FDCWD, path.c_str()) == 0 ? 0 : errno;
}

int Group::RemoveMark(const std::string& path, bool filesystem) {
  std::shared_lock<FdLock> lk(fd_lock_);
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

int Group::FlushIgnoreMarks(uint32_t* epoch_out) {
  std::shared_lock<FdLock> lk(fd_lock_);
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
  s.short_of_fds = short_of_fds_.load() ? 1 : 0;
  s.fd_reserve = reserve_held_.load();
  {
    std::lock_guard<std::mutex> lk(reply_mu_);
    s.reply_depth = replies_.size();
    s.reply_max = reply_max_;
  }
  {
    std::lock_guard<std::mutex> lk(fast_mu_);
    s.fast_depth = fast_q_.size() + fast_cw_q_.size();
    s.fast_threads = fast_plan_ ? fast_threads_.size() : 0;
  }
  return s;
}

void Group::Close() {
  if (closed_.exchange(true)) return;
  stop_.store(true);
  {
    // First: releasing the group makes the kernel allow every pending permission event —
    // including allows still in the responder queue — so nothing below can leave an opener
    // blocked. Exclusive: no read, write or mark is using the fd number meanwhile.
    std::lock_guard<FdLock> lk(fd_lock_);
    if (fan_fd_ >= 0) close(fan_fd_);
    fan_fd_ = -1;
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t n = write(wake_fd_, &one, sizeof(one));
    (void)n;
  }
  {
    std::lock_guard<std::mutex> lk(reply_mu_);
    reply_stop_ = true;
  }
  reply_cv_.notify_all();
  if (reader_.joinable()) reader_.join();
  StopFast();  // no reader to queue more; after it no thread but this one uses the sink
  if (responder_.joinable()) responder_.join();  // it closes the fds still queued
  std::vector<PendingTable::Entry> rest;
  table_.take_all(&rest);
  for (auto& e : rest) {
    close(e.second.fd);
    counters_.native_closed++;
  }
  for (int fd : fd_reserve_) close(fd);  // the reader is joined: nobody else holds the reserve
  fd_reserve_.clear();
  reserve_held_.store(0);
  if (wake_fd_ >= 0) close(wake_fd_);
  if (mount_fd_ >= 0) close(mount_fd_);
  wake_fd_ = mount_fd_ = -1;
  if (sink_) sink_->release();
}

}  // namespace fan
}  // namespace wdav
