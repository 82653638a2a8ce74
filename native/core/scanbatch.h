// native/core/scanbatch.h — the on-demand hot path: ONE native pass over a batch of files the
// walker opened. Per file: fstat (regular file? size limit?), then chunks read with pread into a
// fixed per-thread buffer, each fed to the Vectorscan stream (body signatures) and to the
// MD5/SHA1/SHA256 contexts that a signature of exactly this size (or a `*` one) asks for; from
// the first bytes, the archive format sniff and, for files of at most kHeadMax bytes, a copy of
// the head (the EICAR candidate). Results go to one fixed-size record per file (layout below,
// decoded by src/engine/batch.ts), so a batch costs JavaScript one call and no per-file objects.
// Owns: the read pass of a batch, the record layout, closing the batch's fds. Must not: decide
// verdicts (hash lookups, allow-list, EICAR, which body signature wins: the DefinitionSet in
// src/definitions/ does, for this path and engine.scan alike), know about N-API, or allocate
// per file beyond the hash contexts on the stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "core/archclean.h"
#ifdef WDAV_HAVE_HS
#include "core/patterns.h"
#endif

namespace wdav {
namespace contentlink {
struct RemotePlan;
}
namespace scanbatch {

enum Kind : int { kMd5 = 0, kSha1 = 1, kSha256 = 2, kKinds = 3 };

// The file sizes that need a digest of one kind: the sizes of its signatures (hash detections,
// PUA hashes and allow-list entries together), or every size when a `*` signature exists.
struct SizeSet {
  bool any = false;
  std::vector<uint32_t> sizes;  // sorted and unique after Seal()
  void Add(const uint32_t* v, size_t n) { sizes.insert(sizes.end(), v, v + n); }
  void Seal();
  bool Wants(uint64_t size) const;
};

// One hash table of the definition set, in src/definitions/hash-index.ts's layout, read here and
// never written: `count` records of digest + size (u32 BE, 0xffffffff = any size) + name ref +
// name number, grouped by the first two digest bytes (`buckets`: 65,537 record indexes); buckets
// of at most kSmallBucket records are unsorted, larger ones sorted by digest.
struct HashTableView {
  const uint8_t* records = nullptr;
  size_t count = 0;
  const uint32_t* buckets = nullptr;
  // Whether a record has exactly this digest and this size (or any size): the test of
  // HashTable.lookup, without the name.
  bool Has(const uint8_t* digest, size_t digest_len, uint64_t size) const;
};
constexpr size_t kHashBuckets = 65536;
constexpr size_t kSmallBucket = 128;  // = SMALL_BUCKET in src/definitions/hash-index.ts

// Everything a batch needs from one definition set; immutable once built, shared by batches.
struct Plan {
#ifdef WDAV_HAVE_HS
  std::shared_ptr<patterns::Database> db;  // null: no body signatures in Vectorscan
#endif
  SizeSet hashes[kKinds];
  // With tables for every kind (checked_tables), each computed digest is looked up and a file
  // some table holds gets kHashHit; a digest without it is no evidence (kTablesChecked).
  std::vector<HashTableView> tables[kKinds];
  bool checked_tables = false;
  // Keeps the memory the views point into alive (the binding's references to the JS buffers).
  std::shared_ptr<void> owner;
  // Matched ids at or above this are not body signatures of the set and are ignored.
  uint32_t body_count = 0;
  size_t chunk = 256 * 1024;
  // YARA in the content pass (the scanner process only: scanner/content.h): the scanner's rule
  // set to run on files that have no other evidence (0: none), its time limit per file and the
  // most bytes it reads of one. A plan with a rule set that is scanned where it cannot run
  // (here, no scanner) flags every file kYaraIncomplete: never proven clean without it.
  uint32_t yara_set = 0;
  uint32_t yara_limit_ms = 30000;
  uint32_t yara_max_bytes = 32u << 20;
  // Set by the broker once the scanner process holds this plan (core/content_link.h): scans
  // then run there. Written on the JS thread, read by scanning threads: std::atomic_load/store.
  mutable std::shared_ptr<const contentlink::RemotePlan> remote;
};

// One record per file, kRecordSize bytes, host byte order. src/engine/batch.ts reads the same
// offsets: change both together.
constexpr size_t kRecordSize = 256;
constexpr size_t kOffStatus = 0;    // int32: Status, or an errno (> 0) from fstat/pread
constexpr size_t kOffFlags = 4;     // uint32: Flag bits
constexpr size_t kOffBody = 8;      // int32: lowest matched body signature id, -1 when none
constexpr size_t kOffHeadLen = 12;  // uint32: bytes at kOffHead (kHasHead)
constexpr size_t kOffBytes = 16;    // double: bytes read and scanned (the size when nothing needed them)
constexpr size_t kOffMd5 = 24;      // 16 bytes (kHasMd5)
constexpr size_t kOffSha1 = 40;     // 20 bytes (kHasSha1)
constexpr size_t kOffSha256 = 60;   // 32 bytes (kHasSha256)
constexpr size_t kOffHead = 96;     // up to kHeadMax bytes
constexpr size_t kHeadMax = 128;    // = EICAR_MAX_SIZE in src/definitions/eicar.ts
constexpr size_t kOffDetail = 224;  // int32 (kScanError): 0 no Vectorscan stream, 1 a scan call failed
constexpr size_t kOffSpillAt = 232; // double: offset of the file's bytes in the spill (kInSpill)
constexpr size_t kOffSpillLen = 240;// double: their length

// One field of a record, read or changed outside the pass that wrote it (the verdict threads,
// the scanner's content pass, the content link): host byte order, no alignment assumed.
template <typename T>
T Field(const uint8_t* rec, size_t off) {
  T v;
  std::memcpy(&v, rec + off, sizeof v);
  return v;
}
template <typename T>
void SetField(uint8_t* rec, size_t off, T v) {
  std::memcpy(rec + off, &v, sizeof v);
}

enum Status : int32_t { kScanned = 0, kScanError = -1, kNotRegular = -2, kTooLarge = -3, kCancelled = -4 };

enum Flag : uint32_t {
  kHasMd5 = 1,
  kHasSha1 = 2,
  kHasSha256 = 4,
  kHasHead = 8,    // the whole file (<= kHeadMax bytes) is at kOffHead
  kArchive = 16,   // starts like a zip, gzip or tar (same magic checks as archives/formats.ts)
  kLeftOpen = 32,  // the fd was NOT closed: the caller walks the archive and closes it
  kInSpill = 64,   // an archive candidate copied whole into the spill (fd closed)
  kHashHit = 128,  // a computed digest is in a hash table for this size (kTablesChecked)
  kTablesChecked = 256,  // the digests were looked up: without kHashHit they are no evidence
  kArchiveClean = 512,   // in the spill and proven clean by native/core/archclean.*: no walk needed
  kYaraMatched = 1024,   // the plan's YARA rules matched (only when nothing else was evidence)
  kYaraIncomplete = 2048,  // YARA should have run and did not finish (time limit, error, no rules)
  kYaraSkipped = 4096,   // larger than the plan's yara_max_bytes: not YARA-scanned (as per file)
  kYaraTimeout = 8192,   // YARA stopped at its time limit with no match: clean, scan_timeout
};

struct Options {
  int64_t max_file_size = 0;        // larger files: kTooLarge; 0 = no limit
  bool sha256_always = false;       // enableFileHashComputation
  bool sha256_matched = false;      // also the SHA256 of files a body signature matched (a second read)
  bool keep_open = false;  // no fd is closed (the caller owns them all; no kLeftOpen needed)
  bool keep_archives_open = false;  // archive candidates stay open (kLeftOpen)...
  // ...unless they fit in what is left of this buffer: then their bytes are copied here
  // (kInSpill) while they are read, and the caller walks them from memory.
  uint8_t* spill = nullptr;
  size_t spill_cap = 0;
  // Set: archives in the spill are proven clean natively when they can be (kArchiveClean),
  // under these limits (the engine's archive limits). Needs a plan with checked_tables.
  const archclean::Limits* archive_limits = nullptr;
  // YARA in the scanner's content pass: this scan's time limit per file (0: the plan's).
  uint32_t yara_limit_ms = 0;
};

// Scans fds[0..n) in order on the calling thread, writing records[i * kRecordSize ...]. Every fd
// is closed before returning, except those flagged kLeftOpen. `cancel` (may be null) is read
// between chunks: once non-zero, the remaining files are closed unscanned (kCancelled).
void ScanFiles(const Plan& plan, const int32_t* fds, size_t n, const Options& o, const int32_t* cancel,
               uint8_t* records);

// Hands memory freed by the allocator back to the system (glibc malloc_trim; elsewhere a no-op
// returning false). A scan frees a lot of short-lived buffers from several threads; glibc keeps
// them (per-thread arenas, a raised mmap threshold) and the RSS only ever grows otherwise.
bool ReleaseFreeMemory();

// The built-in EICAR definition (src/definitions/eicar.ts isEicar, which names the detection):
// the 68-byte standard string at offset 0, then only whitespace, the whole file at most
// kHeadMax bytes. `data` is the whole file. Native code uses it to tell which small files are
// evidence at all: the rest are proven clean without JavaScript.
bool IsEicar(const uint8_t* data, size_t len);

}  // namespace scanbatch
}  // namespace wdav
