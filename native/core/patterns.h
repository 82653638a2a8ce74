// native/core/patterns.h — body-signature matching with Vectorscan/Hyperscan (libhs).
// Owns: compiling translated expressions into one STREAMING database (reporting and skipping
// the expressions Hyperscan rejects), (de)serializing it, a pool of scratch spaces cloned per
// concurrent stream, and per-file streams (optionally reading the chunk with pread first).
// Plain C++: no N-API here (native/binding.cc converts). Errors are returned as strings/errno.
// Must not: know about signature formats (src/definitions/ translates them) or open files.
// Compiled only with WDAV_HAVE_HS (binding.gyp detects libhs with pkg-config).
#pragma once
#ifdef WDAV_HAVE_HS

#include <hs/hs.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace wdav {
namespace patterns {

constexpr uint64_t kUnbounded = UINT64_MAX;

// One translated signature. min/max_offset bound the END offset of a match (0 = unset).
struct Expr {
  std::string pattern;
  unsigned flags = 0;
  uint64_t min_offset = 0;
  uint64_t max_offset = 0;
};

// A signature anchored at end of data (ClamAV `EOF-n[,shift]`): its start must lie in
// [size-n, size-n+shift]. Hyperscan only reports the end e of a match, so the start is taken
// as any value in [e-max_len, e-min_len] (exact for fixed-length signatures).
struct EofRule {
  bool active = false;
  uint64_t n = 0;
  uint64_t shift = 0;
  uint64_t min_len = 0;
  uint64_t max_len = kUnbounded;
};

struct Rejection {
  uint32_t index;
  std::string message;
};

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Compiles `exprs` (ids = their indexes) in HS_MODE_STREAM. Expressions Hyperscan refuses
  // are appended to `rejected` and left out; returns nullptr (and `error`) only when nothing
  // usable remains to compile or the library fails as a whole.
  static std::shared_ptr<Database> Compile(const std::vector<Expr>& exprs, std::vector<EofRule> eof,
                                           std::vector<Rejection>* rejected, std::string* error);
  static std::shared_ptr<Database> Deserialize(const char* bytes, size_t len, std::vector<EofRule> eof,
                                               std::string* error);
  bool Serialize(std::string* out, std::string* error) const;
  size_t Size() const;

  // Scratch pool: one scratch per stream in flight, returned when the stream closes.
  hs_scratch_t* AcquireScratch(std::string* error);
  void ReleaseScratch(hs_scratch_t* s);

  hs_database_t* db() const { return db_; }
  const EofRule* eof_rule(uint32_t id) const { return id < eof_.size() && eof_[id].active ? &eof_[id] : nullptr; }
  const std::vector<EofRule>& eof_rules() const { return eof_; }

 private:
  Database(hs_database_t* db, std::vector<EofRule> eof);
  hs_database_t* db_;
  std::vector<EofRule> eof_;
  std::mutex mu_;
  hs_scratch_t* prototype_ = nullptr;
  std::vector<hs_scratch_t*> free_;
};

// One file (or archive member) being scanned. Not thread-safe: one chunk at a time (busy flag
// guards it); chunks are scanned in order so matches straddling chunk boundaries are found.
class Stream {
 public:
  // total_size < 0: unknown (EOF rules are then evaluated when the stream closes).
  Stream(std::shared_ptr<Database> db, int64_t total_size);
  ~Stream();
  bool Open(std::string* error);
  // Scans data[0..len). Returns false with `error` on a Hyperscan failure.
  bool Scan(const char* data, size_t len, std::string* error);
  // pread(fd, buf, cap, pos) (retrying EINTR) then Scan; *nread = bytes read (0 at EOF).
  // Returns 0, or the errno of a failed read (scan failures: -1 with `error`).
  int ReadAndScan(int fd, char* buf, size_t cap, int64_t pos, size_t* nread, std::string* error);
  // Flushes end-anchored matches, releases the scratch. Returns matched ids, sorted, unique.
  std::vector<uint32_t> Close(int64_t final_size);
  // Batch scanning (native/core/scanbatch.*): ends the current file like Close() — matched ids
  // sorted and unique, valid until the next Restart — but keeps the scratch and the Hyperscan
  // stream (hs_reset_stream) so one thread scans many files without allocating per file.
  const std::vector<uint32_t>& Finish(int64_t final_size);
  // Starts the next file on a stream that Finish() ended.
  void Restart(int64_t total_size);

  std::atomic<bool> busy{false};

 private:
  static int OnMatch(unsigned id, unsigned long long from, unsigned long long to, unsigned flags, void* ctx);
  void Record(uint32_t id, uint64_t end);
  bool EofOk(const EofRule& r, uint64_t end, uint64_t size) const;
  // After the end-of-data matches: the EOF rules decided with the final size, ids sorted.
  void Settle(int64_t final_size);

  std::shared_ptr<Database> db_;
  int64_t total_size_;
  hs_stream_t* stream_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
  std::vector<uint32_t> matched_;
  // Unknown size: candidate ends of EOF rules, kept only while they can still be valid.
  std::vector<std::pair<uint32_t, uint64_t>> eof_candidates_;
  bool closed_ = false;
};

std::string Version();

}  // namespace patterns
}  // namespace wdav

#endif  // WDAV_HAVE_HS
