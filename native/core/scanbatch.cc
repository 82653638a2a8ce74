// native/core/scanbatch.cc — see scanbatch.h. Digests use the OpenSSL that Node itself links
// (headers under Node's include dir, symbols resolved from the node binary at load time): the
// same implementations node:crypto uses, SHA-NI included, without a second copy.
#include "core/scanbatch.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

// The one-shot-context API is deprecated in OpenSSL 3 in favour of EVP, whose per-file context
// creation and provider lookup cost more than hashing a small file; it stays available.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/md5.h>
#include <openssl/sha.h>

namespace wdav {
namespace scanbatch {

void SizeSet::Seal() {
  std::sort(sizes.begin(), sizes.end());
  sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
  sizes.shrink_to_fit();
}

bool SizeSet::Wants(uint64_t size) const {
  if (any) return true;
  // Signature sizes are uint32 (ClamAV's too); 0xffffffff is the `*` marker, never a size.
  if (size >= 0xffffffffULL) return false;
  return std::binary_search(sizes.begin(), sizes.end(), static_cast<uint32_t>(size));
}

bool HashTableView::Has(const uint8_t* digest, size_t d, uint64_t size) const {
  const size_t w = d + 12;
  const size_t b = (static_cast<size_t>(digest[0]) << 8) | digest[1];
  size_t lo = buckets[b];
  const size_t end = buckets[b + 1];
  auto sizeOk = [&](size_t i) {
    const uint8_t* p = records + i * w + d;
    uint32_t s = (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3];
    return s == 0xffffffffU || static_cast<uint64_t>(s) == size;
  };
  if (end - lo <= kSmallBucket) {
    for (size_t i = lo; i < end; i++)
      if (std::memcmp(records + i * w + 2, digest + 2, d - 2) == 0 && sizeOk(i)) return true;
    return false;
  }
  size_t hi = end;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (std::memcmp(records + mid * w, digest, d) < 0) lo = mid + 1;
    else hi = mid;
  }
  for (size_t i = lo; i < end && std::memcmp(records + i * w, digest, d) == 0; i++)
    if (sizeOk(i)) return true;
  return false;
}

namespace {

static_assert(kHasMd5 == 1u << kMd5 && kHasSha1 == 1u << kSha1 && kHasSha256 == 1u << kSha256, "digest flags are 1 << kind");
constexpr size_t kDigestLen[kKinds] = {16, 20, 32};
constexpr size_t kDigestOff[kKinds] = {kOffMd5, kOffSha1, kOffSha256};

// Whether a table of some kind holds one of the digests the record has.
bool AnyTableHolds(const Plan& plan, const uint8_t* rec, uint32_t dflags, uint64_t size) {
  for (int k = 0; k < kKinds; k++) {
    if (!(dflags & (1u << k))) continue;  // kHasMd5, kHasSha1, kHasSha256 are 1 << kind
    for (const HashTableView& t : plan.tables[k])
      if (t.Has(rec + kDigestOff[k], kDigestLen[k], size)) return true;
  }
  return false;
}

// archives/formats.ts detectArchiveFormat: a file flagged here is walked by the archive walker,
// which checks again; one not flagged is not (unless its end may be a zip's: MayEndInZip below).
bool LooksLikeArchive(const uint8_t* h, size_t n) { return archclean::Detect(h, n) != archclean::kNone; }

struct Digests {
  bool want[kKinds] = {false, false, false};
  MD5_CTX md5;
  SHA_CTX sha1;
  SHA256_CTX sha256;
  void Init() {
    if (want[kMd5]) MD5_Init(&md5);
    if (want[kSha1]) SHA1_Init(&sha1);
    if (want[kSha256]) SHA256_Init(&sha256);
  }
  void Update(const char* p, size_t n) {
    if (want[kMd5]) MD5_Update(&md5, p, n);
    if (want[kSha1]) SHA1_Update(&sha1, p, n);
    if (want[kSha256]) SHA256_Update(&sha256, p, n);
  }
  uint32_t Final(uint8_t* rec) {
    uint32_t flags = 0;
    if (want[kMd5]) MD5_Final(rec + kOffMd5, &md5), flags |= kHasMd5;
    if (want[kSha1]) SHA1_Final(rec + kOffSha1, &sha1), flags |= kHasSha1;
    if (want[kSha256]) SHA256_Final(rec + kOffSha256, &sha256), flags |= kHasSha256;
    return flags;
  }
};

// One read buffer per thread (libuv threadpool threads), reused for every batch: memory stays
// bounded by threads x chunk size whatever the number of files or scans.
char* ThreadBuffer(size_t cap) {
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t size = 0;
  if (size < cap) {
    buf.reset(new char[cap]);
    size = cap;
  }
  return buf.get();
}

bool Cancelled(const int32_t* cancel) { return cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED) != 0; }

void Put32(uint8_t* rec, size_t off, uint32_t v) { std::memcpy(rec + off, &v, 4); }
void PutI32(uint8_t* rec, size_t off, int32_t v) { std::memcpy(rec + off, &v, 4); }
void PutF64(uint8_t* rec, size_t off, double v) { std::memcpy(rec + off, &v, 8); }

// pread until `want` bytes or end of file, retrying EINTR. Returns 0 or an errno.
int ReadFull(int fd, char* buf, size_t want, int64_t pos, size_t* got) {
  size_t n = 0;
  while (n < want) {
    ssize_t r = pread(fd, buf + n, want - n, static_cast<off_t>(pos + static_cast<int64_t>(n)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  *got = n;
  return 0;
}

class FileScanner {
 public:
  FileScanner(const Plan& plan, const Options& o, const int32_t* cancel) : plan_(plan), o_(o), cancel_(cancel) {
#ifdef WDAV_HAVE_HS
    if (plan_.db) {
      stream_.reset(new patterns::Stream(plan_.db, -1));
      if (!stream_->Open(&open_error_)) stream_.reset();
      else open_error_.clear();
      if (!stream_ && open_error_.empty()) open_error_ = "cannot open a Vectorscan stream";
    }
#endif
    chunk_ = std::max<size_t>(plan_.chunk, 4096);
    buf_ = ThreadBuffer(chunk_);
  }

  ~FileScanner() {
#ifdef WDAV_HAVE_HS
    if (stream_) stream_->Close(-1);
#endif
  }

  // Returns true when the fd was left open (kLeftOpen).
  bool Scan(int fd, uint8_t* rec) {
    std::memset(rec, 0, kOffHead);
    PutI32(rec, kOffBody, -1);
    if (Cancelled(cancel_)) return Set(rec, kCancelled);
    struct stat st;
    if (fstat(fd, &st) != 0) return Set(rec, errno);
    if (!S_ISREG(st.st_mode)) return Set(rec, kNotRegular);
    const int64_t size = st.st_size;
    if (o_.max_file_size > 0 && size > o_.max_file_size) return Set(rec, kTooLarge);
#ifdef WDAV_HAVE_HS
    if (plan_.db && !stream_) {
      PutI32(rec, kOffDetail, 0);
      return Set(rec, kScanError);
    }
#endif
    // Every byte is read even when no signature needs it (no body signatures, no hash of this
    // size): the scan's byte count means bytes read, as for engine.scan.
    Digests d;
    for (int k = 0; k < kKinds; k++) d.want[k] = plan_.hashes[k].Wants(static_cast<uint64_t>(size)) || (k == kSha256 && o_.sha256_always);
    bool body = false;
#ifdef WDAV_HAVE_HS
    body = stream_ != nullptr;
#endif
    d.Init();
#ifdef WDAV_HAVE_HS
    if (body) stream_->Restart(size);
#endif
    Pass p{rec, &d, body, size};
    int err = ReadPass(fd, &p);
    int32_t best = -1;
#ifdef WDAV_HAVE_HS
    if (body && stream_) {
      // Always finished, also after a failure: the stream is reset for the next file.
      best = LowestBody(stream_->Finish(p.pos));
    }
#endif
    if (p.cancelled) return Set(rec, kCancelled);
    if (err != 0) return Set(rec, err);
    if (p.scan_error) {
      PutI32(rec, kOffDetail, p.scan_error);
      return Set(rec, kScanError);
    }
    if (o_.keep_archives_open && !(p.flags & kArchive) && MayEndInZip(fd, p)) p.flags |= kArchive;
    const uint8_t* spilled = p.spilling ? o_.spill + spill_used_ : nullptr;
    if (p.spilling) p.flags |= Spilled(rec, static_cast<size_t>(p.pos));
    uint32_t dflags = d.Final(rec);
    // A detection's SHA256 is recorded with the threat: computed here, on this thread, instead
    // of by the threat service reading the file again on the JS thread.
    if (best >= 0 && o_.sha256_matched && !(dflags & kHasSha256) && Sha256Again(fd, p.pos, rec)) dflags |= kHasSha256;
    if (plan_.checked_tables) {
      dflags |= kTablesChecked;
      if (AnyTableHolds(plan_, rec, dflags, static_cast<uint64_t>(p.pos))) dflags |= kHashHit;
    }
    // A clean archive copied into the spill, proven clean here, needs no walk in JavaScript.
    // Only for files without evidence of their own: the rest go through the verdict first.
    if (spilled && o_.archive_limits && plan_.checked_tables && best < 0 && !(dflags & kHashHit) && !(p.flags & kHasHead) &&
        archclean::Prove(spilled, static_cast<size_t>(p.pos), *o_.archive_limits, &FileScanner::MemberEvidence, this) == archclean::kClean)
      p.flags |= kArchiveClean;
    PutI32(rec, kOffBody, best);
    PutF64(rec, kOffBytes, static_cast<double>(p.pos));
    return Done(fd, rec, p.flags | dflags);
  }

 private:
  // One file's read pass.
  struct Pass {
    uint8_t* rec;
    Digests* d;
    bool body;
    int64_t size;
    int64_t pos = 0;
    uint32_t flags = 0;
    bool spilling = false;
    bool cancelled = false;
    // Bytes of the last chunk read, still in buf_ after the pass.
    size_t last = 0;
    int32_t scan_error = 0;
  };

  // Everything a chunk goes through, in order. False stops the pass (cancel, matcher failure).
  bool Consume(Pass* p, const char* data, size_t n) {
    if (Cancelled(cancel_)) {
      p->cancelled = true;
      return false;
    }
    if (p->pos == 0) {
      p->flags |= Head(p->rec, data, n, p->size);
      p->spilling = (p->flags & kArchive) && SpillFits(p->size);
    }
    if (p->spilling) std::memcpy(o_.spill + spill_used_ + p->pos, data, n);
    p->d->Update(data, n);
#ifdef WDAV_HAVE_HS
    if (p->body && !stream_->Scan(data, n, &scan_msg_)) {
      p->scan_error = 1;
      return false;
    }
#endif
    p->pos += static_cast<int64_t>(n);
    return true;
  }

  // archclean's check for an archive member: evidence is what would make the JavaScript verdict
  // look closer — a body signature, a digest some hash table holds for this size, or the EICAR
  // test file. Uses this thread's stream (the file's own scan is over).
  static bool MemberEvidence(void* self, const uint8_t* data, size_t len) {
    return static_cast<FileScanner*>(self)->Evidence(data, len);
  }

  bool Evidence(const uint8_t* data, size_t len) {
    if (IsEicar(data, len)) return true;
    // The file pass's own digests and table lookup, into a scratch record.
    uint8_t rec[kRecordSize];
    Digests d;
    for (int k = 0; k < kKinds; k++) d.want[k] = plan_.hashes[k].Wants(len);
    d.Init();
    d.Update(reinterpret_cast<const char*>(data), len);
    if (AnyTableHolds(plan_, rec, d.Final(rec), len)) return true;
#ifdef WDAV_HAVE_HS
    if (plan_.db) {
      if (!stream_) return true;
      stream_->Restart(static_cast<int64_t>(len));
      bool ok = stream_->Scan(reinterpret_cast<const char*>(data), len, &scan_msg_);
      if (LowestBody(stream_->Finish(static_cast<int64_t>(len))) >= 0 || !ok) return true;
    }
#endif
    return false;
  }

#ifdef WDAV_HAVE_HS
  // The lowest matched id that is a body signature of the set (ids are sorted), or -1.
  int32_t LowestBody(const std::vector<uint32_t>& ids) const {
    for (uint32_t id : ids)
      if (id < plan_.body_count) return static_cast<int32_t>(id);
    return -1;
  }
#endif

  bool Sha256Again(int fd, int64_t len, uint8_t* rec) {
    SHA256_CTX c;
    SHA256_Init(&c);
    for (int64_t pos = 0; pos < len;) {
      size_t got = 0;
      if (ReadFull(fd, buf_, static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(chunk_), len - pos)), pos, &got) != 0 || got == 0) return false;
      SHA256_Update(&c, buf_, got);
      pos += static_cast<int64_t>(got);
    }
    SHA256_Final(rec + kOffSha256, &c);
    return true;
  }

  // pread chunks into the thread's buffer. Returns 0 or the errno of a failed read.
  int ReadPass(int fd, Pass* p) {
    while (p->pos < p->size) {
      size_t want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(chunk_), p->size - p->pos));
      size_t got = 0;
      int err = ReadFull(fd, buf_, want, p->pos, &got);
      if (err != 0) return err;
      if (got == 0) break;  // the file shrank: scan what there was
      if (!Consume(p, buf_, got)) break;
      p->last = got;
      if (got < want) break;
    }
    return 0;
  }

  // embedded-zip.ts: a zip behind a prefix (a self-extractor: an ELF or PE stub, a script) is
  // recognised by an end record near the file's end, not by its head. The last chunk is still
  // in buf_; only a file whose last chunk is shorter than the window costs one more read.
  // A read failure says yes: the walker then looks (and finds out) itself.
  bool MayEndInZip(int fd, const Pass& p) {
    const size_t window = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(archclean::kZipEndWindow), p.pos));
    if (window < 22) return false;
    if (p.last >= window) return archclean::MayEndInZip(reinterpret_cast<const uint8_t*>(buf_) + p.last - window, window);
    std::vector<uint8_t> own;
    char* dst = buf_;
    if (chunk_ < window) {
      own.resize(window);
      dst = reinterpret_cast<char*>(own.data());
    }
    size_t got = 0;
    if (ReadFull(fd, dst, window, p.pos - static_cast<int64_t>(window), &got) != 0 || got != window) return true;
    return archclean::MayEndInZip(reinterpret_cast<const uint8_t*>(dst), window);
  }

  uint32_t Head(uint8_t* rec, const char* data, size_t got, int64_t size) {
    uint32_t flags = 0;
    if (o_.keep_archives_open && LooksLikeArchive(reinterpret_cast<const uint8_t*>(data), got)) flags |= kArchive;
    if (size <= static_cast<int64_t>(kHeadMax)) {
      size_t n = std::min(got, kHeadMax);
      std::memcpy(rec + kOffHead, data, n);
      Put32(rec, kOffHeadLen, static_cast<uint32_t>(n));
      flags |= kHasHead;
    }
    return flags;
  }

  bool SpillFits(int64_t size) const { return o_.spill && size >= 0 && static_cast<uint64_t>(size) <= o_.spill_cap - spill_used_; }

  uint32_t Spilled(uint8_t* rec, size_t len) {
    PutF64(rec, kOffSpillAt, static_cast<double>(spill_used_));
    PutF64(rec, kOffSpillLen, static_cast<double>(len));
    spill_used_ += (len + 7) & ~static_cast<size_t>(7);
    if (spill_used_ > o_.spill_cap) spill_used_ = o_.spill_cap;
    return kInSpill;
  }

  bool Set(uint8_t* rec, int32_t status) {
    PutI32(rec, kOffStatus, status);
    return false;
  }

  bool Done(int fd, uint8_t* rec, uint32_t flags) {
    PutI32(rec, kOffStatus, kScanned);
    if ((flags & kArchive) && !(flags & kInSpill)) flags |= kLeftOpen;
    Put32(rec, kOffFlags, flags);
    return (flags & kLeftOpen) != 0;
  }

  const Plan& plan_;
  const Options& o_;
  const int32_t* cancel_;
  size_t chunk_ = 0;
  char* buf_ = nullptr;
  size_t spill_used_ = 0;
#ifdef WDAV_HAVE_HS
  std::unique_ptr<patterns::Stream> stream_;
#endif
  std::string open_error_;
  std::string scan_msg_;
};

}  // namespace

void ScanFiles(const Plan& plan, const int32_t* fds, size_t n, const Options& o, const int32_t* cancel,
               uint8_t* records) {
  FileScanner s(plan, o, cancel);
  for (size_t i = 0; i < n; i++) {
    bool open = s.Scan(fds[i], records + i * kRecordSize);
    if (!open && !o.keep_open && fds[i] >= 0) close(fds[i]);
  }
}

bool IsEicar(const uint8_t* data, size_t len) {
  // Assembled from parts, so that no file of this repository is itself an EICAR test file.
  static const std::string eicar = std::string("X5O!P%@AP[4\\PZX54(P^)7CC)7}$") + "EICAR-STANDARD-ANTIVIRUS-" + "TEST-FILE!$H+H*";
  if (len < eicar.size() || len > kHeadMax) return false;
  if (std::memcmp(data, eicar.data(), eicar.size()) != 0) return false;
  for (size_t i = eicar.size(); i < len; i++)
    if (data[i] != 0x20 && data[i] != 0x09 && data[i] != 0x0d && data[i] != 0x0a && data[i] != 0x1a) return false;
  return true;
}

bool ReleaseFreeMemory() {
#ifdef __GLIBC__
  return malloc_trim(0) != 0;
#else
  return false;
#endif
}

}  // namespace scanbatch
}  // namespace wdav
