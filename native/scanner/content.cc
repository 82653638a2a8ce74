// native/scanner/content.cc — see content.h.
#include "scanner/content.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/plan_bundle.h"
#include "core/scanbatch.h"
#include "scanner/protocol.h"
#include "scanner/packets.h"

namespace wdav {
namespace scanner {

namespace {

namespace sb = scanbatch;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxPlanBytes = size_t{512} << 20;
constexpr size_t kSpillBytes = size_t{1} << 20;  // = SPILL_BYTES in src/engine/batch.ts

struct Batch {
  Batch() = default;
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  ~Batch() {
    for (int fd : fds) close(fd);  // whatever path it took, its fds do not outlive it
  }
  uint32_t id = 0;
  std::shared_ptr<const sb::Plan> plan;
  uint32_t flags = 0;
  uint64_t max_file_size = 0;
  archclean::Limits limits;
  bool has_deadline = false;
  Clock::time_point deadline;
  std::vector<int> fds;
  uint32_t yara_limit_ms = 0;  // 0: the plan's
  int32_t cancel = 0;  // read by ScanFiles between chunks (__atomic), set by a kCancel
  yara::ScanControl yara_control;  // a kCancel stops its YARA scans too
};

struct Content {
  bool test_hooks = false;
  YaraLookup yara;
  std::mutex plans_mu;
  std::map<uint32_t, std::shared_ptr<const sb::Plan>> plans;
  std::mutex running_mu;
  std::map<std::pair<int, uint32_t>, Batch*> running;  // (socket, id) → the batch, for kCancel
  std::mutex send_mu[2];
};

Content* g = nullptr;

bool Send(int sock, uint32_t id, uint32_t status, const std::string& payload) {
  return SendReplyPacket(sock, g->send_mu[sock == kContentSock ? 0 : 1], kScanFiles, id, status, payload);
}

bool Fail(int sock, uint32_t id, uint32_t status, const std::string& message) {
  Writer w;
  w.Str(message);
  return Send(sock, id, status, w.bytes());
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) close(fd);
  fds.clear();
}

// YARA last, on the files whose verdict it can change: not those a body signature matched or a
// hash table holds (detected, or allow-listed: the broker decides which). The time limit is the
// plan's, within the batch's deadline.
void RunYara(Batch& b, uint8_t* recs, size_t n) {
  std::shared_ptr<yara::Rules> rules = g->yara ? g->yara(b.plan->yara_set) : nullptr;
  thread_local std::vector<uint8_t> buf;
  for (size_t i = 0; i < n; i++) {
    uint8_t* rec = recs + i * sb::kRecordSize;
    if (sb::Field<int32_t>(rec, sb::kOffStatus) != sb::kScanned) continue;
    uint32_t flags = sb::Field<uint32_t>(rec, sb::kOffFlags);
    if (sb::Field<int32_t>(rec, sb::kOffBody) >= 0 || (flags & sb::kHashHit)) continue;
    const double bytes = sb::Field<double>(rec, sb::kOffBytes);
    if (bytes > static_cast<double>(b.plan->yara_max_bytes)) {
      flags |= sb::kYaraSkipped;
    } else {
      uint64_t limit_ms = b.yara_limit_ms != 0 ? b.yara_limit_ms : b.plan->yara_limit_ms;
      if (b.has_deadline) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(b.deadline - Clock::now()).count();
        limit_ms = std::min<uint64_t>(limit_ms, static_cast<uint64_t>(std::max<long long>(1, left)));
      }
      yara::Outcome out;
      if (rules) out = yara::ScanFd(*rules, b.fds[i], b.plan->yara_max_bytes, limit_ms * 1000000ull, &b.yara_control, &buf);
      if (rules && out.status == yara::Status::kTimeout) flags |= sb::kYaraTimeout;
      else if (!rules || out.status != yara::Status::kOk) flags |= sb::kYaraIncomplete;
      else if (!out.matches.empty()) flags |= sb::kYaraMatched;
    }
    sb::SetField(rec, sb::kOffFlags, flags);
  }
  if (buf.capacity() > (4u << 20)) std::vector<uint8_t>().swap(buf);  // a big file's buffer is not kept
}

void Run(int sock, Batch& b, uint8_t* spill) {
  if (b.has_deadline && Clock::now() >= b.deadline) {
    Fail(sock, b.id, kTimeout, "the deadline passed before a thread was free");
    return;
  }
  if (g->test_hooks)
    for (int fd : b.fds)
      if (StartsWithCrashMarker(fd)) abort();
  sb::Options o;
  o.max_file_size = static_cast<int64_t>(std::min<uint64_t>(b.max_file_size, INT64_MAX));
  o.sha256_always = (b.flags & kScanSha256Always) != 0;
  o.sha256_matched = (b.flags & kScanSha256Matched) != 0;
  o.keep_open = true;  // closed below, all of them: the broker keeps its own
  o.keep_archives_open = (b.flags & kScanArchives) != 0;
  if (b.flags & kScanProveArchives) {
    o.spill = spill;
    o.spill_cap = kSpillBytes;
    o.archive_limits = &b.limits;
  }
  std::string records(b.fds.size() * sb::kRecordSize, '\0');
  uint8_t* rec = reinterpret_cast<uint8_t*>(&records[0]);
  sb::ScanFiles(*b.plan, b.fds.data(), b.fds.size(), o, &b.cancel, rec);
  const size_t n = b.fds.size();
  if (b.plan->yara_set != 0) RunYara(b, rec, n);
  CloseAll(b.fds);
  // The spill is this process's memory: the broker reads an unproven archive through its own fd.
  for (size_t i = 0; i < n; i++) {
    uint8_t* one = rec + i * sb::kRecordSize;
    sb::SetField(one, sb::kOffFlags, sb::Field<uint32_t>(one, sb::kOffFlags) & ~static_cast<uint32_t>(sb::kInSpill | sb::kLeftOpen));
  }
  Writer w;
  w.U32(static_cast<uint32_t>(n));
  w.Raw(records.data(), records.size());
  Send(sock, b.id, kOk, w.bytes());
}

// Parses one request: a kCancel is applied here; a kScanFiles comes back as a batch that owns
// the fds (null: refused, answered and its fds closed).
std::unique_ptr<Batch> Accept(int sock, const char* p, size_t n, std::vector<int>& fds, bool truncated) {
  Reader r(p, n);
  uint32_t magic = 0, op = 0, id = 0;
  if (r.U32(&magic) && magic == kMagic && r.U32(&op) && op == kCancel && r.U32(&id) && fds.empty()) {
    uint32_t target, lane;
    if (!r.U32(&target) || !r.U32(&lane) || !r.done()) return nullptr;
    std::lock_guard<std::mutex> l(g->running_mu);
    auto it = g->running.find({lane == 0 ? kContentSock : kOnDemandSock, target});
    if (it != g->running.end()) {
      __atomic_store_n(&it->second->cancel, 1, __ATOMIC_RELAXED);
      it->second->yara_control.Stop();
    }
    return nullptr;
  }
  r = Reader(p, n);
  if (!r.U32(&magic) || magic != kMagic || !r.U32(&op) || !r.U32(&id) || truncated || op != kScanFiles) {
    CloseAll(fds);
    Fail(sock, id, kBadRequest, "malformed content request");
    return nullptr;
  }
  auto b = std::make_unique<Batch>();
  b->id = id;
  uint32_t plan, deadline_ms;
  if (!r.U32(&plan) || !r.U32(&b->flags) || !r.U64(&b->max_file_size) || !r.U32(&deadline_ms) || !r.U32(&b->yara_limit_ms)) {
    CloseAll(fds);
    Fail(sock, id, kBadRequest, "scanFiles: plan, flags, max_file_size, deadline_ms and yara_limit_ms expected");
    return nullptr;
  }
  if (b->flags & kScanProveArchives) {
    uint64_t ratio_bits;
    archclean::Limits& l = b->limits;
    if (!r.U64(&l.max_depth) || !r.U64(&l.max_files) || !r.U64(&l.max_scan_size) || !r.U64(&l.max_file_size) || !r.U64(&l.ratio_min_size) ||
        !r.U64(&ratio_bits)) {
      CloseAll(fds);
      Fail(sock, id, kBadRequest, "scanFiles: archive limits expected");
      return nullptr;
    }
    std::memcpy(&l.max_ratio, &ratio_bits, sizeof l.max_ratio);
  }
  if (!r.done() || fds.empty() || fds.size() > kMaxScanFds) {
    CloseAll(fds);
    Fail(sock, id, kBadRequest, "scanFiles: 1.." + std::to_string(kMaxScanFds) + " files and nothing after the arguments expected");
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> l(g->plans_mu);
    auto it = g->plans.find(plan);
    if (it != g->plans.end()) b->plan = it->second;
  }
  if (!b->plan) {
    CloseAll(fds);
    Fail(sock, id, kNoRules, "no scan plan " + std::to_string(plan));
    return nullptr;
  }
  if (deadline_ms != 0) {
    b->has_deadline = true;
    b->deadline = Clock::now() + std::chrono::milliseconds(deadline_ms);
  }
  b->fds.swap(fds);
  return b;
}

// A thread of the content pass: receives a request and runs it, on one socket. Several threads
// wait on each socket; the kernel hands a packet to one of them (a datagram socket's waiters
// are woken one at a time), so a request costs one wake-up here and never waits behind a
// hand-off between threads.
void Serve(int sock) {
  pthread_setname_np(pthread_self(), sock == kContentSock ? "wdav-content" : "wdav-content-od");
  std::vector<char> packet(kMaxPacket);
  std::vector<int> fds;
  std::unique_ptr<uint8_t[]> spill;
  for (;;) {
    bool truncated = false;
    ssize_t n = ReceivePacket<kMaxScanFds>(sock, packet, &fds, &truncated);
    if (n <= 0) {
      // The broker closed the content socket: it is going away or restarting us.
      std::fflush(stderr);
      _exit(0);
    }
    std::unique_ptr<Batch> b = Accept(sock, packet.data(), static_cast<size_t>(n), fds, truncated);
    if (!b) continue;
    if ((b->flags & kScanProveArchives) && !spill) spill.reset(new uint8_t[kSpillBytes]);
    {
      std::lock_guard<std::mutex> l(g->running_mu);
      g->running[{sock, b->id}] = b.get();
    }
    Run(sock, *b, spill.get());
    std::lock_guard<std::mutex> l(g->running_mu);
    g->running.erase({sock, b->id});
  }
}

}  // namespace

bool StartsWithCrashMarker(int fd) {
  char head[sizeof(kCrashMarker) - 1];
  ssize_t n = pread(fd, head, sizeof head, 0);
  return n == static_cast<ssize_t>(sizeof head) && std::memcmp(head, kCrashMarker, sizeof head) == 0;
}

void StartContent(size_t threads, bool test_hooks, YaraLookup yara) {
  g = new Content();  // lives as long as the process: its threads are never joined
  g->test_hooks = test_hooks;
  g->yara = std::move(yara);
  // Two pools, one per socket, so on-demand batches never hold a thread a real-time request
  // needs. The on-demand pool is as large as the real-time one: how many batches run at once is
  // the broker's lanes (maximumOnDemandScanThreads), one request each; half as many threads made
  // a 2-CPU machine scan on one.
  for (size_t i = 0; i < threads; i++) std::thread(Serve, kContentSock).detach();
  for (size_t i = 0; i < threads; i++) std::thread(Serve, kOnDemandSock).detach();
}

bool LoadPlan(uint32_t id, int fd, std::string* error) {
  if (!g) return (*error = "the scanner has no content socket", false);
  struct stat st;
  if (fstat(fd, &st) != 0) return (*error = std::string("fstat: ") + std::strerror(errno), false);
  if (!S_ISREG(st.st_mode) || st.st_size <= 0) return (*error = "the plan bundle is not a non-empty regular file", false);
  if (static_cast<uint64_t>(st.st_size) > kMaxPlanBytes) return (*error = "the plan bundle is larger than 512 MiB", false);
  // Sealed: the broker cannot change the tables under the views that were checked.
  int seals = fcntl(fd, F_GET_SEALS);
  const int need = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW;
  if (seals < 0 || (seals & need) != need) return (*error = "the plan bundle is not a sealed memfd", false);
  size_t len = static_cast<size_t>(st.st_size);
  void* map = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return (*error = std::string("mmap: ") + std::strerror(errno), false);
  std::shared_ptr<void> owner(map, [len](void* p) { munmap(p, len); });
  auto plan = planbundle::Decode(static_cast<const uint8_t*>(map), len, owner, error);
  if (!plan) return false;
  std::shared_ptr<const sb::Plan> gone;
  std::lock_guard<std::mutex> l(g->plans_mu);
  auto& slot = g->plans[id];
  gone = std::move(slot);
  slot = std::move(plan);
  return true;
}

void ReleasePlan(uint32_t id) {
  if (!g) return;
  std::shared_ptr<const sb::Plan> gone;
  std::lock_guard<std::mutex> l(g->plans_mu);
  auto it = g->plans.find(id);
  if (it == g->plans.end()) return;
  gone = std::move(it->second);
  g->plans.erase(it);
}

}  // namespace scanner
}  // namespace wdav
