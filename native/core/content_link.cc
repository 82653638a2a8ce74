// native/core/content_link.cc — see content_link.h.
#include "core/content_link.h"

#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "scanner/protocol.h"

namespace wdav {
namespace contentlink {

namespace sb = scanbatch;
namespace proto = scanner;

namespace {

struct Slot {
  uint8_t* records = nullptr;
  const std::string* names = nullptr;
  size_t n = 0;
  bool done = false;
  int err = 0;
  std::condition_variable cv;
};

}  // namespace

// One content socket. No thread of its own: a caller waiting for a reply receives for everyone
// (`reading`), so the reply a caller waits for usually wakes that caller and no one else.
struct Link::Conn {
  explicit Conn(int f) : fd(f) {}
  ~Conn() { close(fd); }
  const int fd;
  std::mutex mu;  // everything below
  std::map<uint32_t, Slot*> pending;
  std::vector<std::string> lost;  // named files in flight when it died
  bool dead = false;
  bool reading = false;
  uint32_t next_id = 1;
  std::mutex send_mu;
};

namespace {

// Everything in flight fails; the names of its files are kept for the crash report. mu held.
void FailAll(Link::Conn* c) {
  c->dead = true;
  for (auto& [id, slot] : c->pending) {
    for (size_t i = 0; slot->names && i < slot->n && c->lost.size() < 10; i++) c->lost.push_back(slot->names[i]);
    slot->done = true;
    slot->err = EPIPE;
    slot->cv.notify_one();
  }
  c->pending.clear();
}

// Receives at most one reply (waiting until `until`) and hands it to its caller. Called with
// `l` (c->mu) held and nobody else reading; returns with it held.
void ReceiveOne(Link::Conn* c, std::unique_lock<std::mutex>& l, Clock::time_point until) {
  thread_local std::string buf(proto::kMaxPacket, '\0');
  c->reading = true;
  l.unlock();
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
  struct pollfd p = {c->fd, POLLIN, 0};
  int ready = poll(&p, 1, static_cast<int>(std::max<long long>(0, std::min<long long>(left + 1, 60000))));
  ssize_t n = -1;
  int err = 0;
  if (ready > 0) {
    // recv(): no SCM_RIGHTS accepted, so the scanner cannot plant fds here.
    n = recv(c->fd, &buf[0], buf.size(), MSG_TRUNC | MSG_DONTWAIT);
    err = errno;
  }
  l.lock();
  c->reading = false;
  if (ready <= 0 || (n < 0 && (err == EAGAIN || err == EINTR))) return;
  uint32_t magic = 0, op = 0, id = 0, status = 0, count = 0;
  bool broken = n <= 0 || static_cast<size_t>(n) > buf.size();
  proto::Reader r(buf.data(), broken ? 0 : static_cast<size_t>(n));
  if (!broken && (!r.U32(&magic) || magic != proto::kMagic || !r.U32(&op) || op != proto::kScanFiles || !r.U32(&id) || !r.U32(&status)))
    broken = true;
  if (broken) {
    // Gone, or not speaking the protocol: the socket is shut so that the scanner ends
    // (content.cc) and its supervisor restarts it.
    if (n > 0) shutdown(c->fd, SHUT_RDWR);
    FailAll(c);
    return;
  }
  auto it = c->pending.find(id);
  if (it == c->pending.end()) return;  // its caller stopped waiting (late)
  Slot* slot = it->second;
  c->pending.erase(it);
  if (status == proto::kOk) {
    const char* recs = nullptr;
    if (r.U32(&count) && count == slot->n && (recs = r.Raw(count * sb::kRecordSize)) != nullptr && r.done()) {
      std::memcpy(slot->records, recs, count * sb::kRecordSize);
      slot->err = 0;
    } else {
      slot->err = EPROTO;
    }
  } else {
    slot->err = status == proto::kBusy ? EBUSY : status == proto::kNoRules ? ENOENT : status == proto::kTimeout ? ETIMEDOUT : EIO;
  }
  slot->done = true;
  slot->cv.notify_one();
}

}  // namespace

Link::~Link() { Detach(); }

void Link::Close() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closed_ = true;
  }
  attached_cv_.notify_all();
  Detach();
}

void Link::Attach(int real_time_fd, int on_demand_fd) {
  Detach();
  {
    std::lock_guard<std::mutex> l(mu_);
    conn_[0] = std::make_shared<Conn>(real_time_fd);
    conn_[1] = std::make_shared<Conn>(on_demand_fd);
    stats_.attaches++;
  }
  attached_cv_.notify_all();
}

void Link::Detach() {
  std::shared_ptr<Conn> c[2];
  {
    std::lock_guard<std::mutex> l(mu_);
    c[0] = std::move(conn_[0]);
    c[1] = std::move(conn_[1]);
  }
  std::vector<std::string> lost;
  for (auto& one : c) {
    if (!one) continue;
    std::lock_guard<std::mutex> cl(one->mu);
    FailAll(one.get());
    shutdown(one->fd, SHUT_RDWR);  // a caller receiving wakes; the fd closes with the last user
    for (auto& name : one->lost)
      if (lost.size() < 10) lost.push_back(std::move(name));
    one->lost.clear();
  }
  if (lost.empty()) return;
  std::lock_guard<std::mutex> l(mu_);
  lost_ = std::move(lost);
}

std::vector<std::string> Link::TakeLostFiles() {
  std::lock_guard<std::mutex> l(mu_);
  return std::move(lost_);
}

uint64_t Link::generation() {
  std::lock_guard<std::mutex> l(mu_);
  return stats_.attaches;
}

bool Link::WaitNewer(uint64_t generation, Clock::time_point until) {
  std::unique_lock<std::mutex> l(mu_);
  return attached_cv_.wait_until(l, until, [&] { return closed_ || stats_.attaches != generation; }) && !closed_;
}

Stats Link::stats() {
  std::shared_ptr<Conn> c[2];
  Stats st;
  {
    std::lock_guard<std::mutex> l(mu_);
    st = stats_;
    c[0] = conn_[0];
    c[1] = conn_[1];
  }
  for (auto& one : c) {
    if (!one) continue;
    std::lock_guard<std::mutex> cl(one->mu);
    st.in_flight += one->pending.size();
  }
  return st;
}

int Link::Scan(const Request& req, const int32_t* fds, size_t n, uint8_t* records, Clock::time_point until, const std::string* names,
               const int32_t* cancel) {
  if (n == 0 || n > proto::kMaxScanFds) return EINVAL;
  std::shared_ptr<Conn> c;
  {
    std::lock_guard<std::mutex> l(mu_);
    c = conn_[(req.flags & proto::kScanRealTime) ? 0 : 1];
  }
  if (!c) return ENOTCONN;
  Slot slot;
  slot.records = records;
  slot.names = names;
  slot.n = n;
  uint32_t id;
  {
    std::lock_guard<std::mutex> l(c->mu);
    if (c->dead) return ENOTCONN;
    id = c->next_id++;
    if (c->next_id == 0) c->next_id = 1;
    c->pending[id] = &slot;
  }
  proto::Writer w;
  w.U32(proto::kMagic);
  w.U32(proto::kScanFiles);
  w.U32(id);
  w.U32(req.plan);
  w.U32(req.flags);
  w.U64(req.max_file_size);
  w.U32(req.deadline_ms);
  w.U32(req.yara_limit_ms);
  if (req.flags & proto::kScanProveArchives) {
    const archclean::Limits& lim = req.limits;
    w.U64(lim.max_depth);
    w.U64(lim.max_files);
    w.U64(lim.max_scan_size);
    w.U64(lim.max_file_size);
    w.U64(lim.ratio_min_size);
    uint64_t bits;
    std::memcpy(&bits, &lim.max_ratio, sizeof bits);
    w.U64(bits);
  }
  union {
    char buf[CMSG_SPACE(sizeof(int) * proto::kMaxScanFds)];
    struct cmsghdr align;
  } control;
  std::memset(control.buf, 0, sizeof control.buf);
  struct iovec iov = {const_cast<char*>(w.bytes().data()), w.size()};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.buf;
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
  std::memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
  int err = 0;
  {
    std::lock_guard<std::mutex> l(c->send_mu);
    for (;;) {
      ssize_t s = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (s >= 0) break;
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        err = errno == ECONNRESET || errno == ENOTCONN ? EPIPE : errno;
        break;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
      if (left <= 0) {
        err = ETIMEDOUT;
        break;
      }
      struct pollfd p = {c->fd, POLLOUT, 0};
      poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
    }
  }
  std::unique_lock<std::mutex> l(c->mu);
  bool asked = false;
  while (err == 0 && !slot.done) {
    auto now = Clock::now();
    if (now >= until) {
      err = ETIMEDOUT;
      break;
    }
    // With a cancel flag, back every 50 ms to look at it.
    auto step = cancel && !asked ? std::min(until, now + std::chrono::milliseconds(50)) : until;
    if (!c->reading && !c->dead) ReceiveOne(c.get(), l, step);
    else slot.cv.wait_until(l, step);
    if (!slot.done && cancel && !asked && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0) {
      asked = true;
      // On the real-time socket: the on-demand one's threads may all be busy with this very
      // batch, and nobody would read the cancel until it ended.
      std::shared_ptr<Conn> rt;
      {
        std::lock_guard<std::mutex> ml(mu_);
        rt = conn_[0];
      }
      proto::Writer cw;
      cw.U32(proto::kMagic);
      cw.U32(proto::kCancel);
      cw.U32(0);
      cw.U32(id);
      cw.U32((req.flags & proto::kScanRealTime) ? 0 : 1);
      l.unlock();
      if (rt) {
        std::lock_guard<std::mutex> sl(rt->send_mu);
        (void)send(rt->fd, cw.bytes().data(), cw.size(), MSG_NOSIGNAL | MSG_DONTWAIT);  // lost: the batch just runs on
      }
      l.lock();
    }
  }
  if (!slot.done) c->pending.erase(id);
  else if (err == 0) err = slot.err;
  // Leaving: whoever still waits must receive for itself now (all are told: the oldest may
  // still be sending, and the first to come takes the receiving over).
  if (!c->reading)
    for (auto& [pid, other] : c->pending) other->cv.notify_one();
  l.unlock();
  std::lock_guard<std::mutex> sl(mu_);
  if (err == 0) {
    stats_.batches++;
    stats_.files += n;
  } else {
    stats_.failures++;
  }
  return err;
}

namespace {

uint32_t FlagsOf(const sb::Options& o, bool real_time) {
  uint32_t f = 0;
  if (o.sha256_always) f |= proto::kScanSha256Always;
  if (o.sha256_matched) f |= proto::kScanSha256Matched;
  if (o.keep_archives_open) f |= proto::kScanArchives;
  if (o.keep_archives_open && o.archive_limits && o.spill) f |= proto::kScanProveArchives;
  if (real_time) f |= proto::kScanRealTime;
  return f;
}

// The caller's fds as scanbatch::ScanFiles would have left them: closed, except an archive to
// walk and a file YARA matched or did not finish (the caller scans it again on its own, to name
// the match): those stay open, kLeftOpen.
void LeaveFds(const sb::Options& o, const int32_t* fds, uint8_t* rec, size_t k) {
  for (size_t i = 0; i < k; i++) {
    uint8_t* one = rec + i * sb::kRecordSize;
    uint32_t flags = sb::Field<uint32_t>(one, sb::kOffFlags);
    if (o.keep_open) continue;
    if (sb::Field<int32_t>(one, sb::kOffStatus) == sb::kScanned &&
        (((flags & sb::kArchive) && !(flags & sb::kArchiveClean)) || (flags & (sb::kYaraMatched | sb::kYaraIncomplete)))) {
      sb::SetField<uint32_t>(one, sb::kOffFlags, flags | sb::kLeftOpen);
      continue;
    }
    if (fds[i] >= 0) close(fds[i]);
  }
}

}  // namespace

bool ScanFiles(const sb::Plan& plan, const int32_t* fds, size_t n, const sb::Options& o, const int32_t* cancel, uint8_t* records,
               const Mode& mode) {
  std::shared_ptr<const RemotePlan> remote = std::atomic_load(&plan.remote);
  if (!remote && plan.yara_set == 0) {
    sb::ScanFiles(plan, fds, n, o, cancel, records);
    return false;
  }
  if (!remote) {
    // YARA runs only in the scanner: without it no file of a plan with rules is clean here,
    // and each goes back to its caller open, to be scanned on its own.
    sb::Options here = o;
    here.keep_open = true;
    here.spill = nullptr;
    here.archive_limits = nullptr;
    sb::ScanFiles(plan, fds, n, here, cancel, records);
    for (size_t i = 0; i < n; i++) {
      uint8_t* rec = records + i * sb::kRecordSize;
      uint32_t flags = sb::Field<uint32_t>(rec, sb::kOffFlags) & ~static_cast<uint32_t>(sb::kLeftOpen);
      if (sb::Field<int32_t>(rec, sb::kOffStatus) == sb::kScanned) flags |= sb::kYaraIncomplete;
      sb::SetField<uint32_t>(rec, sb::kOffFlags, flags);
    }
    LeaveFds(o, fds, records, n);
    return false;
  }
  Request req;
  req.plan = remote->id;
  req.flags = FlagsOf(o, mode.real_time);
  req.max_file_size = o.max_file_size > 0 ? static_cast<uint64_t>(o.max_file_size) : 0;
  req.yara_limit_ms = o.yara_limit_ms;
  if (o.archive_limits) req.limits = *o.archive_limits;
  if (mode.until != Clock::time_point::max()) {
    // The scanner's own deadline comes a little earlier, so its answer (a YARA time limit
    // included) arrives before this side stops waiting.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(mode.until - Clock::now()).count();
    left -= std::min<long long>(50, left / 10);
    req.deadline_ms = static_cast<uint32_t>(std::max<long long>(1, left));
  }
  for (size_t at = 0; at < n; at += proto::kMaxScanFds) {
    const size_t k = std::min(n - at, proto::kMaxScanFds);
    uint8_t* rec = records + at * sb::kRecordSize;
    std::memset(rec, 0, k * sb::kRecordSize);
    if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0) {
      for (size_t i = 0; i < k; i++) sb::SetField<int32_t>(rec + i * sb::kRecordSize, sb::kOffStatus, sb::kCancelled);
    } else {
      const std::string* names = mode.names ? mode.names + at : nullptr;
      const uint64_t generation = remote->link->generation();
      int err = remote->link->Scan(req, fds + at, k, rec, mode.until, names, cancel);
      const bool cancelled = cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0;
      // The scanner went away: its successor gets the batch once more.
      if ((err == ENOTCONN || err == EPIPE) && !cancelled && mode.reattach_wait.count() > 0 &&
          remote->link->WaitNewer(generation, std::min(mode.until, Clock::now() + mode.reattach_wait)))
        err = remote->link->Scan(req, fds + at, k, rec, mode.until, names, cancel);
      if (err != 0 && cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0) {
        for (size_t i = 0; i < k; i++) sb::SetField<int32_t>(rec + i * sb::kRecordSize, sb::kOffStatus, sb::kCancelled);
      } else if (err != 0) {
        std::memset(rec, 0, k * sb::kRecordSize);
        for (size_t i = 0; i < k; i++) {
          sb::SetField<int32_t>(rec + i * sb::kRecordSize, sb::kOffStatus, sb::kScanError);
          sb::SetField<int32_t>(rec + i * sb::kRecordSize, sb::kOffDetail, err == ETIMEDOUT ? kDetailScannerLate : kDetailScannerUnavailable);
        }
      }
    }
    LeaveFds(o, fds + at, rec, k);
  }
  return true;
}

}  // namespace contentlink
}  // namespace wdav
