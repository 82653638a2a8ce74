// native/scanner/protocol.h — the messages between the broker (the daemon, root) and the
// scanner process (wdav-scanner, unprivileged), over one SOCK_SEQPACKET socket: one request or
// one reply per packet, a file descriptor rides along with SCM_RIGHTS. Every integer is
// little-endian u32; a string is u32 length + bytes. Both sides treat the other's bytes as
// hostile: every length is checked against what the packet holds.
// Owns: the wire layout. Must not: scan, or know about processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wdav {
namespace scanner {

constexpr uint32_t kMagic = 0x57445331;            // "WDS1"
constexpr size_t kMaxPacket = 256 * 1024;          // a request or a reply, whole
constexpr size_t kMaxRulesBytes = 256u << 20;      // a rule bundle (memfd) the scanner reads

enum Op : uint32_t {
  kPing = 1,       // -> kOk, payload: pid u32, uid u32, threads u32
  kLoadYara = 2,   // payload: set u32; fd: a bundle of rule sources (below) -> kOk (or kNoRules:
                   // nothing compiled, no set made): loaded u32, rules u32, count u32,
                   // errors (file, line u32, message). Compiled on a thread of its own: scans on
                   // the sets already loaded go on meanwhile. A set id already in use is replaced.
  kScan = 3,       // fd: the file; payload: set u32, limit_ms u32, max_bytes u32, deadline_ms u32
                   // (0: none; else the scan ends that long after the request arrived, waiting
                   // included), flags u32 (kRealTime) -> elapsed_us u32 [+ count u32, matches
                   // (rule, namespace, metas u32, metas (id, kind u32: 0 int 1 string 2 bool,
                   // value as a string))] with kOk, kTimeout or kCancelled
  kTestOpen = 4,   // payload: path (only with --test-hooks) -> errno u32 (0: it opened)
  kCancel = 5,     // payload: the id of a kScan -> found u32 (its own reply says kCancelled)
  kRelease = 6,    // payload: set u32 -> kOk; scans running on it finish first
  kLoadPlan = 7,   // payload: plan u32; fd: a sealed memfd holding a plan bundle
                   // (core/plan_bundle.h), mapped read-only -> kOk. A plan id in use is replaced.
  kReleasePlan = 8,  // payload: plan u32 -> kOk; scans running on it finish first
  // On the content socket (fd 4) only, from the broker's native threads (core/content_link.h):
  kScanFiles = 9,  // fds: 1..kMaxScanFds files; payload: plan u32, flags u32 (kScan*),
                   // max_file_size u64 (0: no limit), deadline_ms u32 (0: none; counted from
                   // arrival, waiting included), yara_limit_ms u32 (0: the plan's), archive limits (with kScanProveArchives: 5 × u64
                   // depth, files, scan size, file size, ratio-min size, then the ratio as f64)
                   // -> kOk: count u32, count × scanbatch record (kRecordSize bytes), in the fds'
                   // order; kTimeout when the deadline passed before a thread took it.
  // kCancel on a content socket: payload: the id of a kScanFiles and the socket it came on
  // (u32: 0 real time, 1 on demand); no reply of its own — the batch's files not read yet come
  // back as scanbatch kCancelled and its YARA scan stops.
};

constexpr uint32_t kScanSha256Always = 1;   // kScanFiles flags: scanbatch::Options, same names
constexpr uint32_t kScanSha256Matched = 2;
constexpr uint32_t kScanArchives = 4;        // keep_archives_open: archive candidates flagged
constexpr uint32_t kScanProveArchives = 8;   // and proven clean here when they can be
constexpr uint32_t kScanRealTime = 16;       // taken before on-demand batches
constexpr size_t kMaxScanFds = 64;           // files in one kScanFiles request

constexpr uint32_t kRealTime = 1;  // kScan flag: taken before on-demand scans, may use every thread

enum Status : uint32_t {
  kOk = 0,
  kTimeout = 1,
  kCancelled = 2,
  kError = 3,
  kNoRules = 4,
  kBadRequest = 5,
  kBusy = 6,       // the scan queue is full
};

// Request header: magic, op, id (echoed in the reply), then the op's payload.
// Reply header: magic, op, id, status, then the op's payload (kError: message string).
// Replies come in the order work finishes, not the order of the requests: match them by id.
// Rule bundle (kLoadYara's fd, read from offset 0): count u32, then per unit: file string,
// namespace string, per_line u32 (0/1), source string.

class Writer {
 public:
  void U32(uint32_t v) {
    for (int i = 0; i < 4; i++) buf_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  void U64(uint64_t v) {
    U32(static_cast<uint32_t>(v));
    U32(static_cast<uint32_t>(v >> 32));
  }
  void Raw(const void* p, size_t n) { buf_.append(static_cast<const char*>(p), n); }
  void Str(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    buf_.append(s);
  }
  void Append(const Writer& other) { buf_ += other.buf_; }
  const std::string& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }

 private:
  std::string buf_;
};

class Reader {
 public:
  Reader(const char* p, size_t n) : p_(p), n_(n) {}
  bool U32(uint32_t* v) {
    if (n_ - off_ < 4) return false;
    uint32_t r = 0;
    for (int i = 0; i < 4; i++) r |= static_cast<uint32_t>(static_cast<uint8_t>(p_[off_ + i])) << (8 * i);
    off_ += 4;
    *v = r;
    return true;
  }
  bool U64(uint64_t* v) {
    uint32_t lo, hi;
    if (!U32(&lo) || !U32(&hi)) return false;
    *v = (static_cast<uint64_t>(hi) << 32) | lo;
    return true;
  }
  // The next n bytes, or null when fewer are left.
  const char* Raw(size_t n) {
    if (n_ - off_ < n) return nullptr;
    const char* at = p_ + off_;
    off_ += n;
    return at;
  }
  bool Str(std::string* s, size_t max) {
    uint32_t len;
    if (!U32(&len) || len > max || n_ - off_ < len) return false;
    s->assign(p_ + off_, len);
    off_ += len;
    return true;
  }
  bool done() const { return off_ == n_; }

 private:
  const char* p_;
  size_t n_;
  size_t off_ = 0;
};

}  // namespace scanner
}  // namespace wdav
