// native/core/fanotify_reader.cc — the reader thread of a fanotify Group: poll(fanotify fd,
// wake eventfd, /proc/self/mountinfo), read events, answer on its own what JS must not see
// (own pid, out of scope, empty regular files when asked, no room, no fds), hand the rest to
// JS in one batch per read, and answer expired entries with the default response. Keeps the
// fd reserve it gives back when the process runs out of fds. Ownership rules:
// fanotify_group.h.
// Must not: block on JS, open files by path, or touch JS values.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include <shared_mutex>

#include "fanotify_file.h"
#include "fanotify_group.h"

namespace wdav {
namespace fan {

namespace {
constexpr int kMountRetryMs = 100;  // retry a mounts notice refused by a full JS queue
constexpr int kFdRetryMs = 100;     // while short of fds: try to take the reserve back
// Enough for a few events answered one at a time while the rest of the process holds every
// other fd; small, because each one is an fd the daemon cannot use otherwise.
constexpr size_t kFdReserve = 8;

bool OutOfFds(int err) {
  return err == EMFILE || err == ENFILE;
}
}  // namespace

bool Group::FdFree() {
  int fd = fcntl(wake_fd_, F_DUPFD_CLOEXEC, 0);
  if (fd >= 0) {
    close(fd);
    return true;
  }
  return !OutOfFds(errno);
}

void Group::ReleaseReserve() {
  for (int fd : fd_reserve_) close(fd);
  fd_reserve_.clear();
  reserve_held_.store(0);
  if (!short_of_fds_.exchange(true)) counters_.fd_shortages++;
}

void Group::RestoreReserve() {
  std::vector<int> got;
  while (fd_reserve_.size() + got.size() < kFdReserve) {
    int fd = fcntl(wake_fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) break;
    got.push_back(fd);
  }
  const bool whole = fd_reserve_.size() + got.size() == kFdReserve && FdFree();
  if (!whole && short_of_fds_.load()) {
    // All or nothing while short: a part of the reserve would only take fds events need.
    for (int fd : got) close(fd);
    return;
  }
  fd_reserve_.insert(fd_reserve_.end(), got.begin(), got.end());
  reserve_held_.store(static_cast<uint32_t>(fd_reserve_.size()));
  if (whole && short_of_fds_.exchange(false)) counters_.fd_restored++;
}

void Group::Run() {
  // Signals belong to the JS thread (libuv); this thread must never run a handler.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);

  int fan_fd;
  {
    std::shared_lock<FdLock> lk(fd_lock_);
    fan_fd = fan_fd_;
  }
  while (!stop_.load()) {
    struct pollfd fds[3];
    fds[0] = {fan_fd, POLLIN, 0};
    fds[1] = {wake_fd_, POLLIN, 0};
    fds[2] = {mount_fd_, POLLPRI, 0};  // a negative fd is ignored by poll
    int timeout = -1;
    Clock::time_point next;
    if (table_.next_deadline(&next)) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count() + 1;
      timeout = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(ms, 60000)));
    }
    if (mounts_notice_pending_ && (timeout < 0 || timeout > kMountRetryMs)) timeout = kMountRetryMs;
    if (short_of_fds_.load() && (timeout < 0 || timeout > kFdRetryMs)) timeout = kFdRetryMs;
    int r = poll(fds, 3, timeout);
    if (r < 0 && errno != EINTR) break;
    if (stop_.load()) break;
    if (r > 0 && (fds[1].revents & POLLIN)) {
      uint64_t v;
      ssize_t n = read(wake_fd_, &v, sizeof(v));
      (void)n;
    }
    // mounts_poll() reports a change once per poll call, so check on every return.
    if (r > 0 && (fds[2].revents & (POLLPRI | POLLERR))) {
      counters_.mount_changes++;
      mounts_notice_pending_ = true;
    }
    if (r > 0 && (fds[0].revents & POLLIN)) {
      // Drain what is queued now, but keep sweeping deadlines between reads under a storm.
      for (int i = 0; i < 16 && ReadOnce(); ++i) Sweep();
    }
    Sweep();
    if (mounts_notice_pending_) NotifyMounts();
    if (short_of_fds_.load()) RestoreReserve();
  }
}

void Group::NotifyMounts() {
  Batch* b = new Batch();
  b->mounts_changed = true;
  if (sink_->deliver(b)) {
    mounts_notice_pending_ = false;
  } else {
    delete b;
  }
}

void Group::Sweep() {
  std::vector<PendingTable::Entry> expired;
  table_.take_expired(Clock::now(), &expired);
  bool allow = default_allow_.load();
  for (auto& e : expired) {
    Answer(e.second.fd, allow);
    counters_.native_timeout++;
  }
}

// Reads one buffer of events. Returns true when more may be queued.
bool Group::ReadOnce() {
  // The kernel denies an event whose fd it cannot create: with no fd free beyond the reserve,
  // give the reserve back before reading rather than after a denial.
  if (!short_of_fds_.load() && !FdFree()) ReleaseReserve();
  const bool short_of_fds = short_of_fds_.load();
  char* buf = reinterpret_cast<char*>(buf_.data());
  // Short of fds: one event (one new fd) per read. We never ask for info records, so every
  // event is exactly one metadata block.
  const size_t cap = short_of_fds ? FAN_EVENT_METADATA_LEN : buf_.size() * sizeof(uint64_t);
  ssize_t len;
  {
    // Shared: responses and marks go on meanwhile. The kernel creates one fd per event inside
    // this read(), which is what made answers wait when this was an exclusive lock.
    std::shared_lock<FdLock> lk(fd_lock_);
    if (fan_fd_ < 0) return false;  // closing: the kernel answers everything
    do {
      len = read(fan_fd_, buf, cap);
    } while (len < 0 && errno == EINTR);
  }
  if (len <= 0) {
    // EAGAIN: drained. Other errors make the kernel deny that one event itself (EMFILE/ENFILE:
    // it could not create the event fd); count, give back the reserve, and carry on.
    const int err = errno;
    if (len < 0 && err != EAGAIN) {
      counters_.read_errors++;
      if (OutOfFds(err)) {
        counters_.read_no_fds++;
        ReleaseReserve();
      }
    }
    return false;
  }
  const Clock::time_point now = Clock::now();
  const Clock::time_point deadline = now + std::chrono::milliseconds(timeout_ms_.load());
  const bool default_allow = default_allow_.load();
  const size_t capacity = pending_capacity_.load();
  const uint64_t cw_capacity = close_write_capacity_.load();
  const uint32_t epoch = epoch_.load();
  const bool answer_empty = answer_empty_.load();
  const std::vector<std::string> scope = Scope();
  // Entries only leave the table meanwhile (other threads never insert), so depth() is a safe
  // upper bound for the capacity check.
  const size_t depth = table_.depth();

  // Native verdicts: the plan and room in its queue, once per read (only this thread adds jobs,
  // so the room can only grow meanwhile).
  std::shared_ptr<const scanbatch::Plan> fast_plan;
  int64_t fast_max = 0;
  size_t fast_room = 0;
  {
    std::lock_guard<std::mutex> lk(fast_mu_);
    if (fast_plan_ && !fast_stop_) {
      fast_plan = fast_plan_;
      fast_max = fast_max_;
      const size_t queued = fast_q_.size() + fast_cw_q_.size();
      fast_room = fast_capacity_ > queued ? fast_capacity_ - queued : 0;
    }
  }
  std::vector<PendingTable::Entry> fast_staged;
  std::vector<FastJob> fast_jobs;
  uint64_t fast_close_writes = 0;

  Batch* batch = new Batch();
  std::vector<PendingTable::Entry> staged;
  const struct fanotify_event_metadata* m = reinterpret_cast<const struct fanotify_event_metadata*>(buf);
  for (; FAN_EVENT_OK(m, len); m = FAN_EVENT_NEXT(m, len)) {
    if (m->vers != FANOTIFY_METADATA_VERSION) {
      counters_.read_errors++;
      if (m->fd >= 0) close(m->fd);
      continue;
    }
    if (m->mask & FAN_Q_OVERFLOW) counters_.overflow++;
    if (m->fd < 0) continue;
    const bool exec = m->mask & FAN_OPEN_EXEC_PERM;
    if (exec || (m->mask & FAN_OPEN_PERM)) {
      (exec ? counters_.events_exec : counters_.events_open)++;
      if (m->pid == self_pid_) {
        Answer(m->fd, true);
        counters_.native_self++;
        continue;
      }
      std::string path = fd_path(m->fd);
      if (!in_scope(path, scope)) {
        Answer(m->fd, true);
        counters_.native_out_of_scope++;
        continue;
      }
      FileId file = fd_identity(m->fd);
      if (answer_empty && file.ok && file.regular && file.size == 0) {
        AnswerEmpty(m->fd, file, epoch);
        continue;
      }
      if (depth + staged.size() + fast_staged.size() >= capacity) {
        Answer(m->fd, default_allow);
        counters_.native_table_full++;
        continue;
      }
      if (short_of_fds_.load()) {
        Answer(m->fd, default_allow);
        counters_.native_no_fds++;
        continue;
      }
      int dup_fd = fcntl(m->fd, F_DUPFD_CLOEXEC, 0);
      if (dup_fd < 0) {
        const bool no_fds = OutOfFds(errno);
        Answer(m->fd, default_allow);
        if (no_fds) {
          counters_.native_no_fds++;
          ReleaseReserve();
        } else {
          counters_.native_error++;
        }
        continue;
      }
      Pending p;
      p.fd = m->fd;
      p.kind = exec ? Kind::kExec : Kind::kOpen;
      p.file = file;
      p.epoch = epoch;
      p.received = now;
      p.deadline = deadline;
      uint64_t id = next_id_++;
      if (fast_plan && file.ok && file.regular && (fast_max <= 0 || static_cast<int64_t>(file.size) <= fast_max) &&
          !RemoteCached(m->fd, file) && !YaraSlow(file)) {
        if (fast_jobs.size() < fast_room) {
          fast_staged.emplace_back(id, p);
          FastJob j;
          j.id = id;
          j.fd = dup_fd;
          j.pid = m->pid;
          j.kind = p.kind;
          j.path = std::move(path);
          j.file = p.file;
          j.epoch = epoch;
          j.deadline = deadline;
          j.plan = fast_plan;
          j.max_size = fast_max;
          fast_jobs.push_back(std::move(j));
          continue;
        }
        counters_.fast_full++;  // to JS instead
      }
      staged.emplace_back(id, p);
      batch->events.push_back(EventRecord{id, dup_fd, m->pid, p.kind, std::move(path), p.file, epoch});
    } else if (m->mask & FAN_CLOSE_WRITE) {
      counters_.events_close_write++;
      ClearIgnoreOnCloseWrite(m->fd);
      if (m->pid == self_pid_) {
        close(m->fd);
        counters_.cw_self++;
        continue;
      }
      std::string path = fd_path(m->fd);
      if (!in_scope(path, scope)) {
        close(m->fd);
        counters_.cw_out_of_scope++;
        continue;
      }
      if (cw_in_flight_.load() + batch->close_writes + fast_close_writes >= cw_capacity) {
        close(m->fd);
        counters_.cw_dropped++;
        continue;
      }
      if (short_of_fds_.load()) {
        // JS would hold this fd for the after-write scan; the write already cleared the
        // file's ignore mark, so its next open is scanned anyway.
        close(m->fd);
        counters_.cw_no_fds++;
        continue;
      }
      FileId written = fd_identity(m->fd);
      if (fast_plan && written.ok && written.regular && written.size > 0 && (fast_max <= 0 || static_cast<int64_t>(written.size) <= fast_max) &&
          fast_jobs.size() < fast_room && !RemoteCached(m->fd, written) && !YaraSlow(written)) {
        FastJob j;
        j.id = next_id_++;
        j.fd = m->fd;
        j.pid = m->pid;
        j.kind = Kind::kCloseWrite;
        j.path = std::move(path);
        j.file = written;
        j.epoch = epoch;
        j.deadline = deadline;
        j.plan = fast_plan;
        j.max_size = fast_max;
        j.close_write = true;
        fast_jobs.push_back(std::move(j));
        fast_close_writes++;
        continue;
      }
      batch->events.push_back(EventRecord{next_id_++, m->fd, m->pid, Kind::kCloseWrite, std::move(path), written, epoch});
      batch->close_writes++;
    } else {
      close(m->fd);
    }
  }
  cw_in_flight_.fetch_add(fast_close_writes);
  if (!fast_jobs.empty() && !table_.register_if(fast_staged, [&] { return FastSubmit(&fast_jobs); })) {
    // Stopping: never registered, still ours. Answer now rather than at the deadline.
    for (FastJob& j : fast_jobs) close(j.fd);
    cw_in_flight_.fetch_sub(fast_close_writes);
    counters_.cw_dropped += fast_close_writes;
    for (auto& f : fast_staged) {
      Answer(f.second.fd, default_allow);
      counters_.native_closed++;
    }
  }
  // More may be queued when the buffer came back (nearly) full.
  const bool more = static_cast<size_t>(len) + std::min<size_t>(4096, cap) > cap;
  if (batch->events.empty()) {
    delete batch;
    return more;
  }

  const size_t close_writes = batch->close_writes;
  cw_in_flight_.fetch_add(close_writes);
  if (table_.register_if(staged, [&] { return sink_->deliver(batch); })) {
    counters_.batches++;
    counters_.cw_delivered += close_writes;
  } else {
    // Still ours: the entries were never registered. Answer now rather than at the deadline.
    cw_in_flight_.fetch_sub(close_writes);
    for (EventRecord& e : batch->events) close(e.fd);
    for (auto& s : staged) {
      Answer(s.second.fd, default_allow);
      counters_.native_tsfn_full++;
    }
    counters_.cw_dropped += close_writes;
    delete batch;
  }
  return more;
}

}  // namespace fan
}  // namespace wdav
