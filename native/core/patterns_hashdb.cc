// native/core/patterns_hashdb.cc — see patterns_hashdb.h. Mirrors, line for line, the rules of
// src/definitions/hash-sigs.ts (addLine), hash-index.ts (NameTable, table layout) and lines.ts
// (line splitting, 1 MiB line limit).
#include "core/patterns_hashdb.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <numeric>

namespace wdav {
namespace hashdb {

namespace {

constexpr size_t kMaxLine = 1 << 20;
constexpr size_t kReadChunk = 4 << 20;
constexpr size_t kMaxErrors = 5;

struct HexTable {
  int8_t v[256];
  HexTable() {
    for (int c = 0; c < 256; c++) v[c] = -1;
    for (int c = 0; c < 10; c++) v['0' + c] = static_cast<int8_t>(c);
    for (int c = 0; c < 6; c++) v['a' + c] = v['A' + c] = static_cast<int8_t>(10 + c);
  }
};
const HexTable kHex;

inline int HexVal(uint8_t c) { return kHex.v[c]; }

// Radix sort (3 passes of 11 bits) then unique: sizes of millions of records, sequentially.
void SortUnique(std::vector<uint32_t>* v) {
  std::vector<uint32_t> tmp(v->size());
  for (int shift = 0; shift < 33; shift += 11) {
    std::vector<size_t> count(2049, 0);
    for (uint32_t x : *v) count[((x >> shift) & 2047) + 1]++;
    for (size_t i = 0; i < 2048; i++) count[i + 1] += count[i];
    for (uint32_t x : *v) tmp[count[(x >> shift) & 2047]++] = x;
    v->swap(tmp);
  }
  v->erase(std::unique(v->begin(), v->end()), v->end());
}

void Store32(uint8_t* p, uint32_t x) {
  p[0] = static_cast<uint8_t>(x >> 24);
  p[1] = static_cast<uint8_t>(x >> 16);
  p[2] = static_cast<uint8_t>(x >> 8);
  p[3] = static_cast<uint8_t>(x);
}

int KindIndex(size_t hex_len) { return hex_len == 32 ? 0 : hex_len == 40 ? 1 : hex_len == 64 ? 2 : -1; }
constexpr int kDigestLen[3] = {16, 20, 32};

size_t Colon(const uint8_t* b, size_t from, size_t end) {
  if (from >= end) return end;
  const void* c = std::memchr(b + from, ':', end - from);
  return c ? static_cast<size_t>(static_cast<const uint8_t*>(c) - b) : end;
}

// -1 when not an unsigned decimal of 1..15 digits (hash-sigs.ts parseUint).
double ParseUint(const uint8_t* b, size_t s, size_t e) {
  if (e <= s || e - s > 15) return -1;
  double v = 0;
  for (size_t i = s; i < e; i++) {
    if (b[i] < '0' || b[i] > '9') return -1;
    v = v * 10 + (b[i] - '0');
  }
  return v;
}


class Parser {
 public:
  // expected_bytes: the input size, to reserve the record buffers once (about 60 bytes a line).
  Parser(Result* out, size_t expected_bytes) : out_(out) {
    raw_[0].reserve(expected_bytes / 60 * 28 + 4096);
  }

  void Line(const uint8_t* b, size_t s, size_t e, uint64_t line_no) {
    if (e > s && b[e - 1] == '\r') e--;
    if (e - s > kMaxLine) return Bad(line_no, "line too long");
    while (s < e && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
    if (s == e || b[s] == '#') return;
    const char* err = nullptr;
    std::string msg;
    if (!Add(b, s, e, &err, &msg)) {
      if (err && std::strcmp(err, "flevel") == 0) {
        out_->tally.skip_reasons["flevel"]++;
      } else {
        Bad(line_no, err ? std::string(err) : msg);
      }
      return;
    }
    out_->tally.loaded++;
  }

  void Finish() {
    for (int k = 0; k < 3; k++) {
      if (raw_[k].empty()) continue;
      out_->tables.push_back(Build(k));
    }
  }

 private:
  void Bad(uint64_t line, const std::string& message) {
    out_->tally.malformed++;
    if (out_->tally.errors.size() < kMaxErrors) out_->tally.errors.emplace_back(line, message);
  }

  // hash-sigs.ts HashSetBuilder.addLine. Returns false with err (static text) or msg.
  bool Add(const uint8_t* b, size_t start, size_t end, const char** err, std::string* msg) {
    size_t c1 = Colon(b, start, end);
    if (c1 >= end) return (*err = "expected Hash:Size:Name"), false;
    int kind = KindIndex(c1 - start);
    if (kind < 0) {
      *msg = "hash of " + std::to_string(c1 - start) + " hex digits (expected 32, 40 or 64)";
      return false;
    }
    uint8_t digest[32];
    for (size_t i = start, k = 0; i < c1; i += 2, k++) {
      int hi = HexVal(b[i]), lo = HexVal(b[i + 1]);
      if (hi < 0 || lo < 0) return (*err = "hash is not hexadecimal"), false;
      digest[k] = static_cast<uint8_t>((hi << 4) | lo);
    }
    size_t i = c1 + 1;
    double size = 0;
    if (i < end && b[i] == '*') {
      size = kAnySize;
      i++;
    } else {
      while (i < end && i - c1 <= 15 && b[i] >= '0' && b[i] <= '9') size = size * 10 + (b[i++] - '0');
      if (i == c1 + 1 || (i < end && b[i] != ':') || i - c1 > 15) {
        *err = Colon(b, c1 + 1, end) >= end ? "expected Hash:Size:Name" : "size is not a number or *";
        return false;
      }
      if (size >= kAnySize) return (*err = "size above 4294967294 (ClamAV sizes are 32-bit)"), false;
    }
    size_t c2 = i;
    if (c2 >= end || b[c2] != ':') return (*err = "expected Hash:Size:Name"), false;
    size_t c3 = Colon(b, c2 + 1, end);
    if (c3 == c2 + 1) return (*err = "empty signature name"), false;
    if (c3 < end) {
      size_t c4 = Colon(b, c3 + 1, end);
      double mn = ParseUint(b, c3 + 1, c4);
      bool has_max = c4 < end;
      double mx = has_max ? ParseUint(b, c4 + 1, end) : 0;
      if (mn < 0 || (has_max && mx < 0)) return (*err = "functionality level is not a number"), false;
      if (mn > kEngineFlevel || (has_max && mx < kEngineFlevel)) return (*err = "flevel"), false;
    }
    uint32_t num = 0;
    uint32_t ref = Encode(b, c2 + 1, c3, &num);
    auto& r = raw_[kind];
    const size_t d = kDigestLen[kind];
    size_t at = r.size();
    r.resize(at + d + 12);
    std::memcpy(&r[at], digest, d);
    Store32(&r[at + d], static_cast<uint32_t>(size));
    Store32(&r[at + d + 4], ref);
    Store32(&r[at + d + 8], num);
    return true;
  }

  // hash-index.ts NameTable.encodeBytes: `prefix-N-R` (N 1..9 digits, no leading zero unless
  // alone, R one digit, N*10+R+1 within 32 bits, prefix not ending in a space or tab) →
  // (prefix ref, N*10+R+1).
  uint32_t Encode(const uint8_t* b, size_t s, size_t e, uint32_t* num) {
    size_t end = e;
    *num = 0;
    if (e - s >= 5 && b[e - 1] >= '0' && b[e - 1] <= '9' && b[e - 2] == '-') {
      long j = static_cast<long>(e) - 3;
      uint64_t n = 0, mul = 1;
      while (j >= static_cast<long>(s) && b[j] >= '0' && b[j] <= '9' && static_cast<long>(e) - 3 - j < 9) {
        n += (b[j] - '0') * mul;
        mul *= 10;
        j--;
      }
      long digits = static_cast<long>(e) - 3 - j;
      uint64_t packed = n * 10 + (b[e - 1] - '0') + 1;
      if (digits > 0 && j > static_cast<long>(s) && b[j] == '-' && (digits == 1 || b[j + 1] != '0') && b[j - 1] != ' ' &&
          b[j - 1] != '\t' && packed <= 0xffffffffu) {
        end = static_cast<size_t>(j);
        *num = static_cast<uint32_t>(packed);
      }
    }
    return Intern(b + s, end - s);
  }

  // Open addressing on a hash of the length and the first and last 4 bytes (the compare is
  // exact), without building a std::string per line.
  uint32_t Intern(const uint8_t* p, size_t len) {
    uint32_t h = (0x811c9dc5u ^ static_cast<uint32_t>(len)) * 0x01000193u;
    size_t k = std::min<size_t>(4, len);
    for (size_t i = 0; i < k; i++) h = (h ^ p[i]) * 0x01000193u;
    for (size_t i = 1; i <= k; i++) h = (h ^ p[len - i]) * 0x01000193u;
    if ((out_->prefixes.size() + 1) * 2 > slots_.size()) Rehash();
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      uint32_t ref = slots_[i];
      if (ref == kEmpty) {
        ref = static_cast<uint32_t>(out_->prefixes.size());
        out_->prefixes.emplace_back(reinterpret_cast<const char*>(p), len);
        hashes_.push_back(h);
        slots_[i] = ref;
        return ref;
      }
      const std::string& q = out_->prefixes[ref];
      if (hashes_[ref] == h && q.size() == len && std::memcmp(q.data(), p, len) == 0) return ref;
    }
  }

  void Rehash() {
    std::vector<uint32_t> next(std::max<size_t>(1024, slots_.size() * 2), kEmpty);
    size_t mask = next.size() - 1;
    for (uint32_t ref = 0; ref < out_->prefixes.size(); ref++) {
      size_t i = hashes_[ref] & mask;
      while (next[i] != kEmpty) i = (i + 1) & mask;
      next[i] = ref;
    }
    slots_.swap(next);
  }

  Table Build(int kind) {
    Table t;
    t.digest_len = kDigestLen[kind];
    const size_t w = t.digest_len + 12;
    std::vector<uint8_t>& raw = raw_[kind];
    const size_t n = raw.size() / w;
    t.buckets.assign(65537, 0);
    for (size_t i = 0; i < n; i++) t.buckets[((raw[i * w] << 8) | raw[i * w + 1]) + 1]++;
    for (size_t k = 0; k < 65536; k++) t.buckets[k + 1] += t.buckets[k];
    std::vector<uint32_t> next(t.buckets.begin(), t.buckets.end() - 1);
    t.records.resize(raw.size());
    for (size_t i = 0; i < n; i++) {
      uint32_t k = (raw[i * w] << 8) | raw[i * w + 1];
      std::memcpy(&t.records[static_cast<size_t>(next[k]++) * w], &raw[i * w], w);
    }
    std::vector<uint8_t>().swap(raw);
    const size_t key = t.digest_len + 4;
    std::vector<uint32_t> idx;
    std::vector<uint8_t> tmp;
    for (size_t k = 0; k < 65536; k++) {
      size_t lo = t.buckets[k], hi = t.buckets[k + 1];
      if (hi - lo <= kSmallBucket) continue;
      idx.resize(hi - lo);
      std::iota(idx.begin(), idx.end(), static_cast<uint32_t>(lo));
      uint8_t* rec = t.records.data();
      std::stable_sort(idx.begin(), idx.end(), [&](uint32_t a, uint32_t c) { return std::memcmp(rec + a * w, rec + c * w, key) < 0; });
      tmp.resize((hi - lo) * w);
      for (size_t i = 0; i < idx.size(); i++) std::memcpy(&tmp[i * w], rec + idx[i] * w, w);
      std::memcpy(rec + lo * w, tmp.data(), tmp.size());
    }
    for (size_t i = 0; i < n; i++) {
      const uint8_t* p = &t.records[i * w + t.digest_len];
      uint32_t s = (static_cast<uint32_t>(p[0]) << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
      if (s == kAnySize) {
        t.any_size = true;
      } else {
        t.sizes.push_back(s);
      }
    }
    SortUnique(&t.sizes);
    return t;
  }

  static constexpr uint32_t kEmpty = 0xffffffffu;
  Result* out_;
  std::vector<uint8_t> raw_[3];
  std::vector<uint32_t> slots_;
  std::vector<uint32_t> hashes_;
};

}  // namespace

void ParseBuffer(const uint8_t* data, size_t len, Result* out) {
  Parser p(out, len);
  size_t start = 0;
  uint64_t line = 0;
  while (start < len) {
    const void* nl = std::memchr(data + start, '\n', len - start);
    size_t end = nl ? static_cast<const uint8_t*>(nl) - data : len;
    p.Line(data, start, end, ++line);
    start = end + 1;
  }
  out->tally.lines = line;
  p.Finish();
}

int ParseFile(const std::string& path, int64_t start, int64_t end, Result* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  Parser p(out, end >= 0 ? static_cast<size_t>(end - start) : 0);
  std::vector<uint8_t> buf;  // carried partial line, then the chunk read right after it
  uint64_t line = 0;
  bool skipping = false;  // inside a line already reported as too long
  int64_t pos = start;
  for (;;) {
    size_t want = kReadChunk;
    if (end >= 0) want = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(kReadChunk), end - pos));
    if (want == 0) break;
    size_t carry = buf.size();
    buf.resize(carry + want);
    ssize_t n = pread(fd, buf.data() + carry, want, pos);
    if (n < 0) {
      buf.resize(carry);
      if (errno == EINTR) continue;
      int e = errno;
      close(fd);
      return e;
    }
    buf.resize(carry + static_cast<size_t>(n));
    if (n == 0) break;
    pos += n;
    size_t s = 0;
    for (;;) {
      const void* nl = std::memchr(buf.data() + s, '\n', buf.size() - s);
      if (!nl) break;
      size_t e = static_cast<const uint8_t*>(nl) - buf.data();
      line++;
      if (!skipping) p.Line(buf.data(), s, e, line);
      skipping = false;
      s = e + 1;
    }
    buf.erase(buf.begin(), buf.begin() + s);
    if (skipping || buf.size() > kMaxLine) {
      if (!skipping) p.Line(buf.data(), 0, buf.size(), line + 1);  // reports "line too long"
      skipping = true;
      buf.clear();
    }
  }
  close(fd);
  if (!buf.empty() && !skipping) p.Line(buf.data(), 0, buf.size(), ++line);
  else if (skipping) ++line;
  out->tally.lines = line;
  p.Finish();
  return 0;
}

}  // namespace hashdb
}  // namespace wdav
