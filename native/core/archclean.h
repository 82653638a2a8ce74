// native/core/archclean.h — proves a small archive held in memory (zip, gzip, tar, tar.gz, nested)
// clean, so that an on-demand batch needs no JavaScript walk for it. It visits what
// src/engine/archives/walker.ts would visit — the same members, the same bytes, under the same
// limits — and hands each member's bytes to `check`. It answers kClean only when every member
// was visited, none had evidence (check returned true) and no limit, malformation or unusual
// construct would have changed the JavaScript walk. Everything else — evidence, a limit reached,
// a malformed archive, zip64, pax headers, a multi-member gzip, data after a tar's end, a zip
// with a prefix or with entries it cannot decompress, a member that may end in a zip, more than
// kMaxInflated bytes — is kUnsure, and the JavaScript walker decides as before: only it names
// members, raises detections and reports unscanned members, so the two paths cannot disagree.
// Owns: the subset of zip/tar/gzip parsing this needs, and the archive magic checks
// (archives/formats.ts detectArchiveFormat, tar-reader.ts isTarHeader, byte for byte).
// Must not: decide verdicts, read files, or keep anything after Prove returns.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wdav {
namespace archclean {

// ArchiveLimits of src/engine/archives/limits.ts, as the engine resolved them (no defaults here:
// the caller passes the walker's own). maxScanTimeMs and spoolInMemory do not apply: the proof
// is bounded by kMaxInflated and happens in memory.
struct Limits {
  uint64_t max_depth = 0;
  uint64_t max_files = 0;
  uint64_t max_scan_size = 0;
  uint64_t max_file_size = 0;
  double max_ratio = 0;
  uint64_t ratio_min_size = 0;
};

// Inflated bytes one proof may hold (all levels together); beyond it the proof gives up.
constexpr size_t kMaxInflated = 8u << 20;
// = GUNZIP_AT_ONCE in walker.ts: larger gzip output takes the streaming path there.
constexpr size_t kGunzipAtOnce = 256u * 1024;

enum Format { kNone = 0, kZip, kGzip, kTar };

// detectArchiveFormat over the first n bytes (n >= 512 needed to recognise a tar).
Format Detect(const uint8_t* head, size_t n);

// Where a zip's end record may be, from the end: the record, the largest comment and a zip64
// locator before it (= ZIP_END_WINDOW in src/engine/archives/zip-directory.ts).
constexpr size_t kZipEndWindow = 22 + 0xffff + 20;

// True when a zip end-of-central-directory signature ("PK\5\6") occurs in the last bytes of
// d[0..n) where the walker looks for one (embedded-zip.ts): a file or member that may be a zip
// behind a prefix. A superset of what the walker walks: it also checks the record.
bool MayEndInZip(const uint8_t* d, size_t n);

// True when the member's bytes carry evidence the JavaScript verdict must look at.
using Check = bool (*)(void* ctx, const uint8_t* data, size_t len);

enum Outcome { kClean = 0, kUnsure = 1 };

Outcome Prove(const uint8_t* data, size_t len, const Limits& limits, Check check, void* ctx);

}  // namespace archclean
}  // namespace wdav
