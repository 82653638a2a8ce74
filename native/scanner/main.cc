// native/scanner/main.cc — wdav-scanner: the unprivileged process that parses hostile content
// for the broker (the daemon). It is started by the broker as root with the broker's end of a
// SOCK_SEQPACKET socket pair as fd 3 (control) and, when given, two more as fds 4 and 5 (the
// content pass, real time and on demand: content.h), confines itself (sandbox.h) and then serves requests (protocol.h): rule
// bundles to compile into numbered rule sets, files (as fds) to YARA-scan on a set with a time
// limit, scan plans to hold for the content pass. The main thread only reads requests; scans run on a pool of threads
// (core/yara_pool.h: real-time first, on-demand on at most half), compiles on a thread of their
// own, and each answers when it is done, so a slow file or a reload never holds up the others.
// It opens nothing by path: every file it reads arrives as an fd.
//   wdav-scanner --uid UID --gid GID [--threads N] [--memory-limit-mb N] [--test-hooks]
// --test-hooks enables what only tests may ask for: kTestOpen (try open() by path, report
// errno) and the crash marker (a scanned file that starts with kCrashMarker aborts the process,
// so the broker's handling of a scanner crash can be shown on a real crash).
// Owns: the request loop, the rule sets and the scan threads. Must not: decide verdicts or policy.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <fcntl.h>
#include <malloc.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/yara_pool.h"
#include "core/yara_rules.h"
#include "scanner/content.h"
#include "scanner/protocol.h"
#include "scanner/packets.h"
#include "scanner/sandbox.h"

namespace {

using namespace wdav::scanner;
namespace yara = wdav::yara;

constexpr int kSock = 3;
constexpr int kMaxCompiles = 2;        // rule bundles compiling at once; more are refused (kBusy)
constexpr size_t kQueueCapacity = 4096;  // scans queued; the broker keeps fewer in flight

struct State {
  bool test_hooks = false;
  size_t threads = 4;
  std::unique_ptr<yara::Pool> pool;
  std::mutex sets_mu;
  std::map<uint32_t, std::shared_ptr<yara::Rules>> sets;
  std::atomic<int> compiling{0};
};

std::mutex g_send_mu;  // replies come from the scan and compile threads too

bool SendReply(uint32_t op, uint32_t id, uint32_t status, const std::string& payload) {
  return SendReplyPacket(kSock, g_send_mu, op, id, status, payload);
}

bool Error(uint32_t op, uint32_t id, uint32_t status, const std::string& message) {
  Writer w;
  w.Str(message);
  return SendReply(op, id, status, w.bytes());
}

// Reads a whole rule bundle from a memfd or file the broker passed, bounded.
bool ReadAll(int fd, std::string* out, std::string* error) {
  struct stat st;
  if (fstat(fd, &st) != 0) return (*error = std::string("fstat: ") + std::strerror(errno), false);
  if (!S_ISREG(st.st_mode)) return (*error = "the rule bundle is not a regular file", false);
  if (static_cast<uint64_t>(st.st_size) > kMaxRulesBytes) return (*error = "the rule bundle is larger than 256 MiB", false);
  out->resize(static_cast<size_t>(st.st_size));
  size_t off = 0;
  while (off < out->size()) {
    ssize_t n = pread(fd, &(*out)[off], out->size() - off, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return (*error = std::string("read: ") + std::strerror(errno), false);
    if (n == 0) break;
    off += static_cast<size_t>(n);
  }
  out->resize(off);
  return true;
}

void Compile(State* s, uint32_t id, uint32_t set, std::vector<yara::Unit> units) {
  std::vector<yara::CompileError> errors;
  size_t loaded = 0;
  std::string fatal;
  auto rules = yara::Rules::Compile(units, &errors, &loaded, &fatal);
  std::vector<yara::Unit>().swap(units);
  malloc_trim(0);  // the sources and libyara's compiler state are gone: give their pages back
  if (!fatal.empty()) {
    s->compiling--;
    Error(kLoadYara, id, kError, fatal);
    return;
  }
  if (rules) {
    std::lock_guard<std::mutex> l(s->sets_mu);
    s->sets[set] = rules;
  }
  Writer w;
  w.U32(static_cast<uint32_t>(loaded));
  w.U32(rules ? static_cast<uint32_t>(rules->rule_count()) : 0);
  size_t listed = std::min<size_t>(errors.size(), 200);
  w.U32(static_cast<uint32_t>(listed));
  for (size_t i = 0; i < listed; i++) {
    w.Str(errors[i].file.substr(0, 1024));
    w.U32(static_cast<uint32_t>(errors[i].line));
    w.Str(errors[i].message.substr(0, 1024));
  }
  s->compiling--;
  SendReply(kLoadYara, id, rules ? kOk : kNoRules, w.bytes());
}

bool LoadYara(State& s, uint32_t id, int fd, Reader& args) {
  uint32_t set;
  if (fd < 0 || !args.U32(&set) || !args.done()) return Error(kLoadYara, id, kBadRequest, "loadYara: fd and set expected");
  std::string bundle, error;
  if (!ReadAll(fd, &bundle, &error)) return Error(kLoadYara, id, kError, error);
  Reader r(bundle.data(), bundle.size());
  uint32_t count;
  if (!r.U32(&count) || count > 1000000) return Error(kLoadYara, id, kBadRequest, "bad rule bundle header");
  std::vector<yara::Unit> units;
  for (uint32_t i = 0; i < count; i++) {
    yara::Unit u;
    uint32_t per_line;
    if (!r.Str(&u.file, 4096) || !r.Str(&u.ns, 256) || !r.U32(&per_line) || !r.Str(&u.source, kMaxRulesBytes))
      return Error(kLoadYara, id, kBadRequest, "bad rule bundle: unit " + std::to_string(i) + " is cut short");
    u.per_line = per_line != 0;
    units.push_back(std::move(u));
  }
  if (!r.done()) return Error(kLoadYara, id, kBadRequest, "bad rule bundle: bytes after the last unit");
  if (++s.compiling > kMaxCompiles) {
    s.compiling--;
    return Error(kLoadYara, id, kBusy, "rule bundles are already compiling");
  }
  try {
    std::thread(Compile, &s, id, set, std::move(units)).detach();
  } catch (const std::system_error& e) {
    s.compiling--;
    return Error(kLoadYara, id, kError, std::string("no thread to compile on: ") + e.what());
  }
  return true;
}

void ScanDone(yara::Job* raw) {
  std::unique_ptr<yara::Job> j(raw);
  close(j->fd);
  const yara::Outcome& o = j->outcome;
  uint32_t id = static_cast<uint32_t>(j->id);
  Writer w;
  w.U32(static_cast<uint32_t>(std::min<uint64_t>(o.elapsed_ns / 1000, 0xffffffffu)));
  if (o.status == yara::Status::kError) {
    w.Str(o.error);
    SendReply(kScan, id, kError, w.bytes());
    return;
  }
  if (o.status == yara::Status::kTimeout) return void(SendReply(kScan, id, kTimeout, w.bytes()));
  if (o.status == yara::Status::kCancelled) return void(SendReply(kScan, id, kCancelled, w.bytes()));
  // As many matches as fit the packet (at most 100), each with up to 16 metas.
  Writer list;
  uint32_t listed = 0;
  for (const yara::Match& m : o.matches) {
    if (listed == 100) break;
    Writer one;
    one.Str(m.rule.substr(0, 1024));
    one.Str(m.ns.substr(0, 256));
    size_t metas = std::min<size_t>(m.metas.size(), 16);
    one.U32(static_cast<uint32_t>(metas));
    for (size_t i = 0; i < metas; i++) {
      const yara::Meta& x = m.metas[i];
      one.Str(x.id.substr(0, 64));
      one.U32(static_cast<uint32_t>(x.kind));
      one.Str(x.kind == yara::Meta::kString ? x.text.substr(0, 256) : std::to_string(x.number));
    }
    if (list.size() + one.size() > kMaxPacket - 4096) break;
    list.Append(one);
    listed++;
  }
  w.U32(listed);
  w.Append(list);
  SendReply(kScan, id, kOk, w.bytes());
}

// Takes `fd` (sets it to -1) when the scan is queued: the job closes it when done.
bool Scan(State& s, uint32_t id, int& fd, Reader& args) {
  uint32_t set, limit_ms, max_bytes, deadline_ms, flags;
  if (fd < 0 || !args.U32(&set) || !args.U32(&limit_ms) || !args.U32(&max_bytes) || !args.U32(&deadline_ms) || !args.U32(&flags) || !args.done())
    return Error(kScan, id, kBadRequest, "scan: fd, set, limit_ms, max_bytes, deadline_ms and flags expected");
  if (s.test_hooks && StartsWithCrashMarker(fd)) abort();
  std::shared_ptr<yara::Rules> rules;
  {
    std::lock_guard<std::mutex> l(s.sets_mu);
    auto it = s.sets.find(set);
    if (it != s.sets.end()) rules = it->second;
  }
  if (!rules) return Error(kScan, id, kNoRules, "no YARA rule set " + std::to_string(set));
  auto job = std::make_unique<yara::Job>();
  job->id = id;
  job->real_time = (flags & kRealTime) != 0;
  job->rules = std::move(rules);
  job->fd = fd;
  job->max_bytes = max_bytes;
  job->limit_ns = static_cast<uint64_t>(limit_ms == 0 ? 1 : limit_ms) * 1000000ull;
  if (deadline_ms != 0) {
    job->has_deadline = true;
    job->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(deadline_ms);
  }
  job->done = ScanDone;
  bool full = false;
  if (!s.pool->Submit(std::move(job), &full)) return Error(kScan, id, full ? kBusy : kError, full ? "the scan queue is full" : "the scan threads are stopped");
  fd = -1;  // the job owns it now
  return true;
}

bool Cancel(State& s, uint32_t id, Reader& args) {
  uint32_t target;
  if (!args.U32(&target) || !args.done()) return Error(kCancel, id, kBadRequest, "cancel: the scan's id expected");
  Writer w;
  w.U32(s.pool->Cancel(nullptr, target) ? 1 : 0);
  return SendReply(kCancel, id, kOk, w.bytes());
}

bool Release(State& s, uint32_t id, Reader& args) {
  uint32_t set;
  if (!args.U32(&set) || !args.done()) return Error(kRelease, id, kBadRequest, "release: set expected");
  std::shared_ptr<yara::Rules> gone;  // freed outside the lock, or by the last scan on it
  {
    std::lock_guard<std::mutex> l(s.sets_mu);
    auto it = s.sets.find(set);
    if (it != s.sets.end()) {
      gone = std::move(it->second);
      s.sets.erase(it);
    }
  }
  // A rule set is tens of MB, compiled on a thread (and so an allocator arena) of its own:
  // without a trim its pages stay with the process after it is freed, and every reload adds.
  bool last = gone.use_count() == 1;
  gone.reset();
  if (last) malloc_trim(0);
  return SendReply(kRelease, id, kOk, "");
}

bool LoadPlanOp(uint32_t id, int fd, Reader& args) {
  uint32_t plan;
  if (fd < 0 || !args.U32(&plan) || !args.done()) return Error(kLoadPlan, id, kBadRequest, "loadPlan: fd and plan expected");
  std::string error;
  if (!LoadPlan(plan, fd, &error)) return Error(kLoadPlan, id, kError, error);
  return SendReply(kLoadPlan, id, kOk, "");
}

bool ReleasePlanOp(uint32_t id, Reader& args) {
  uint32_t plan;
  if (!args.U32(&plan) || !args.done()) return Error(kReleasePlan, id, kBadRequest, "releasePlan: plan expected");
  ReleasePlan(plan);
  malloc_trim(0);
  return SendReply(kReleasePlan, id, kOk, "");
}

bool TestOpen(State& s, uint32_t id, Reader& args) {
  std::string path;
  if (!s.test_hooks) return Error(kTestOpen, id, kBadRequest, "test hooks are off");
  if (!args.Str(&path, 4096)) return Error(kTestOpen, id, kBadRequest, "path expected");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  uint32_t err = fd >= 0 ? 0 : static_cast<uint32_t>(errno);
  if (fd >= 0) close(fd);
  Writer w;
  w.U32(err);
  return SendReply(kTestOpen, id, kOk, w.bytes());
}

// One request: returns false when the socket is closed or broken (the process ends).
bool Serve(State& s, std::vector<char>& packet) {
  std::vector<int> fds;
  bool truncated = false;
  ssize_t n = ReceivePacket<4>(kSock, packet, &fds, &truncated);
  if (n <= 0) return false;
  int fd = fds.size() == 1 ? fds[0] : -1;
  Reader r(packet.data(), static_cast<size_t>(n));
  uint32_t magic = 0, op = 0, id = 0;
  bool ok;
  if (!r.U32(&magic) || magic != kMagic || !r.U32(&op) || !r.U32(&id) || truncated || fds.size() > 1) {
    ok = Error(op, id, kBadRequest, "malformed request");
  } else {
    switch (op) {
      case kPing: {
        Writer w;
        w.U32(static_cast<uint32_t>(getpid()));
        w.U32(static_cast<uint32_t>(geteuid()));
        w.U32(static_cast<uint32_t>(s.threads));
        ok = SendReply(kPing, id, kOk, w.bytes());
        break;
      }
      case kLoadYara: ok = LoadYara(s, id, fd, r); break;
      case kScan: ok = Scan(s, id, fd, r); break;
      case kTestOpen: ok = TestOpen(s, id, r); break;
      case kCancel: ok = Cancel(s, id, r); break;
      case kRelease: ok = Release(s, id, r); break;
      case kLoadPlan: ok = LoadPlanOp(id, fd, r); break;
      case kReleasePlan: ok = ReleasePlanOp(id, r); break;
      default: ok = Error(op, id, kBadRequest, "unknown request " + std::to_string(op));
    }
  }
  if (fds.size() == 1 && fd < 0) fds.clear();  // taken by a scan job
  for (int f : fds) close(f);
  return ok;
}

bool ParseUint(const char* s, unsigned long max, unsigned long* out) {
  char* end = nullptr;
  errno = 0;
  unsigned long v = std::strtoul(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v > max) return false;
  *out = v;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  SandboxOptions o;
  State s;
  unsigned long memory_mb = 1024;
  bool have_uid = false, have_gid = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    unsigned long v;
    auto next = [&](unsigned long max) { return i + 1 < argc && ParseUint(argv[++i], max, &v); };
    if (a == "--uid" && next(0xfffffffe)) o.uid = static_cast<uid_t>(v), have_uid = true;
    else if (a == "--gid" && next(0xfffffffe)) o.gid = static_cast<gid_t>(v), have_gid = true;
    else if (a == "--memory-limit-mb" && next(1u << 20)) memory_mb = v;
    else if (a == "--threads" && next(64) && v > 0) s.threads = v;
    else if (a == "--test-hooks") s.test_hooks = true;
    else {
      std::fprintf(stderr, "wdav-scanner: bad argument %s\nusage: wdav-scanner --uid UID --gid GID [--threads N] [--memory-limit-mb N] [--test-hooks]\n", argv[i]);
      return 2;
    }
  }
  if (!have_uid || !have_gid) {
    std::fprintf(stderr, "wdav-scanner: --uid and --gid are required\n");
    return 2;
  }
  int type = 0;
  socklen_t len = sizeof type;
  if (getsockopt(kSock, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) {
    std::fprintf(stderr, "wdav-scanner: fd 3 must be the broker's SOCK_SEQPACKET socket\n");
    return 2;
  }
  // fds 4 and 5, when the broker gives them, carry the content pass (content.h).
  o.keep_content = true;
  for (int fd : {kContentSock, kOnDemandSock}) {
    type = 0;
    len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_SEQPACKET) o.keep_content = false;
  }
  o.memory_limit_bytes = memory_mb << 20;
  std::string error;
  if (!Confine(o, &error)) {
    std::fprintf(stderr, "wdav-scanner: %s\n", error.c_str());
    return 1;
  }
  // libyara's global state is set up by the first compile; a trivial one does it now, while
  // files may still be opened, so nothing later needs more than the seccomp filter allows.
  {
    std::vector<yara::CompileError> errors;
    size_t loaded = 0;
    std::string fatal;
    yara::Rules::Compile({{"init", "rule wdav_scanner_init { condition: false }", "", false}}, &errors, &loaded, &fatal);
    if (!fatal.empty()) {
      std::fprintf(stderr, "wdav-scanner: libyara: %s\n", fatal.c_str());
      return 1;
    }
  }
  if (!LockSyscalls(&error)) {
    std::fprintf(stderr, "wdav-scanner: %s\n", error.c_str());
    return 1;
  }
  s.pool = std::make_unique<yara::Pool>(s.threads, kQueueCapacity);
  if (o.keep_content)
    StartContent(s.threads, s.test_hooks, [&s](uint32_t set) -> std::shared_ptr<yara::Rules> {
      std::lock_guard<std::mutex> l(s.sets_mu);
      auto it = s.sets.find(set);
      return it == s.sets.end() ? nullptr : it->second;
    });
  std::vector<char> packet(kMaxPacket);
  while (Serve(s, packet)) {
  }
  int err = errno;
  if (err != 0 && err != ECONNRESET) std::fprintf(stderr, "wdav-scanner: the broker socket failed: %s\n", std::strerror(err));
  // The broker closed its end: nobody waits for the scans and compiles still running, so the
  // process ends without joining them (no destructors racing the threads).
  std::fflush(stderr);
  _exit(err != 0 && err != ECONNRESET ? 1 : 0);
}
