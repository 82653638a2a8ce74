// native/core/patterns.cc — see patterns.h. Compilation isolates rejected expressions: each is
// first checked alone with hs_expression_ext_info (syntax, "Bounded repeat is too large"), then
// the multi-compile drops any expression Hyperscan names in its error and retries; an error
// naming no expression is narrowed down by bisection, so one bad signature never costs the
// whole database.
#ifdef WDAV_HAVE_HS
#include "core/patterns.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace wdav {
namespace patterns {

namespace {

struct CompileInput {
  std::vector<const char*> ptrs;
  std::vector<unsigned> flags;
  std::vector<unsigned> ids;
  std::vector<hs_expr_ext_t> exts;
  std::vector<const hs_expr_ext_t*> ext_ptrs;
};

hs_expr_ext_t MakeExt(const Expr& e) {
  hs_expr_ext_t ext{};
  if (e.min_offset) {
    ext.flags |= HS_EXT_FLAG_MIN_OFFSET;
    ext.min_offset = e.min_offset;
  }
  if (e.max_offset) {
    ext.flags |= HS_EXT_FLAG_MAX_OFFSET;
    ext.max_offset = e.max_offset;
  }
  return ext;
}

// Compiles the subset `which` of `exprs`. On failure *bad is the original index Hyperscan
// blamed, or -1 when it blamed none.
hs_database_t* CompileSubset(const std::vector<Expr>& exprs, const std::vector<uint32_t>& which, long* bad,
                             std::string* message) {
  CompileInput in;
  in.ptrs.reserve(which.size());
  in.exts.reserve(which.size());
  for (uint32_t i : which) {
    in.ptrs.push_back(exprs[i].pattern.c_str());
    in.flags.push_back(exprs[i].flags);
    in.ids.push_back(i);
    in.exts.push_back(MakeExt(exprs[i]));
  }
  for (auto& e : in.exts) in.ext_ptrs.push_back(&e);
  hs_database_t* db = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_compile_ext_multi(in.ptrs.data(), in.flags.data(), in.ids.data(), in.ext_ptrs.data(),
                                       static_cast<unsigned>(which.size()), HS_MODE_STREAM, nullptr, &db, &err);
  if (rc == HS_SUCCESS) return db;
  *bad = -1;
  *message = "hs_compile_ext_multi failed";
  if (err) {
    if (err->message) *message = err->message;
    if (err->expression >= 0 && static_cast<size_t>(err->expression) < which.size()) *bad = which[err->expression];
    hs_free_compile_error(err);
  }
  return nullptr;
}

// Removes from `which` every expression that cannot compile, recording why.
void Isolate(const std::vector<Expr>& exprs, std::vector<uint32_t> which, std::vector<Rejection>* rejected,
             std::vector<uint32_t>* good) {
  while (!which.empty()) {
    long bad = -1;
    std::string msg;
    hs_database_t* db = CompileSubset(exprs, which, &bad, &msg);
    if (db) {
      hs_free_database(db);
      good->insert(good->end(), which.begin(), which.end());
      return;
    }
    if (bad >= 0) {
      rejected->push_back({static_cast<uint32_t>(bad), msg});
      which.erase(std::remove(which.begin(), which.end(), static_cast<uint32_t>(bad)), which.end());
      continue;
    }
    if (which.size() == 1) {
      rejected->push_back({which[0], msg});
      return;
    }
    size_t half = which.size() / 2;
    Isolate(exprs, std::vector<uint32_t>(which.begin(), which.begin() + half), rejected, good);
    Isolate(exprs, std::vector<uint32_t>(which.begin() + half, which.end()), rejected, good);
    return;
  }
}

}  // namespace

Database::Database(hs_database_t* db, std::vector<EofRule> eof) : db_(db), eof_(std::move(eof)) {}

Database::~Database() {
  for (hs_scratch_t* s : free_) hs_free_scratch(s);
  if (prototype_) hs_free_scratch(prototype_);
  if (db_) hs_free_database(db_);
}

std::shared_ptr<Database> Database::Compile(const std::vector<Expr>& exprs, std::vector<EofRule> eof,
                                            std::vector<Rejection>* rejected, std::string* error) {
  std::vector<uint32_t> valid;
  valid.reserve(exprs.size());
  for (uint32_t i = 0; i < exprs.size(); i++) {
    hs_expr_info_t* info = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_expr_ext_t ext = MakeExt(exprs[i]);
    if (hs_expression_ext_info(exprs[i].pattern.c_str(), exprs[i].flags, &ext, &info, &err) != HS_SUCCESS) {
      rejected->push_back({i, err && err->message ? err->message : "invalid expression"});
    } else {
      valid.push_back(i);
    }
    if (err) hs_free_compile_error(err);
    if (info) free(info);
  }
  if (valid.empty()) {
    *error = "no expression could be compiled";
    return nullptr;
  }
  long bad = -1;
  std::string msg;
  hs_database_t* db = CompileSubset(exprs, valid, &bad, &msg);
  if (!db) {
    std::vector<uint32_t> good;
    Isolate(exprs, valid, rejected, &good);
    if (good.empty()) {
      *error = "no expression could be compiled";
      return nullptr;
    }
    std::sort(good.begin(), good.end());
    db = CompileSubset(exprs, good, &bad, &msg);
    if (!db) {
      *error = "the database as a whole failed to compile: " + msg;
      return nullptr;
    }
  }
  std::sort(rejected->begin(), rejected->end(), [](const Rejection& a, const Rejection& b) { return a.index < b.index; });
  eof.resize(exprs.size());
  return std::shared_ptr<Database>(new Database(db, std::move(eof)));
}

std::shared_ptr<Database> Database::Deserialize(const char* bytes, size_t len, std::vector<EofRule> eof,
                                                std::string* error) {
  hs_database_t* db = nullptr;
  hs_error_t rc = hs_deserialize_database(bytes, len, &db);
  if (rc != HS_SUCCESS) {
    *error = rc == HS_DB_VERSION_ERROR    ? "serialized database was built by another Vectorscan version"
             : rc == HS_DB_PLATFORM_ERROR ? "serialized database was built for another CPU"
                                          : "serialized database is invalid (" + std::to_string(rc) + ")";
    return nullptr;
  }
  return std::shared_ptr<Database>(new Database(db, std::move(eof)));
}

bool Database::Serialize(std::string* out, std::string* error) const {
  char* bytes = nullptr;
  size_t len = 0;
  if (hs_serialize_database(db_, &bytes, &len) != HS_SUCCESS) {
    *error = "hs_serialize_database failed";
    return false;
  }
  out->assign(bytes, len);
  free(bytes);
  return true;
}

size_t Database::Size() const {
  size_t n = 0;
  hs_database_size(db_, &n);
  return n;
}

hs_scratch_t* Database::AcquireScratch(std::string* error) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!free_.empty()) {
    hs_scratch_t* s = free_.back();
    free_.pop_back();
    return s;
  }
  if (!prototype_ && hs_alloc_scratch(db_, &prototype_) != HS_SUCCESS) {
    *error = "hs_alloc_scratch failed";
    return nullptr;
  }
  hs_scratch_t* s = nullptr;
  if (hs_clone_scratch(prototype_, &s) != HS_SUCCESS) {
    *error = "hs_clone_scratch failed";
    return nullptr;
  }
  return s;
}

void Database::ReleaseScratch(hs_scratch_t* s) {
  std::lock_guard<std::mutex> lock(mu_);
  // Keep a few for reuse; the number of streams in flight is bounded by the scan queue.
  if (free_.size() < 64) {
    free_.push_back(s);
  } else {
    hs_free_scratch(s);
  }
}

Stream::Stream(std::shared_ptr<Database> db, int64_t total_size) : db_(std::move(db)), total_size_(total_size) {}

Stream::~Stream() {
  if (!closed_) Close(total_size_);
}

bool Stream::Open(std::string* error) {
  scratch_ = db_->AcquireScratch(error);
  if (!scratch_) return false;
  if (hs_open_stream(db_->db(), 0, &stream_) != HS_SUCCESS) {
    *error = "hs_open_stream failed";
    db_->ReleaseScratch(scratch_);
    scratch_ = nullptr;
    return false;
  }
  return true;
}

bool Stream::EofOk(const EofRule& r, uint64_t end, uint64_t size) const {
  if (r.n > size) return false;
  uint64_t lo = size - r.n;
  uint64_t hi = lo + r.shift;
  // Some start s in [end-max_len, end-min_len] must fall in [lo, hi].
  if (end < r.min_len || end - r.min_len < lo) return false;
  if (r.max_len == kUnbounded) return true;
  return end <= r.max_len || end - r.max_len <= hi;
}

void Stream::Record(uint32_t id, uint64_t end) {
  if (std::find(matched_.begin(), matched_.end(), id) == matched_.end()) matched_.push_back(id);
}

int Stream::OnMatch(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
  Stream* self = static_cast<Stream*>(ctx);
  const EofRule* r = self->db_->eof_rule(id);
  if (!r) {
    self->Record(id, to);
  } else if (self->total_size_ >= 0) {
    if (self->EofOk(*r, to, static_cast<uint64_t>(self->total_size_))) self->Record(id, to);
  } else if (self->eof_candidates_.size() < 65536) {
    // Bounded: a pathological signature matching everywhere keeps at most this many ends.
    self->eof_candidates_.emplace_back(id, to);
  }
  return 0;
}

bool Stream::Scan(const char* data, size_t len, std::string* error) {
  if (!stream_) return true;
  // hs_scan_stream takes an unsigned length: feed larger buffers in pieces.
  while (len > 0) {
    unsigned piece = static_cast<unsigned>(std::min<size_t>(len, 1u << 30));
    hs_error_t rc = hs_scan_stream(stream_, data, piece, 0, scratch_, OnMatch, this);
    if (rc != HS_SUCCESS && rc != HS_SCAN_TERMINATED) {
      *error = "hs_scan_stream failed (" + std::to_string(rc) + ")";
      return false;
    }
    data += piece;
    len -= piece;
  }
  return true;
}

int Stream::ReadAndScan(int fd, char* buf, size_t cap, int64_t pos, size_t* nread, std::string* error) {
  size_t got = 0;
  while (got < cap) {
    ssize_t n = pread(fd, buf + got, cap - got, static_cast<off_t>(pos + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  *nread = got;
  if (!Scan(buf, got, error)) return -1;
  return 0;
}

std::vector<uint32_t> Stream::Close(int64_t final_size) {
  if (closed_) return matched_;
  closed_ = true;
  if (stream_) {
    hs_close_stream(stream_, scratch_, OnMatch, this);
    stream_ = nullptr;
  }
  if (scratch_) {
    db_->ReleaseScratch(scratch_);
    scratch_ = nullptr;
  }
  Settle(final_size);
  return matched_;
}

const std::vector<uint32_t>& Stream::Finish(int64_t final_size) {
  if (closed_) return matched_;
  // hs_reset_stream raises the end-of-data matches like hs_close_stream, then reuses the state.
  if (stream_) hs_reset_stream(stream_, 0, scratch_, OnMatch, this);
  Settle(final_size);
  return matched_;
}

void Stream::Settle(int64_t final_size) {
  if (final_size >= 0) {
    for (const auto& c : eof_candidates_) {
      const EofRule* r = db_->eof_rule(c.first);
      if (r && EofOk(*r, c.second, static_cast<uint64_t>(final_size))) Record(c.first, c.second);
    }
  }
  eof_candidates_.clear();
  std::sort(matched_.begin(), matched_.end());
}

void Stream::Restart(int64_t total_size) {
  matched_.clear();
  eof_candidates_.clear();
  total_size_ = total_size;
}

std::string Version() { return hs_version(); }

}  // namespace patterns
}  // namespace wdav

#endif  // WDAV_HAVE_HS
