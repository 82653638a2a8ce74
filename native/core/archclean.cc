// native/core/archclean.cc — see archclean.h. Each function names the JavaScript it mirrors; a
// difference that could change which bytes are scanned, or whether a limit fires, is a kUnsure
// (false) here, never a guess. Inflation uses the zlib that Node itself links and exports.
#include "core/archclean.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

namespace wdav {
namespace archclean {

namespace {

constexpr size_t kBlock = 512;
constexpr size_t kMaxMeta = 1u << 20;  // = MAX_META in tar-reader.ts

uint16_t U16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t U32(const uint8_t* p) { return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) | (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24); }

// tar-reader.ts numberOrInvalid: octal (NULs and spaces trimmed) or GNU base-256.
bool TarNumber(const uint8_t* f, size_t len, uint64_t* out) {
  const uint64_t kMaxSafe = (1ULL << 53) - 1;
  if (f[0] & 0x80) {
    uint64_t v = f[0] & 0x7f;
    for (size_t i = 1; i < len; i++) {
      v = v * 256 + f[i];
      if (v > kMaxSafe) return false;
    }
    *out = v;
    return true;
  }
  size_t s = 0, e = len;
  while (e > 0 && (f[e - 1] == 0 || f[e - 1] == ' ')) e--;
  while (s < e && f[s] == ' ') s++;
  uint64_t v = 0;
  for (size_t i = s; i < e; i++) {
    if (f[i] < '0' || f[i] > '7') return false;
    v = v * 8 + (f[i] - '0');
    if (v > kMaxSafe) return false;
  }
  *out = v;
  return true;
}

// tar-reader.ts checksumOk.
bool ChecksumOk(const uint8_t* b) {
  uint64_t stored = 0;
  if (!TarNumber(b + 148, 8, &stored)) return false;
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (size_t i = 0; i < kBlock; i++) {
    uint8_t c = (i >= 148 && i < 156) ? 0x20 : b[i];
    unsigned_sum += c;
    signed_sum += static_cast<int8_t>(c);
  }
  return static_cast<int64_t>(stored) == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

// tar-reader.ts isTarHeader.
bool TarHeader(const uint8_t* b) {
  if (std::memcmp(b + 257, "ustar", 5) == 0) return ChecksumOk(b);
  return b[0] != 0 && ChecksumOk(b);
}

size_t Padding(uint64_t size) { return static_cast<size_t>((kBlock - size % kBlock) % kBlock); }

}  // namespace

bool MayEndInZip(const uint8_t* d, size_t n) {
  // Candidates start at i..n-4; the rarest byte of the signature (0x05, at +2) is looked for
  // with memchr, which runs at memory speed over text and code.
  for (size_t i = n > kZipEndWindow ? n - kZipEndWindow : 0; i + 4 <= n;) {
    const void* hit = std::memchr(d + i + 2, 0x05, n - i - 3);
    if (!hit) return false;
    const size_t j = static_cast<size_t>(static_cast<const uint8_t*>(hit) - d);
    if (d[j - 2] == 'P' && d[j - 1] == 'K' && d[j + 1] == 0x06) return true;
    i = j - 1;
  }
  return false;
}

namespace {

class Prover {
 public:
  Prover(const Limits& l, Check check, void* ctx) : l_(l), check_(check), ctx_(ctx) {}

  // Walk.walk: false = unsure.
  bool Walk(const uint8_t* d, size_t n, Format f, uint64_t depth) {
    switch (f) {
      case kZip: return Zip(d, n, depth);
      case kTar: return Tar(d, n, depth);
      case kGzip: return Gzip(d, n, depth);
      default: return false;
    }
  }

 private:
  // Walk.member + Walk.scan + the meter, for a member whose bytes are all here.
  bool Member(const uint8_t* d, size_t n, bool declared_known, uint64_t declared, uint64_t depth) {
    if (++members_ > l_.max_files) return false;
    if (declared_known && declared > l_.max_file_size) return false;
    if (n > l_.max_file_size) return false;
    bytes_ += n;
    if (bytes_ > l_.max_scan_size) return false;
    Format f = Detect(d, std::min(n, kBlock));
    if (check_(ctx_, d, n)) return false;
    // The walker looks for a zip at the end of every other member (a self-extractor inside an
    // archive: embedded-zip.ts); any end-record signature there is its business.
    if (f == kNone) return !MayEndInZip(d, n);
    if (depth + 1 > l_.max_depth) return false;
    return Walk(d, n, f, depth + 1);
  }

  // Room for `n` more inflated bytes, kept until the proof ends (nested members point into it).
  uint8_t* Room(size_t n) {
    if (n > kMaxInflated - inflated_) return nullptr;
    inflated_ += n;
    held_.emplace_back(new uint8_t[n ? n : 1]);
    return held_.back().get();
  }

  // Inflates all of in[0..n) into out[0..cap): true with *got when the stream ends exactly at the
  // end of the input (one gzip member / one raw deflate stream, nothing after it).
  static bool Inflate(const uint8_t* in, size_t n, int window_bits, uint8_t* out, size_t cap, size_t* got) {
    z_stream z;
    std::memset(&z, 0, sizeof z);
    if (inflateInit2(&z, window_bits) != Z_OK) return false;
    z.next_in = const_cast<Bytef*>(in);
    z.avail_in = static_cast<uInt>(n);
    z.next_out = out;
    z.avail_out = static_cast<uInt>(cap);
    int rc = inflate(&z, Z_FINISH);
    bool ok = rc == Z_STREAM_END && z.avail_in == 0;
    *got = z.total_out;
    inflateEnd(&z);
    return ok;
  }

  // Walk.walkGzip, its at-once path only (walkInflated after it).
  bool Gzip(const uint8_t* d, size_t n, uint64_t depth) {
    if (n > UINT32_MAX) return false;
    const size_t cap = static_cast<size_t>(std::min<uint64_t>(l_.ratio_min_size, kGunzipAtOnce));
    std::unique_ptr<uint8_t[]> tmp(new uint8_t[cap + 1]);
    size_t got = 0;
    // One byte of room beyond the cap: output that fills it is too large for the at-once path.
    if (!Inflate(d, n, 15 + 16, tmp.get(), cap + 1, &got) || got > cap) return false;
    uint8_t* out = Room(got);
    if (!out) return false;
    std::memcpy(out, tmp.get(), got);
    // A tarball's members stand for it (no member for the tar itself), at the same depth.
    if (got >= kBlock && Detect(out, kBlock) == kTar) return Tar(out, got, depth);
    return Member(out, got, false, 0, depth);
  }

  // walkTar over readTar: file entries are members; pax headers may rewrite sizes, so a pax
  // entry ends the proof, as does anything but zeros after the end-of-archive blocks.
  bool Tar(const uint8_t* d, size_t n, uint64_t depth) {
    size_t pos = 0;
    for (;;) {
      if (pos == n) return true;  // no end-of-archive blocks: tolerated
      if (n - pos < kBlock) return false;
      const uint8_t* h = d + pos;
      pos += kBlock;
      bool zero = true;
      for (size_t i = 0; i < kBlock && zero; i++) zero = h[i] == 0;
      // readTar with pastEnd reads on after the end-of-archive blocks when anything but zeros
      // follows (concatenated tars): that walk is the JavaScript walker's.
      if (zero) {
        for (size_t i = pos; i < n; i++)
          if (d[i] != 0) return false;
        return true;
      }
      if (!ChecksumOk(h)) return false;
      uint64_t size = 0;
      if (!TarNumber(h + 124, 12, &size)) return false;
      const char type = static_cast<char>(h[156]);
      if (type == 'x') return false;
      if (type == 'L' || type == 'K' || type == 'g') {
        if (size > kMaxMeta || size > n - pos) return false;
        pos = std::min(n, pos + static_cast<size_t>(size) + Padding(size));
        continue;
      }
      const bool file = type == '0' || type == '\0' || type == '7';
      const bool other = !file && type != '5' && type != '2' && type != '1';
      const uint64_t body = file || other ? size : 0;
      if (body > n - pos) return false;
      if (file && !Member(d + pos, static_cast<size_t>(body), true, body, depth)) return false;
      pos = std::min(n, pos + static_cast<size_t>(body) + Padding(body));
    }
  }

  struct Entry {
    uint16_t flags, method, name_len;
    uint32_t csize, usize, offset;
    bool directory;
  };

  // walkZip over zip.ts (yauzl: central directory, lazy entries, validateEntrySizes, raw names).
  bool Zip(const uint8_t* d, size_t n, uint64_t depth) {
    // yauzl: the last end-of-central-directory signature within 22 + 65,535 + 20 bytes of the
    // end; its comment must reach the end exactly; a zip64 locator before it means zip64.
    const size_t window = std::min<size_t>(kZipEndWindow, n);
    if (window < 22) return false;
    const size_t start = n - window;
    size_t eocd = SIZE_MAX;
    for (size_t i = window - 22 + 1; i-- > 0;) {
      if (U32(d + start + i) == 0x06054b50) {
        eocd = start + i;
        break;
      }
    }
    if (eocd == SIZE_MAX) return false;
    const uint8_t* e = d + eocd;
    if (U16(e + 20) != n - eocd - 22) return false;
    if (eocd - start >= 20 && U32(e - 20) == 0x07064b50) return false;
    if (U16(e + 4) != 0) return false;  // multi-disk
    const uint64_t count = U16(e + 10);
    const uint64_t cd = U32(e + 16);
    // zip-directory.ts findZipEnd: a directory that does not end where the end record starts has
    // a prefix (a self-extractor's stub) or other bytes in between: the walker's business.
    if (cd + U32(e + 12) != eocd) return false;
    if (members_ + count > l_.max_files) return false;  // the MaxFiles limit on entryCount
    std::vector<Entry> entries;
    entries.reserve(static_cast<size_t>(count));
    uint64_t cur = cd;
    for (uint64_t k = 0; k < count; k++) {
      if (cur > n || n - cur < 46) return false;
      const uint8_t* c = d + cur;
      if (U32(c) != 0x02014b50) return false;
      Entry en{U16(c + 8), U16(c + 10), U16(c + 28), U32(c + 20), U32(c + 24), U32(c + 42), false};
      const size_t xlen = U16(c + 30), clen = U16(c + 32);
      if (en.flags & 0x40) return false;  // strong encryption: yauzl fails the archive
      cur += 46;
      if (n - cur < static_cast<uint64_t>(en.name_len) + xlen + clen) return false;
      // parseExtraFields: a field running past the extra area fails the archive.
      const uint8_t* x = d + cur + en.name_len;
      for (size_t i = 0; i + 3 < xlen;) {
        size_t end = i + 4 + U16(x + i + 2);
        if (end > xlen) return false;
        i = end;
      }
      // zip64 values (or their markers) are yauzl's business.
      if (en.csize == 0xffffffffU || en.usize == 0xffffffffU || en.offset == 0xffffffffU) return false;
      if (en.method == 0 && en.csize != static_cast<uint64_t>(en.usize) + ((en.flags & 1) ? 12 : 0)) return false;
      en.directory = en.name_len > 0 && d[cur + en.name_len - 1] == '/' && en.usize == 0;
      cur += static_cast<uint64_t>(en.name_len) + xlen + clen;
      entries.push_back(en);
    }
    // findOverlap: entries with data, by local header offset; a span reaching into the next is a bomb.
    std::vector<const Entry*> sorted;
    for (const Entry& en : entries)
      if (en.csize > 0 || en.usize > 0) sorted.push_back(&en);
    std::stable_sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) { return a->offset < b->offset; });
    for (size_t i = 1; i < sorted.size(); i++)
      if (sorted[i]->offset < static_cast<uint64_t>(sorted[i - 1]->offset) + 30 + sorted[i - 1]->name_len + sorted[i - 1]->csize) return false;
    for (const Entry& en : entries) {
      if (en.directory) continue;
      // Encrypted or compressed otherwise: the walker reports the entry as unscanned, so the
      // archive is no clean one to prove.
      if ((en.flags & 1) || (en.method != 0 && en.method != 8)) return false;
      if (en.usize > l_.ratio_min_size && static_cast<double>(en.usize) / std::max<double>(1, en.csize) > l_.max_ratio) return false;
      // readLocalFileHeader: signature, then the data after the local name and extra field.
      if (en.offset > n || n - en.offset < 30 || U32(d + en.offset) != 0x04034b50) return false;
      const uint64_t data = static_cast<uint64_t>(en.offset) + 30 + U16(d + en.offset + 26) + U16(d + en.offset + 28);
      if (data > n || n - data < en.csize) return false;
      const uint8_t* body = d + data;
      if (en.method == 8) {
        // AssertByteCountStream: exactly usize bytes. More output cannot end the stream within
        // usize bytes of room, so it fails Inflate too.
        uint8_t* out = Room(en.usize);
        size_t got = 0;
        if (!out || !Inflate(body, en.csize, -15, out, en.usize, &got) || got != en.usize) return false;
        body = out;
      }
      if (!Member(body, en.usize, true, en.usize, depth)) return false;
    }
    return true;
  }

  const Limits& l_;
  Check check_;
  void* ctx_;
  uint64_t members_ = 0;
  uint64_t bytes_ = 0;
  size_t inflated_ = 0;
  std::vector<std::unique_ptr<uint8_t[]>> held_;
};

}  // namespace

Format Detect(const uint8_t* h, size_t n) {
  if (n >= 4 && h[0] == 0x50 && h[1] == 0x4b) {
    if ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6) || (h[2] == 0x30 && h[3] == 0x30)) return kZip;
  }
  if (n >= 3 && h[0] == 0x1f && h[1] == 0x8b && h[2] == 8) return kGzip;
  if (n >= kBlock && TarHeader(h)) return kTar;
  return kNone;
}

Outcome Prove(const uint8_t* data, size_t len, const Limits& limits, Check check, void* ctx) {
  Format f = Detect(data, std::min(len, kBlock));
  if (f == kNone) return kUnsure;
  Prover p(limits, check, ctx);
  return p.Walk(data, len, f, 1) ? kClean : kUnsure;
}

}  // namespace archclean
}  // namespace wdav
