// native/binding.cc — the one N-API file: converts between JS values and the plain C++ core
// in native/core/. No system logic lives here; errors from the core (errno values or
// core exceptions) become JS exceptions with a `code` only at this boundary.
//
// Exports (typed in src/shared/native.ts):
//   features: { fanotify: bool, vectorscan: bool, vectorscanVersion: string, yara: true, yaraVersion: string }
//   peerCred(fd) -> { pid, uid, gid }
//   peerGroups(fd) -> number[] (SO_PEERGROUPS: supplementary groups at connect time)
//   nofileLimit() -> { soft, hard } (RLIMIT_NOFILE; Infinity when unlimited)
//   sdNotify(socketPath, state) -> undefined (throws on failure)
//   armExitWatchdog(ms, code) -> undefined: _exit(code) after ms, from a thread of its own
//   FanotifyGroup (Linux only) -> class, typed in src/rtp/fanotify/native.ts
#include <napi.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>
#include <string>

#include "core/content_link.h"
#include "core/plan_bundle.h"
#include "core/scanner_link.h"
#include "core/sys.h"
#include "core/patterns.h"
#include "core/patterns_hashdb.h"
#include "core/scanbatch.h"
#include "core/scanlane.h"
#include "core/walker.h"
#include "core/yara_pool.h"
#include "core/yara_rules.h"
#ifdef WDAV_HAVE_FANOTIFY
#include <cerrno>
#include <unistd.h>

#include "core/fanotify_group.h"
#endif

namespace {

Napi::Error ErrnoError(Napi::Env env, int err, const char* what) {
  Napi::Error e = Napi::Error::New(env, std::string(what) + ": " + std::strerror(err));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, "WDAV_ERR_NATIVE"));
  return e;
}

Napi::Value PeerCred(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "peerCred(fd): fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  wdav::PeerCred cred{};
  int err = wdav::peer_cred(info[0].As<Napi::Number>().Int32Value(), &cred);
  if (err != 0) {
    ErrnoError(env, err, "getsockopt(SO_PEERCRED)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, cred.pid));
  out.Set("uid", Napi::Number::New(env, cred.uid));
  out.Set("gid", Napi::Number::New(env, cred.gid));
  return out;
}

Napi::Value PeerGroups(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "peerGroups(fd): fd must be a number").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<gid_t> groups;
  int err = wdav::peer_groups(info[0].As<Napi::Number>().Int32Value(), &groups);
  if (err != 0) {
    ErrnoError(env, err, "getsockopt(SO_PEERGROUPS)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array out = Napi::Array::New(env, groups.size());
  for (uint32_t i = 0; i < groups.size(); ++i) out.Set(i, Napi::Number::New(env, groups[i]));
  return out;
}

Napi::Value NofileLimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t soft = 0, hard = 0;
  int err = wdav::nofile_limit(&soft, &hard);
  if (err != 0) {
    ErrnoError(env, err, "getrlimit(RLIMIT_NOFILE)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto num = [&](uint64_t v) {
    return Napi::Number::New(env, v == UINT64_MAX ? std::numeric_limits<double>::infinity() : static_cast<double>(v));
  };
  Napi::Object out = Napi::Object::New(env);
  out.Set("soft", num(soft));
  out.Set("hard", num(hard));
  return out;
}

Napi::Value SdNotify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "sdNotify(socketPath, state): strings expected").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int err = wdav::sd_notify_send(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  if (err != 0) ErrnoError(env, err, "sendto(NOTIFY_SOCKET)").ThrowAsJavaScriptException();
  return env.Undefined();
}

// armExitWatchdog(ms, code): see wdav::arm_exit_watchdog.
Napi::Value ArmExitWatchdog(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "armExitWatchdog(ms, code): numbers expected");
  int err = wdav::arm_exit_watchdog(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Int32Value());
  if (err != 0) ErrnoError(env, err, "arm_exit_watchdog").ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Object Features(Napi::Env env) {
  Napi::Object f = Napi::Object::New(env);
#ifdef WDAV_HAVE_FANOTIFY
  f.Set("fanotify", Napi::Boolean::New(env, true));
#else
  f.Set("fanotify", Napi::Boolean::New(env, false));
#endif
#ifdef WDAV_HAVE_HS
  f.Set("vectorscan", Napi::Boolean::New(env, true));
#else
  f.Set("vectorscan", Napi::Boolean::New(env, false));
#endif
  return f;
}

// ---- shared by the patterns and hashdb sections: promise-returning AsyncWorker ----
Napi::Error PatternsError(Napi::Env env, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, "WDAV_ERR_DEFINITIONS_INVALID"));
  return e;
}

class PromiseWorker : public Napi::AsyncWorker {
 public:
  explicit PromiseWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void OnError(const Napi::Error& e) override {
    Napi::Error err = errno_ ? ErrnoError(Env(), errno_, "pread") : PatternsError(Env(), e.Message());
    deferred_.Reject(err.Value());
  }
  Napi::Promise::Deferred deferred_;
  int errno_ = 0;
};

// ---- hashdb section (hash database parser; typed in src/definitions/hashdb-native.ts) ----
// hashdbParse(path, start, end) | hashdbParse(buffer) -> Promise<{ tables, prefixes, tally }>
//   tables: [{ kind, records: Buffer, buckets: Uint32Array, sizes: Uint32Array, anySize }]
// Runs on the threadpool; the tables' memory is handed to JS without a copy.
namespace hdb = wdav::hashdb;

template <typename T>
Napi::Value OwnedTyped(Napi::Env env, std::vector<T>&& v) {
  auto* holder = new std::vector<T>(std::move(v));
  if (holder->empty()) holder->resize(1);  // a zero-length external buffer is not allowed everywhere
  return Napi::ArrayBuffer::New(env, holder->data(), holder->size() * sizeof(T), [](Napi::Env, void*, std::vector<T>* h) { delete h; }, holder);
}

class HashdbWorker : public PromiseWorker {
 public:
  HashdbWorker(Napi::Env env, std::string path, int64_t start, int64_t end) : PromiseWorker(env), path_(std::move(path)), start_(start), end_(end) {}
  HashdbWorker(Napi::Env env, Napi::Buffer<uint8_t> buf)
      : PromiseWorker(env), buf_(Napi::Persistent(buf)), data_(buf.Data()), len_(buf.Length()), from_buffer_(true) {}
  void Execute() override {
    if (from_buffer_) {
      hdb::ParseBuffer(data_, len_, &r_);
      return;
    }
    int e = hdb::ParseFile(path_, start_, end_, &r_);
    if (e != 0) {
      errno_ = e;
      SetError("read failed");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    static const char* kKinds[3] = {"md5", "sha1", "sha256"};
    Napi::Array tables = Napi::Array::New(env, r_.tables.size());
    for (size_t i = 0; i < r_.tables.size(); i++) {
      hdb::Table& t = r_.tables[i];
      Napi::Object o = Napi::Object::New(env);
      o.Set("kind", kKinds[t.digest_len == 16 ? 0 : t.digest_len == 20 ? 1 : 2]);
      size_t n_sizes = t.sizes.size();
      auto* rec = new std::vector<uint8_t>(std::move(t.records));
      o.Set("records", Napi::Buffer<uint8_t>::New(env, rec->data(), rec->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* h) { delete h; }, rec));
      o.Set("buckets", Napi::Uint32Array::New(env, 65537, OwnedTyped(env, std::move(t.buckets)).As<Napi::ArrayBuffer>(), 0));
      o.Set("sizes", Napi::Uint32Array::New(env, n_sizes, OwnedTyped(env, std::move(t.sizes)).As<Napi::ArrayBuffer>(), 0));
      o.Set("anySize", t.any_size);
      tables.Set(i, o);
    }
    Napi::Array prefixes = Napi::Array::New(env, r_.prefixes.size());
    for (size_t i = 0; i < r_.prefixes.size(); i++) prefixes.Set(i, Napi::String::New(env, r_.prefixes[i]));
    Napi::Object tally = Napi::Object::New(env);
    tally.Set("lines", static_cast<double>(r_.tally.lines));
    tally.Set("loaded", static_cast<double>(r_.tally.loaded));
    tally.Set("malformed", static_cast<double>(r_.tally.malformed));
    Napi::Object reasons = Napi::Object::New(env);
    for (auto& kv : r_.tally.skip_reasons) reasons.Set(kv.first, static_cast<double>(kv.second));
    tally.Set("skipReasons", reasons);
    Napi::Array errors = Napi::Array::New(env, r_.tally.errors.size());
    for (size_t i = 0; i < r_.tally.errors.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("line", static_cast<double>(r_.tally.errors[i].first));
      e.Set("message", r_.tally.errors[i].second);
      errors.Set(i, e);
    }
    tally.Set("errors", errors);
    Napi::Object out = Napi::Object::New(env);
    out.Set("tables", tables);
    out.Set("prefixes", prefixes);
    out.Set("tally", tally);
    deferred_.Resolve(out);
  }

 private:
  std::string path_;
  int64_t start_ = 0, end_ = -1;
  Napi::Reference<Napi::Buffer<uint8_t>> buf_;
  const uint8_t* data_ = nullptr;
  size_t len_ = 0;
  bool from_buffer_ = false;
  hdb::Result r_;
};

Napi::Value HashdbParse(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HashdbWorker* w;
  if (info.Length() >= 1 && info[0].IsBuffer()) {
    w = new HashdbWorker(env, info[0].As<Napi::Buffer<uint8_t>>());
  } else if (info.Length() >= 3 && info[0].IsString() && info[1].IsNumber() && info[2].IsNumber()) {
    w = new HashdbWorker(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int64Value(), info[2].As<Napi::Number>().Int64Value());
  } else {
    throw Napi::TypeError::New(env, "hashdbParse(path, start, end) or hashdbParse(buffer)");
  }
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}
// ---- end hashdb section ----

// The object behind an External of the given type tag, or a TypeError naming `what`.
template <typename T>
T* Unwrap(const Napi::Value& v, const napi_type_tag* tag, const char* what) {
  if (!v.IsExternal() || !v.As<Napi::External<T>>().CheckTypeTag(tag))
    throw Napi::TypeError::New(v.Env(), std::string(what) + " expected");
  return v.As<Napi::External<T>>().Data();
}

// ---- patterns section (Vectorscan body matcher; typed in src/engine/patterns/binding.ts) ----
// patternsCompile(exprs, flags, minOffsets, maxOffsets, eofRules) -> Promise<{db, serialized, rejected}>
// patternsLoad(serialized, eofRules) -> Promise<db>
// patternsOpen(db, totalSize) -> stream;  patternsScan(stream, buf, len) -> Promise<void>
// patternsScanSync(stream, buf, len) -> len (on the calling thread: small chunks only)
// patternsReadScan(stream, fd, buf, len, position[, total, advance]) -> Promise<bytesRead>
//   reads+scans up to `total` bytes (default len) in chunks of len; `advance` fills buf in
//   order (whole-file buffer) instead of reusing its first len bytes
// patternsClose(stream, finalSize) -> Uint32Array of matched ids;  patternsDbSize(db) -> bytes
// Compile, load and every chunk scan run on the libuv threadpool (AsyncWorker): a 1 MiB chunk
// takes 0.5-2 ms to scan, too long to spend on the event loop.
#ifdef WDAV_HAVE_HS
namespace pat = wdav::patterns;

const napi_type_tag kDbTag = {0x77646176a1b2c3d4ULL, 0x5061747465726e44ULL};
const napi_type_tag kStreamTag = {0x77646176a1b2c3d4ULL, 0x5061747465726e53ULL};

using DbRef = std::shared_ptr<pat::Database>;
using StreamRef = std::shared_ptr<pat::Stream>;

Napi::Value WrapDb(Napi::Env env, DbRef db) {
  auto ext = Napi::External<DbRef>::New(env, new DbRef(std::move(db)), [](Napi::Env, DbRef* p) { delete p; });
  ext.TypeTag(&kDbTag);
  return ext;
}


std::vector<pat::EofRule> EofRules(const Napi::Value& v, size_t count) {
  std::vector<pat::EofRule> out(count);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::TypeError::New(v.Env(), "eofRules must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  // Five numbers per EOF rule: id, n, shift, minLen, maxLen (-1 = unbounded).
  for (size_t i = 0; i + 4 < a.ElementLength(); i += 5) {
    size_t id = static_cast<size_t>(a[i]);
    if (id >= count) out.resize(id + 1);
    out[id].active = true;
    out[id].n = static_cast<uint64_t>(a[i + 1]);
    out[id].shift = static_cast<uint64_t>(a[i + 2]);
    out[id].min_len = static_cast<uint64_t>(a[i + 3]);
    out[id].max_len = a[i + 4] < 0 ? pat::kUnbounded : static_cast<uint64_t>(a[i + 4]);
  }
  return out;
}


class CompileWorker : public PromiseWorker {
 public:
  CompileWorker(Napi::Env env, std::vector<pat::Expr> exprs, std::vector<pat::EofRule> eof)
      : PromiseWorker(env), exprs_(std::move(exprs)), eof_(std::move(eof)) {}
  void Execute() override {
    std::string err;
    db_ = pat::Database::Compile(exprs_, std::move(eof_), &rejected_, &err);
    if (!db_ || !db_->Serialize(&serialized_, &err)) SetError(err);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("db", WrapDb(env, db_));
    out.Set("serialized", Napi::Buffer<char>::Copy(env, serialized_.data(), serialized_.size()));
    Napi::Array rej = Napi::Array::New(env, rejected_.size());
    for (size_t i = 0; i < rejected_.size(); i++) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("index", Napi::Number::New(env, rejected_[i].index));
      r.Set("message", Napi::String::New(env, rejected_[i].message));
      rej.Set(i, r);
    }
    out.Set("rejected", rej);
    deferred_.Resolve(out);
  }

 private:
  std::vector<pat::Expr> exprs_;
  std::vector<pat::EofRule> eof_;
  std::vector<pat::Rejection> rejected_;
  DbRef db_;
  std::string serialized_;
};

class LoadWorker : public PromiseWorker {
 public:
  LoadWorker(Napi::Env env, Napi::Buffer<char> buf, std::vector<pat::EofRule> eof)
      : PromiseWorker(env), buf_(Napi::Persistent(buf)), data_(buf.Data()), len_(buf.Length()), eof_(std::move(eof)) {}
  void Execute() override {
    std::string err;
    db_ = pat::Database::Deserialize(data_, len_, std::move(eof_), &err);
    if (!db_) SetError(err);
  }
  void OnOK() override { deferred_.Resolve(WrapDb(Env(), db_)); }

 private:
  Napi::Reference<Napi::Buffer<char>> buf_;
  const char* data_;
  size_t len_;
  std::vector<pat::EofRule> eof_;
  DbRef db_;
};

// Scans one chunk (reading it first with pread when fd >= 0). The stream's busy flag makes a
// second concurrent call on the same stream fail instead of corrupting Hyperscan state.
class ChunkWorker : public PromiseWorker {
 public:
  ChunkWorker(Napi::Env env, StreamRef s, Napi::Buffer<char> buf, size_t len, int fd, int64_t pos, size_t total, bool advance)
      : PromiseWorker(env), s_(std::move(s)), buf_(Napi::Persistent(buf)), data_(buf.Data()), cap_(buf.Length()), len_(len), fd_(fd),
        pos_(pos), total_(total), advance_(advance) {}
  void Execute() override {
    std::string err;
    if (fd_ >= 0) {
      // Up to total_ bytes in chunks of len_: one threadpool trip for many chunks when JS does
      // not need to see each chunk (no hashing), either reusing buf or filling it in order.
      size_t off = 0;
      while (nread_ < total_) {
        size_t want = std::min(len_, total_ - nread_);
        if (advance_) want = std::min(want, cap_ - off);
        if (want == 0) break;
        size_t got = 0;
        int rc = s_->ReadAndScan(fd_, data_ + off, want, pos_ + static_cast<int64_t>(nread_), &got, &err);
        if (rc > 0) errno_ = rc;
        if (rc != 0) {
          SetError(rc > 0 ? "pread failed" : err);
          return;
        }
        nread_ += got;
        if (advance_) off += got;
        if (got < want) break;  // end of file
      }
    } else if (!s_->Scan(data_, len_, &err)) {
      SetError(err);
    } else {
      nread_ = len_;
    }
  }
  void OnOK() override {
    s_->busy = false;
    deferred_.Resolve(Napi::Number::New(Env(), static_cast<double>(nread_)));
  }
  void OnError(const Napi::Error& e) override {
    s_->busy = false;
    PromiseWorker::OnError(e);
  }

 private:
  StreamRef s_;
  Napi::Reference<Napi::Buffer<char>> buf_;
  char* data_;
  size_t cap_;
  size_t len_;
  int fd_;
  int64_t pos_;
  size_t total_;
  bool advance_;
  size_t nread_ = 0;
};

Napi::Value PatternsCompile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsArray()) throw Napi::TypeError::New(env, "patternsCompile(exprs, flags, minOffsets, maxOffsets, eofRules)");
  auto typed = [&](size_t i, napi_typedarray_type t) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != t)
      throw Napi::TypeError::New(env, "patternsCompile: flags must be a Uint32Array, offsets Float64Arrays");
  };
  typed(1, napi_uint32_array);
  typed(2, napi_float64_array);
  typed(3, napi_float64_array);
  auto arr = info[0].As<Napi::Array>();
  auto flags = info[1].As<Napi::Uint32Array>();
  auto mins = info[2].As<Napi::Float64Array>();
  auto maxs = info[3].As<Napi::Float64Array>();
  size_t n = arr.Length();
  if (flags.ElementLength() != n || mins.ElementLength() != n || maxs.ElementLength() != n)
    throw Napi::TypeError::New(env, "patternsCompile: array lengths differ");
  std::vector<pat::Expr> exprs(n);
  for (size_t i = 0; i < n; i++) {
    exprs[i].pattern = arr.Get(i).As<Napi::String>().Utf8Value();
    exprs[i].flags = flags[i];
    exprs[i].min_offset = static_cast<uint64_t>(mins[i]);
    exprs[i].max_offset = static_cast<uint64_t>(maxs[i]);
  }
  auto* w = new CompileWorker(env, std::move(exprs), EofRules(info[4], n));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value PatternsLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsBuffer()) throw Napi::TypeError::New(env, "patternsLoad(serialized, eofRules)");
  auto* w = new LoadWorker(env, info[0].As<Napi::Buffer<char>>(), EofRules(info[1], 0));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value PatternsOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DbRef db = *Unwrap<DbRef>(info[0], &kDbTag, "pattern database");
  int64_t size = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : -1;
  auto s = std::make_shared<pat::Stream>(db, size);
  std::string err;
  if (!s->Open(&err)) throw PatternsError(env, err);
  auto ext = Napi::External<StreamRef>::New(env, new StreamRef(std::move(s)), [](Napi::Env, StreamRef* p) { delete p; });
  ext.TypeTag(&kStreamTag);
  return ext;
}

StreamRef TakeStream(const Napi::Value& v) {
  StreamRef s = *Unwrap<StreamRef>(v, &kStreamTag, "pattern stream");
  bool expected = false;
  if (!s->busy.compare_exchange_strong(expected, true)) throw Napi::Error::New(v.Env(), "pattern stream is busy");
  return s;
}

size_t ChunkLength(const Napi::CallbackInfo& info, size_t idx, const Napi::Buffer<char>& buf) {
  double len = info[idx].As<Napi::Number>().DoubleValue();
  if (!(len >= 0) || len > static_cast<double>(buf.Length())) throw Napi::RangeError::New(info.Env(), "chunk length out of range");
  return static_cast<size_t>(len);
}

// The (stream, buf, len) arguments of patternsScan and patternsScanSync.
Napi::Buffer<char> ChunkArgs(const Napi::CallbackInfo& info, const char* usage, size_t* len) {
  if (info.Length() < 3 || !info[1].IsBuffer() || !info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), usage);
  auto buf = info[1].As<Napi::Buffer<char>>();
  *len = ChunkLength(info, 2, buf);
  return buf;
}

Napi::Value PatternsScan(const Napi::CallbackInfo& info) {
  size_t len = 0;
  auto buf = ChunkArgs(info, "patternsScan(stream, buf, len)", &len);
  StreamRef s = TakeStream(info[0]);
  auto* w = new ChunkWorker(info.Env(), s, buf, len, -1, 0, len, false);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

// The same scan on the JS thread, for small chunks (archive members): a threadpool round trip
// costs more than scanning a few KiB.
Napi::Value PatternsScanSync(const Napi::CallbackInfo& info) {
  size_t len = 0;
  auto buf = ChunkArgs(info, "patternsScanSync(stream, buf, len)", &len);
  StreamRef s = TakeStream(info[0]);
  std::string err;
  bool ok = s->Scan(buf.Data(), len, &err);
  s->busy = false;
  if (!ok) throw PatternsError(info.Env(), err);
  return Napi::Number::New(info.Env(), static_cast<double>(len));
}

Napi::Value PatternsReadScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsNumber() || !info[2].IsBuffer() || !info[3].IsNumber() || !info[4].IsNumber())
    throw Napi::TypeError::New(env, "patternsReadScan(stream, fd, buf, len, position[, total, advance])");
  auto buf = info[2].As<Napi::Buffer<char>>();
  size_t len = ChunkLength(info, 3, buf);
  int fd = info[1].As<Napi::Number>().Int32Value();
  int64_t pos = info[4].As<Napi::Number>().Int64Value();
  if (fd < 0 || pos < 0) throw Napi::RangeError::New(env, "fd and position must be >= 0");
  double total = info.Length() > 5 && info[5].IsNumber() ? info[5].As<Napi::Number>().DoubleValue() : static_cast<double>(len);
  bool advance = info.Length() > 6 && info[6].ToBoolean().Value();
  if (!(total >= 0) || (advance && total > static_cast<double>(buf.Length()))) throw Napi::RangeError::New(env, "total out of range");
  StreamRef s = TakeStream(info[0]);
  auto* w = new ChunkWorker(env, s, buf, len, fd, pos, static_cast<size_t>(total), advance);
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value PatternsClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  StreamRef s = TakeStream(info[0]);
  int64_t size = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int64Value() : -1;
  std::vector<uint32_t> ids = s->Close(size);
  s->busy = false;
  auto out = Napi::Uint32Array::New(env, ids.size());
  for (size_t i = 0; i < ids.size(); i++) out[i] = ids[i];
  return out;
}

Napi::Value PatternsDbSize(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>((*Unwrap<DbRef>(info[0], &kDbTag, "pattern database"))->Size()));
}

void InitPatterns(Napi::Env env, Napi::Object exports) {
  exports.Set("patternsCompile", Napi::Function::New(env, PatternsCompile, "patternsCompile"));
  exports.Set("patternsLoad", Napi::Function::New(env, PatternsLoad, "patternsLoad"));
  exports.Set("patternsOpen", Napi::Function::New(env, PatternsOpen, "patternsOpen"));
  exports.Set("patternsScan", Napi::Function::New(env, PatternsScan, "patternsScan"));
  exports.Set("patternsScanSync", Napi::Function::New(env, PatternsScanSync, "patternsScanSync"));
  exports.Set("patternsReadScan", Napi::Function::New(env, PatternsReadScan, "patternsReadScan"));
  exports.Set("patternsClose", Napi::Function::New(env, PatternsClose, "patternsClose"));
  exports.Set("patternsDbSize", Napi::Function::New(env, PatternsDbSize, "patternsDbSize"));
  exports.Get("features").As<Napi::Object>().Set("vectorscanVersion", Napi::String::New(env, pat::Version()));
}
#else
void InitPatterns(Napi::Env env, Napi::Object exports) {}
#endif
// ---- end patterns section ----

// ---- scanbatch section (on-demand batch scans; native/core/scanbatch.h, typed in src/engine/batch-native.ts) ----
// scanPlan({ db, bodyCount, chunkSize, md5, sha1, sha256[, yaraSet, yaraLimitMs, yaraMaxBytes] }) -> plan (External)
//   yaraSet: the scanner's YARA rule set the content pass runs too (scans in this process then
//   flag every file kYaraIncomplete: never clean without YARA)
//   db: a pattern database or null; each kind: { sizes: Uint32Array[] (sorted), any: boolean,
//   tables?: { records: Uint8Array, buckets: Uint32Array }[] } — with tables for all three kinds,
//   records get kHashHit/kTablesChecked (the plan keeps the buffers alive)
// scanBatch(plan, fds: Int32Array, records: Buffer, maxFileSize, flags, cancel: Int32Array|null[, spill: Buffer[, archiveLimits: Float64Array[, yaraLimitMs]]])
//   -> Promise<void>: ScanFiles on the libuv threadpool; flags 1 = SHA256 of every file,
//   2 = leave archive candidates open (or copy them into `spill` while it has room), 4 = SHA256
//   of files a body signature matched. Argument errors throw before anything is taken; once
//   the promise exists it owns the fds (closed unless their record says kLeftOpen) and it
//   always resolves: per-file failures are in the records. With archiveLimits, archives copied
//   into the spill are proven clean natively where possible (kArchiveClean, native/core/archclean.h).
// releaseMemory() -> boolean: malloc_trim(0) (glibc): after a scan or a definitions load.
// scanLane(nice) -> lane; laneBatch(lane, ...scanBatch's arguments) -> Promise<void>: the same
//   batch on the lane's own thread, after the batches posted to it before (native/core/scanlane.h).
namespace batchbind {

namespace sb = wdav::scanbatch;

const napi_type_tag kPlanTag = {0x77646176a1b2c3d4ULL, 0x5363616e506c616eULL};
using PlanRef = std::shared_ptr<const sb::Plan>;

// References to the JS buffers a plan's hash table views point into. A plan is dropped on the
// JS thread (by its External's finalizer or by the last BatchWorker, both on the main thread),
// so the references are released there too.
struct PlanBuffers {
  std::vector<Napi::Reference<Napi::Object>> refs;
};

// { records: Uint8Array, buckets: Uint32Array } in hash-index.ts's layout; checked here so the
// native lookup cannot read outside them whatever JS hands over.
sb::HashTableView TableView(Napi::Env env, Napi::Value v, const char* key, size_t digest_len, PlanBuffers* keep) {
  std::string what = std::string("scanPlan: ") + key + ".tables[]";
  if (!v.IsObject()) throw Napi::TypeError::New(env, what + " must be { records, buckets }");
  Napi::Object t = v.As<Napi::Object>();
  Napi::Value r = t.Get("records"), b = t.Get("buckets");
  if (!r.IsTypedArray() || r.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array || !b.IsTypedArray() ||
      b.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw Napi::TypeError::New(env, what + " must be { records: Uint8Array, buckets: Uint32Array }");
  auto records = r.As<Napi::Uint8Array>();
  auto buckets = b.As<Napi::Uint32Array>();
  const size_t width = digest_len + 12;
  if (records.ByteLength() % width != 0) throw Napi::RangeError::New(env, what + ".records is not a whole number of records");
  if (buckets.ElementLength() != sb::kHashBuckets + 1) throw Napi::RangeError::New(env, what + ".buckets must have 65537 entries");
  sb::HashTableView view;
  view.records = records.Data();
  view.count = records.ByteLength() / width;
  view.buckets = buckets.Data();
  for (size_t i = 0; i < sb::kHashBuckets; i++)
    if (view.buckets[i] > view.buckets[i + 1] || view.buckets[i + 1] > view.count)
      throw Napi::RangeError::New(env, what + ".buckets is not an index of its records");
  keep->refs.push_back(Napi::Persistent(records.As<Napi::Object>()));
  keep->refs.push_back(Napi::Persistent(buckets.As<Napi::Object>()));
  return view;
}

// Returns whether `key` came with its tables.
bool AddSizes(Napi::Env env, Napi::Object o, const char* key, sb::Plan* plan, int kind, size_t digest_len, PlanBuffers* keep) {
  sb::SizeSet* set = &plan->hashes[kind];
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsObject()) throw Napi::TypeError::New(env, std::string("scanPlan: ") + key + " must be { sizes, any[, tables] }");
  Napi::Object k = v.As<Napi::Object>();
  set->any = k.Get("any").ToBoolean();
  Napi::Value sv = k.Get("sizes");
  if (!sv.IsArray()) throw Napi::TypeError::New(env, std::string("scanPlan: ") + key + ".sizes must be an array of Uint32Array");
  Napi::Array a = sv.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsTypedArray() || e.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw Napi::TypeError::New(env, std::string("scanPlan: ") + key + ".sizes must be an array of Uint32Array");
    auto u = e.As<Napi::Uint32Array>();
    set->Add(u.Data(), u.ElementLength());
  }
  set->Seal();
  Napi::Value tv = k.Get("tables");
  if (tv.IsUndefined()) return false;
  if (!tv.IsArray()) throw Napi::TypeError::New(env, std::string("scanPlan: ") + key + ".tables must be an array");
  Napi::Array ta = tv.As<Napi::Array>();
  for (uint32_t i = 0; i < ta.Length(); i++) plan->tables[kind].push_back(TableView(env, ta.Get(i), key, digest_len, keep));
  return true;
}

Napi::Value ScanPlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "scanPlan(options)");
  Napi::Object o = info[0].As<Napi::Object>();
  auto plan = std::make_shared<sb::Plan>();
  Napi::Value db = o.Get("db");
  if (!db.IsUndefined() && !db.IsNull()) {
#ifdef WDAV_HAVE_HS
    plan->db = *Unwrap<DbRef>(db, &kDbTag, "pattern database");
#else
    throw Napi::TypeError::New(env, "scanPlan: built without Vectorscan, db must be null");
#endif
  }
  if (o.Get("bodyCount").IsNumber()) plan->body_count = o.Get("bodyCount").As<Napi::Number>().Uint32Value();
  if (o.Get("chunkSize").IsNumber()) {
    int64_t c = o.Get("chunkSize").As<Napi::Number>().Int64Value();
    if (c < 4096 || c > (64 << 20)) throw Napi::RangeError::New(env, "scanPlan: chunkSize must be 4 KiB..64 MiB");
    plan->chunk = static_cast<size_t>(c);
  }
  // YARA in the scanner's content pass: the scanner's rule set, its time limit, its byte bound.
  if (o.Get("yaraSet").IsNumber()) plan->yara_set = o.Get("yaraSet").As<Napi::Number>().Uint32Value();
  if (o.Get("yaraLimitMs").IsNumber()) plan->yara_limit_ms = std::max<uint32_t>(1, o.Get("yaraLimitMs").As<Napi::Number>().Uint32Value());
  if (o.Get("yaraMaxBytes").IsNumber()) plan->yara_max_bytes = o.Get("yaraMaxBytes").As<Napi::Number>().Uint32Value();
  auto keep = std::make_shared<PlanBuffers>();
  bool md5 = AddSizes(env, o, "md5", plan.get(), sb::kMd5, 16, keep.get());
  bool sha1 = AddSizes(env, o, "sha1", plan.get(), sb::kSha1, 20, keep.get());
  bool sha256 = AddSizes(env, o, "sha256", plan.get(), sb::kSha256, 32, keep.get());
  plan->checked_tables = md5 && sha1 && sha256;
  plan->owner = std::move(keep);
  auto ext = Napi::External<PlanRef>::New(env, new PlanRef(std::move(plan)), [](Napi::Env, PlanRef* p) { delete p; });
  ext.TypeTag(&kPlanTag);
  return ext;
}

// One batch: its arguments, the JS buffers it writes into (referenced until it is over) and its
// promise. Created and deleted on the JS thread; Run() on a scanning thread (libuv's or a lane's).
struct BatchJob {
  BatchJob(Napi::Env env, PlanRef p, std::vector<int32_t> f, Napi::Buffer<uint8_t> records, sb::Options opts, Napi::Value cancel,
           Napi::Value spill, const wdav::archclean::Limits* l)
      : deferred(Napi::Promise::Deferred::New(env)), plan(std::move(p)), fds(std::move(f)), records_ref(Napi::Persistent(records)),
        records_data(records.Data()), o(opts) {
    if (l) {
      limits = *l;
      o.archive_limits = &limits;
    }
    if (cancel.IsTypedArray()) {
      auto c = cancel.As<Napi::Int32Array>();
      cancel_ref = Napi::Persistent(c);
      cancel_flag = c.Data();
    }
    if (spill.IsBuffer()) {
      auto b = spill.As<Napi::Buffer<uint8_t>>();
      spill_ref = Napi::Persistent(b);
      o.spill = b.Data();
      o.spill_cap = b.Length();
    }
  }
  BatchJob(const BatchJob&) = delete;
  BatchJob& operator=(const BatchJob&) = delete;
  void Run() {
    // In the scanner process when the plan is loaded there; a scanner that is restarting is
    // waited for. A batch gets 10 minutes for its reading, plus YARA's limit for each file when
    // the plan runs YARA (one scanner thread takes a request's files one after the other).
    wdav::contentlink::Mode mode;
    const uint64_t yara_ms = plan->yara_set != 0 ? static_cast<uint64_t>(o.yara_limit_ms != 0 ? o.yara_limit_ms : plan->yara_limit_ms) : 0;
    mode.until = wdav::contentlink::Clock::now() + std::chrono::minutes(10) + std::chrono::milliseconds(yara_ms * fds.size());
    mode.reattach_wait = std::chrono::seconds(10);
    wdav::contentlink::ScanFiles(*plan, fds.data(), fds.size(), o, cancel_flag, records_data, mode);
  }

  Napi::Promise::Deferred deferred;
  PlanRef plan;
  std::vector<int32_t> fds;
  Napi::Reference<Napi::Buffer<uint8_t>> records_ref;
  uint8_t* records_data;
  sb::Options o;
  Napi::Reference<Napi::Int32Array> cancel_ref;
  const int32_t* cancel_flag = nullptr;
  Napi::Reference<Napi::Buffer<uint8_t>> spill_ref;
  wdav::archclean::Limits limits;
};

class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, std::unique_ptr<BatchJob> job) : Napi::AsyncWorker(env), job_(std::move(job)) {}
  void Execute() override { job_->Run(); }
  void OnOK() override { job_->deferred.Resolve(Env().Undefined()); }

 private:
  std::unique_ptr<BatchJob> job_;
};

// [maxDepth, maxFiles, maxScanSize, maxFileSize, maxRatio, ratioMinSize]: ArchiveLimits, each >= 1.
bool ArchiveLimitsArg(Napi::Env env, Napi::Value v, wdav::archclean::Limits* out) {
  if (v.IsUndefined() || v.IsNull()) return false;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array || v.As<Napi::Float64Array>().ElementLength() != 6)
    throw Napi::TypeError::New(env, "scanBatch: archiveLimits must be a Float64Array of 6 limits");
  auto a = v.As<Napi::Float64Array>();
  for (size_t i = 0; i < 6; i++)
    if (!(a[i] >= 1 && a[i] <= 9007199254740991.0)) throw Napi::RangeError::New(env, "scanBatch: archive limits must be positive integers");
  out->max_depth = static_cast<uint64_t>(a[0]);
  out->max_files = static_cast<uint64_t>(a[1]);
  out->max_scan_size = static_cast<uint64_t>(a[2]);
  out->max_file_size = static_cast<uint64_t>(a[3]);
  out->max_ratio = a[4];
  out->ratio_min_size = static_cast<uint64_t>(a[5]);
  return true;
}

// The batch arguments from info[at]: (plan, fds, records, maxFileSize, flags, cancel[, spill[, archiveLimits]]).
std::unique_ptr<BatchJob> ParseBatch(const Napi::CallbackInfo& info, size_t at, const char* name) {
  Napi::Env env = info.Env();
  // Messages are built only when thrown: this runs once per batch on the scan's hot path.
  auto fail = [&](const char* what) { return Napi::TypeError::New(env, std::string(name) + what); };
  auto usage = [&] { return fail(at > 0 ? "(lane, plan, fds: Int32Array, records: Buffer, maxFileSize, flags, cancel: Int32Array|null)" : "(plan, fds: Int32Array, records: Buffer, maxFileSize, flags, cancel: Int32Array|null)"); };
  auto arg = [&](size_t i) { return at + i < info.Length() ? info[at + i] : env.Undefined(); };
  if (info.Length() < at + 6 || !arg(1).IsTypedArray() || !arg(2).IsBuffer() || !arg(3).IsNumber() || !arg(4).IsNumber())
    throw usage();
  if (!arg(0).IsExternal() || !arg(0).As<Napi::External<PlanRef>>().CheckTypeTag(&kPlanTag))
    throw fail(": scan plan expected");
  PlanRef plan = *arg(0).As<Napi::External<PlanRef>>().Data();
  if (arg(1).As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) throw usage();
  auto fa = arg(1).As<Napi::Int32Array>();
  auto records = arg(2).As<Napi::Buffer<uint8_t>>();
  if (records.Length() < fa.ElementLength() * sb::kRecordSize) throw Napi::RangeError::New(env, std::string(name) + ": records buffer too small");
  Napi::Value cancel = arg(5);
  if (!cancel.IsNull() && !cancel.IsUndefined() &&
      !(cancel.IsTypedArray() && cancel.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array && cancel.As<Napi::Int32Array>().ElementLength() >= 1))
    throw fail(": cancel must be an Int32Array or null");
  sb::Options o;
  o.max_file_size = std::max<int64_t>(0, arg(3).As<Napi::Number>().Int64Value());
  uint32_t flags = arg(4).As<Napi::Number>().Uint32Value();
  o.sha256_always = (flags & 1) != 0;
  o.keep_archives_open = (flags & 2) != 0;
  o.sha256_matched = (flags & 4) != 0;
  std::vector<int32_t> fds(fa.Data(), fa.Data() + fa.ElementLength());
  Napi::Value spill = arg(6);
  if (!spill.IsUndefined() && !spill.IsNull() && !spill.IsBuffer()) throw fail(": spill must be a Buffer");
  wdav::archclean::Limits limits;
  bool prove = ArchiveLimitsArg(env, arg(7), &limits);
  if (arg(8).IsNumber()) o.yara_limit_ms = arg(8).As<Napi::Number>().Uint32Value();
  return std::make_unique<BatchJob>(env, std::move(plan), std::move(fds), records, o, cancel, spill, prove ? &limits : nullptr);
}

Napi::Value ScanBatch(const Napi::CallbackInfo& info) {
  std::unique_ptr<BatchJob> job = ParseBatch(info, 0, "scanBatch");
  Napi::Promise p = job->deferred.Promise();
  auto* w = new BatchWorker(info.Env(), std::move(job));
  w->Queue();
  return p;
}

// ---- scan lanes (native/core/scanlane.h) ----
// A lane's batches end on its own thread; their promises are settled on the JS thread through
// one ThreadSafeFunction per lane, unref'd while the lane has nothing queued (an idle lane does
// not keep the process alive). The External and the TSFN share the LaneHandle: whichever of the
// External's finalizer and the TSFN's own finalizer (the environment's teardown) comes first
// must not leave the other with a dangling pointer.
struct LaneHandle;
void LaneDone(Napi::Env env, Napi::Function, std::shared_ptr<LaneHandle>* ctx, BatchJob* job);
using LaneTsfn = Napi::TypedThreadSafeFunction<std::shared_ptr<LaneHandle>, BatchJob, LaneDone>;

struct LaneHandle {
  explicit LaneHandle(int nice) : lane(nice) {}
  sb::Lane lane;
  LaneTsfn tsfn;
  size_t pending = 0;        // batches posted and not yet settled (JS thread only)
  bool tsfn_gone = false;    // the TSFN was finalized (environment teardown)
  bool closed = false;
  void Close() {
    if (closed) return;
    closed = true;
    lane.Close();  // runs what is queued: every fd handed over is closed
    if (!tsfn_gone) tsfn.Release();
  }
};
const napi_type_tag kLaneTag = {0x77646176a1b2c3d5ULL, 0x5363616e4c616e65ULL};
using LaneRef = std::shared_ptr<LaneHandle>;

void LaneDone(Napi::Env env, Napi::Function, LaneRef* ctx, BatchJob* job) {
  if (job == nullptr) return;
  if (env == nullptr) {
    // The environment is going away: nothing to settle, and its references must not be touched;
    // the job is leaked on purpose (the process or worker is ending).
    return;
  }
  std::unique_ptr<BatchJob> done(job);
  done->deferred.Resolve(env.Undefined());
  LaneHandle& h = **ctx;
  if (--h.pending == 0 && !h.tsfn_gone && !h.closed) h.tsfn.Unref(env);
}

// scanLane(nice) -> lane (External): a thread that runs laneBatch calls in order, `nice` below
// the daemon's priority (0..19).
Napi::Value ScanLane(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int nice = 0;
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "scanLane(nice): nice must be a number");
    double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 0 && n <= 19)) throw Napi::RangeError::New(env, "scanLane: nice must be 0..19");
    nice = static_cast<int>(n);
  }
  auto h = std::make_shared<LaneHandle>(nice);
  h->tsfn = LaneTsfn::New(env, "wdav-scan-lane", 0, 1, new LaneRef(h), [](Napi::Env, void*, LaneRef* c) {
    (*c)->tsfn_gone = true;
    delete c;
  });
  h->tsfn.Unref(env);
  auto ext = Napi::External<LaneRef>::New(env, new LaneRef(h), [](Napi::Env, LaneRef* p) {
    (*p)->Close();
    delete p;
  });
  ext.TypeTag(&kLaneTag);
  return ext;
}

// laneBatch(lane, plan, fds, records, maxFileSize, flags, cancel[, spill[, archiveLimits]]) ->
// Promise<void>: scanBatch's contract, run on the lane's thread after the batches before it.
Napi::Value LaneBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<LaneRef>>().CheckTypeTag(&kLaneTag))
    throw Napi::TypeError::New(env, "laneBatch: scan lane expected");
  LaneRef h = *info[0].As<Napi::External<LaneRef>>().Data();
  if (h->closed || h->tsfn_gone) throw Napi::Error::New(env, "laneBatch: the lane is closed");
  std::unique_ptr<BatchJob> job = ParseBatch(info, 1, "laneBatch");
  Napi::Promise p = job->deferred.Promise();
  if (h->pending++ == 0) h->tsfn.Ref(env);
  BatchJob* raw = job.release();
  LaneTsfn tsfn = h->tsfn;
  // From here the lane owns the job; its end is reported through the TSFN, which cannot refuse
  // before Release (unbounded queue), and Release comes only after the lane has run everything.
  h->lane.Post([raw, tsfn]() mutable {
    raw->Run();
    // Refused only while the environment closes: the job is then left behind, as in LaneDone.
    (void)tsfn.NonBlockingCall(raw);
  });
  return p;
}

Napi::Value ReleaseMemory(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), sb::ReleaseFreeMemory()); }

// ---- the scanner's content pass (native/core/content_link.h; typed in src/scanner/link.ts) ----
// contentLink() -> link                       one per scanner supervisor
// contentAttach(link, rtFd, odFd)            takes the broker's ends of a scanner's fds 4 and 5
// contentDetach(link)                         fails what is in flight, closes the socket
// contentClose(link)                          detaches for good: nobody waits for a scanner
// contentStats(link) -> { batches, files, failures, attaches }
// contentLostFiles(link) -> string[]          named files in flight when the last scanner went
// scanPlanBundle(plan) -> fd                  a sealed memfd holding the plan (core/plan_bundle.h)
// scanPlanRemote(plan, link | null, id)       scans on `plan` go to the scanner (plan `id` there)
const napi_type_tag kLinkTag = {0x77646176a1b2c3d6ULL, 0x436f6e74656e744cULL};
using LinkRef = std::shared_ptr<wdav::contentlink::Link>;

LinkRef LinkArg(const Napi::CallbackInfo& info, const char* name) {
  return *Unwrap<LinkRef>(info.Length() > 0 ? info[0] : info.Env().Undefined(), &kLinkTag, (std::string(name) + ": a content link").c_str());
}

PlanRef PlanArg(const Napi::CallbackInfo& info, const char* name) {
  return *Unwrap<PlanRef>(info.Length() > 0 ? info[0] : info.Env().Undefined(), &kPlanTag, (std::string(name) + ": a scan plan").c_str());
}

Napi::Value ContentLink(const Napi::CallbackInfo& info) {
  auto ext = Napi::External<LinkRef>::New(info.Env(), new LinkRef(std::make_shared<wdav::contentlink::Link>()), [](Napi::Env, LinkRef* p) { delete p; });
  ext.TypeTag(&kLinkTag);
  return ext;
}

Napi::Value ContentAttach(const Napi::CallbackInfo& info) {
  LinkRef link = LinkArg(info, "contentAttach");
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "contentAttach(link, realTimeFd, onDemandFd)");
  link->Attach(info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

Napi::Value ContentDetach(const Napi::CallbackInfo& info) {
  LinkArg(info, "contentDetach")->Detach();
  return info.Env().Undefined();
}

Napi::Value ContentClose(const Napi::CallbackInfo& info) {
  LinkArg(info, "contentClose")->Close();
  return info.Env().Undefined();
}

Napi::Value ContentStats(const Napi::CallbackInfo& info) {
  wdav::contentlink::Stats st = LinkArg(info, "contentStats")->stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("batches", static_cast<double>(st.batches));
  o.Set("files", static_cast<double>(st.files));
  o.Set("failures", static_cast<double>(st.failures));
  o.Set("attaches", static_cast<double>(st.attaches));
  o.Set("inFlight", static_cast<double>(st.in_flight));
  return o;
}

// contentLostFiles(link) -> string[]: the named files in flight when the last scanner went away.
Napi::Value ContentLostFiles(const Napi::CallbackInfo& info) {
  std::vector<std::string> lost = LinkArg(info, "contentLostFiles")->TakeLostFiles();
  Napi::Array a = Napi::Array::New(info.Env(), lost.size());
  for (size_t i = 0; i < lost.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::String::New(info.Env(), lost[i]));
  return a;
}

Napi::Value ScanPlanBundle(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanRef plan = PlanArg(info, "scanPlanBundle");
  std::string bytes, error;
  if (!wdav::planbundle::Encode(*plan, &bytes, &error)) throw Napi::Error::New(env, "scanPlanBundle: " + error);
  int fd = -1;
  int err = wdav::scannerlink::SealedMemfd(bytes.data(), bytes.size(), &fd);
  if (err != 0) {
    ErrnoError(env, err, "memfd_create").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

Napi::Value ScanPlanRemote(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PlanRef plan = PlanArg(info, "scanPlanRemote");
  if (info.Length() < 3 || !info[2].IsNumber()) throw Napi::TypeError::New(env, "scanPlanRemote(plan, link | null, id)");
  std::shared_ptr<const wdav::contentlink::RemotePlan> remote;
  if (!info[1].IsNull() && !info[1].IsUndefined()) {
    auto r = std::make_shared<wdav::contentlink::RemotePlan>();
    r->link = *Unwrap<LinkRef>(info[1], &kLinkTag, "scanPlanRemote: a content link or null");
    r->id = info[2].As<Napi::Number>().Uint32Value();
    remote = std::move(r);
  }
  std::atomic_store(&plan->remote, remote);
  return env.Undefined();
}

void InitScanBatch(Napi::Env env, Napi::Object exports) {
  exports.Set("releaseMemory", Napi::Function::New(env, ReleaseMemory, "releaseMemory"));
  exports.Set("scanPlan", Napi::Function::New(env, ScanPlan, "scanPlan"));
  exports.Set("scanBatch", Napi::Function::New(env, ScanBatch, "scanBatch"));
  exports.Set("scanLane", Napi::Function::New(env, ScanLane, "scanLane"));
  exports.Set("laneBatch", Napi::Function::New(env, LaneBatch, "laneBatch"));
  exports.Set("contentLink", Napi::Function::New(env, ContentLink, "contentLink"));
  exports.Set("contentAttach", Napi::Function::New(env, ContentAttach, "contentAttach"));
  exports.Set("contentDetach", Napi::Function::New(env, ContentDetach, "contentDetach"));
  exports.Set("contentClose", Napi::Function::New(env, ContentClose, "contentClose"));
  exports.Set("contentStats", Napi::Function::New(env, ContentStats, "contentStats"));
  exports.Set("contentLostFiles", Napi::Function::New(env, ContentLostFiles, "contentLostFiles"));
  exports.Set("scanPlanBundle", Napi::Function::New(env, ScanPlanBundle, "scanPlanBundle"));
  exports.Set("scanPlanRemote", Napi::Function::New(env, ScanPlanRemote, "scanPlanRemote"));
}

}  // namespace batchbind
// ---- end scanbatch section ----

// ---- yara section (YARA rules on libyara; native/core/yara_rules.h, yara_pool.h; typed in src/engine/yara/binding.ts) ----
// yaraCompile(units: { file, source, namespace?, perLine? }[]) -> Promise<{ rules, errors: { file, line, message }[], loaded, ruleCount }>
//   compiles on the libuv threadpool (seconds for thousands of rules); rules is null when
//   nothing compiled. Rejects (WDAV_ERR_DEFINITIONS_INVALID) only on a libyara failure.
// yaraScan(rules, data: Buffer | fd, { id, limitMs, deadlineInMs?, realTime, maxBytes? }) ->
//   Promise<{ status: 'ok'|'timeout'|'cancelled'|'error', matches: { rule, ns, meta }[], error?, ms, waitMs }>
//   on the YARA threads (yara_pool.h). `data` stays referenced until the promise settles; an fd
//   is read with pread on the scanning thread (at most maxBytes). Throws WDAV_ERR_BUSY when the
//   queue is full, WDAV_ERR_SHUTTING_DOWN after yaraShutdown.
// yaraCancel(id) -> boolean;  yaraStopAll() -> jobs stopped (this environment's);
// yaraStats() -> the pool's queue, threads and counters;  yaraShutdown(): stop all, refuse new work;
// yaraRelease(rules): the handle lets go of its rules (freed when the scans using them end).
namespace yarabind {

namespace yr = wdav::yara;

const napi_type_tag kRulesTag = {0x77646176a1b2c3d6ULL, 0x5961726152756c65ULL};
using RulesRef = std::shared_ptr<yr::Rules>;

// Four threads, at most two of them for on-demand jobs (yara_pool.h): each real-time scan in
// flight (the JS scan queue runs four at once) gets a thread of its own, so one slow file never
// delays another's verdict. The queue holds far more than the JS side ever has in flight.
constexpr size_t kThreads = 4;
constexpr size_t kQueueCapacity = 1024;

// The process-wide pool, never destroyed: a scan must not keep the process from exiting (its
// threads simply end with the process; env cleanup stops their scans first).
yr::Pool& ThePool() {
  static yr::Pool* pool = new yr::Pool(kThreads, kQueueCapacity);
  return *pool;
}

struct EnvState;
void ScanDone(Napi::Env env, Napi::Function, EnvState* st, yr::Job* job);
using ScanTsfn = Napi::TypedThreadSafeFunction<EnvState, yr::Job, ScanDone>;

// Per environment: the promises of its scans (settled on its JS thread only) and the TSFN that
// brings finished jobs there, referenced only while scans are pending.
struct Pending {
  Napi::Promise::Deferred deferred;
  Napi::Reference<Napi::Buffer<uint8_t>> data;
};
struct EnvState {
  ScanTsfn tsfn;
  std::unordered_map<uint64_t, Pending> pending;
  bool gone = false;  // the TSFN was finalized (environment teardown)
  bool shut = false;
};

Napi::Value JsStatus(Napi::Env env, yr::Status s) {
  switch (s) {
    case yr::Status::kOk: return Napi::String::New(env, "ok");
    case yr::Status::kTimeout: return Napi::String::New(env, "timeout");
    case yr::Status::kCancelled: return Napi::String::New(env, "cancelled");
    default: return Napi::String::New(env, "error");
  }
}

void ScanDone(Napi::Env env, Napi::Function, EnvState* st, yr::Job* raw) {
  if (raw == nullptr) return;
  if (env == nullptr) return;  // the environment is going away: leaked on purpose, as LaneDone
  std::unique_ptr<yr::Job> job(raw);
  auto it = st->pending.find(job->id);
  if (it == st->pending.end()) return;
  Pending p = std::move(it->second);
  st->pending.erase(it);
  if (st->pending.empty() && !st->gone) st->tsfn.Unref(env);
  const yr::Outcome& o = job->outcome;
  Napi::Object out = Napi::Object::New(env);
  out.Set("status", JsStatus(env, o.status));
  Napi::Array matches = Napi::Array::New(env, o.matches.size());
  for (size_t i = 0; i < o.matches.size(); i++) {
    const yr::Match& m = o.matches[i];
    Napi::Object mo = Napi::Object::New(env);
    mo.Set("rule", Napi::String::New(env, m.rule));
    mo.Set("ns", Napi::String::New(env, m.ns));
    Napi::Object meta = Napi::Object::New(env);
    for (const yr::Meta& x : m.metas) {
      if (x.kind == yr::Meta::kString) meta.Set(x.id, Napi::String::New(env, x.text));
      else if (x.kind == yr::Meta::kBool) meta.Set(x.id, Napi::Boolean::New(env, x.number != 0));
      else meta.Set(x.id, Napi::Number::New(env, static_cast<double>(x.number)));
    }
    mo.Set("meta", meta);
    matches.Set(i, mo);
  }
  out.Set("matches", matches);
  if (!o.error.empty()) out.Set("error", Napi::String::New(env, o.error));
  out.Set("ms", Napi::Number::New(env, static_cast<double>(o.elapsed_ns) / 1e6));
  bool started = job->started_at.time_since_epoch().count() != 0;
  auto wait = (started ? job->started_at : std::chrono::steady_clock::now()) - job->queued_at;
  out.Set("waitMs", Napi::Number::New(env, static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(wait).count()) / 1e3));
  p.deferred.Resolve(out);
}

void CleanupHook(void* arg) {
  // The environment ends (process exit, worker exit): stop its scans so no pool thread keeps
  // burning CPU for a JS side that is gone.
  ThePool().StopAll(arg);
}

EnvState* State(Napi::Env env) {
  EnvState* st = env.GetInstanceData<EnvState>();
  if (st) return st;
  st = new EnvState();
  st->tsfn = ScanTsfn::New(env, "wdav-yara", 0, 1, st, [](Napi::Env, void*, EnvState* s) { s->gone = true; });
  st->tsfn.Unref(env);
  napi_add_env_cleanup_hook(env, CleanupHook, st);
  // Deleted with the environment (after its cleanup hooks and the TSFN's finalizer). This is the
  // addon's one instance-data slot (N-API has one per addon): a second user must share a struct.
  env.SetInstanceData<EnvState>(st);
  return st;
}

Napi::Error Coded(Napi::Env env, const char* code, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

class YaraCompileWorker : public PromiseWorker {
 public:
  YaraCompileWorker(Napi::Env env, std::vector<yr::Unit> units) : PromiseWorker(env), units_(std::move(units)) {}
  void Execute() override {
    std::string fatal;
    rules_ = yr::Rules::Compile(units_, &errors_, &loaded_, &fatal);
    if (!fatal.empty()) SetError("YARA: " + fatal);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Object out = Napi::Object::New(env);
    if (rules_) {
      auto ext = Napi::External<RulesRef>::New(env, new RulesRef(rules_), [](Napi::Env, RulesRef* p) { delete p; });
      ext.TypeTag(&kRulesTag);
      out.Set("rules", ext);
      out.Set("ruleCount", Napi::Number::New(env, static_cast<double>(rules_->rule_count())));
    } else {
      out.Set("rules", env.Null());
      out.Set("ruleCount", Napi::Number::New(env, 0));
    }
    Napi::Array errs = Napi::Array::New(env, errors_.size());
    for (size_t i = 0; i < errors_.size(); i++) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("file", Napi::String::New(env, errors_[i].file));
      if (errors_[i].line > 0) e.Set("line", Napi::Number::New(env, errors_[i].line));
      e.Set("message", Napi::String::New(env, errors_[i].message));
      errs.Set(i, e);
    }
    out.Set("errors", errs);
    out.Set("loaded", Napi::Number::New(env, static_cast<double>(loaded_)));
    units_.clear();
    deferred_.Resolve(out);
  }

 private:
  std::vector<yr::Unit> units_;
  std::vector<yr::CompileError> errors_;
  size_t loaded_ = 0;
  RulesRef rules_;
};

Napi::Value YaraCompile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "yaraCompile(units): an array expected");
  Napi::Array a = info[0].As<Napi::Array>();
  std::vector<yr::Unit> units;
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value v = a.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, "yaraCompile: units must be { file, source }");
    Napi::Object o = v.As<Napi::Object>();
    if (!o.Get("file").IsString() || !o.Get("source").IsString()) throw Napi::TypeError::New(env, "yaraCompile: units must be { file, source }");
    yr::Unit u;
    u.file = o.Get("file").As<Napi::String>().Utf8Value();
    u.source = o.Get("source").As<Napi::String>().Utf8Value();
    if (o.Get("namespace").IsString()) u.ns = o.Get("namespace").As<Napi::String>().Utf8Value();
    u.per_line = o.Get("perLine").ToBoolean();
    units.push_back(std::move(u));
  }
  auto* w = new YaraCompileWorker(env, std::move(units));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

double NumberOption(Napi::Object o, const char* key, double min, double max, bool required) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() && !required) return -1;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("yaraScan: ") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= min && d <= max)) throw Napi::RangeError::New(o.Env(), std::string("yaraScan: ") + key + " out of range");
  return d;
}

Napi::Value YaraScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsExternal() || !info[0].As<Napi::External<RulesRef>>().CheckTypeTag(&kRulesTag))
    throw Napi::TypeError::New(env, "yaraScan(rules, data, options): compiled rules expected");
  if (!info[2].IsObject()) throw Napi::TypeError::New(env, "yaraScan: options object expected");
  EnvState* st = State(env);
  if (st->shut) throw Coded(env, "WDAV_ERR_SHUTTING_DOWN", "YARA scanning has stopped (shutdown)");
  Napi::Object o = info[2].As<Napi::Object>();
  auto job = std::make_unique<yr::Job>();
  job->id = static_cast<uint64_t>(NumberOption(o, "id", 0, 9007199254740991.0, true));
  job->limit_ns = static_cast<uint64_t>(NumberOption(o, "limitMs", 1, 86400000, true) * 1e6);
  double deadline = NumberOption(o, "deadlineInMs", -1e9, 86400000, false);
  if (!o.Get("deadlineInMs").IsUndefined()) {
    job->has_deadline = true;
    job->deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(static_cast<int64_t>(deadline * 1e3));
  }
  job->real_time = o.Get("realTime").ToBoolean();
  job->owner = st;
  job->rules = *info[0].As<Napi::External<RulesRef>>().Data();
  if (!job->rules) throw Coded(env, "WDAV_ERR_UNAVAILABLE", "YARA rules closed");
  Pending p{Napi::Promise::Deferred::New(env), {}};
  if (info[1].IsBuffer()) {
    auto b = info[1].As<Napi::Buffer<uint8_t>>();
    job->data = b.Data();
    job->len = b.Length();
    p.data = Napi::Persistent(b);
  } else if (info[1].IsNumber()) {
    job->fd = info[1].As<Napi::Number>().Int32Value();
    double max = NumberOption(o, "maxBytes", 0, 9007199254740991.0, true);
    job->max_bytes = static_cast<size_t>(max);
    if (job->fd < 0) throw Napi::RangeError::New(env, "yaraScan: fd must be >= 0");
  } else {
    throw Napi::TypeError::New(env, "yaraScan: data must be a Buffer or a file descriptor");
  }
  if (st->pending.count(job->id)) throw Napi::Error::New(env, "yaraScan: a scan with this id is pending");
  uint64_t id = job->id;
  ScanTsfn tsfn = st->tsfn;
  job->done = [tsfn](yr::Job* j) mutable {
    // Refused only while the environment closes: the job is then left behind, as in LaneDone.
    (void)tsfn.NonBlockingCall(j);
  };
  Napi::Promise promise = p.deferred.Promise();
  // Registered before Submit: the job may end (and be settled on this thread) only after this
  // call returns, but its entry must exist by then.
  st->pending.emplace(id, std::move(p));
  bool full = false;
  if (!ThePool().Submit(std::move(job), &full)) {
    st->pending.erase(id);
    if (full) throw Coded(env, "WDAV_ERR_BUSY", "the YARA scan queue is full");
    throw Coded(env, "WDAV_ERR_SHUTTING_DOWN", "YARA scanning has stopped (shutdown)");
  }
  if (st->pending.size() == 1 && !st->gone) st->tsfn.Ref(env);
  return promise;
}

Napi::Value YaraCancel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "yaraCancel(id)");
  return Napi::Boolean::New(env, ThePool().Cancel(State(env), static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value())));
}

Napi::Value YaraStopAll(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(ThePool().StopAll(State(info.Env()))));
}

Napi::Value YaraShutdown(const Napi::CallbackInfo& info) {
  EnvState* st = State(info.Env());
  st->shut = true;
  return Napi::Number::New(info.Env(), static_cast<double>(ThePool().StopAll(st)));
}

Napi::Value YaraRelease(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<RulesRef>>().CheckTypeTag(&kRulesTag))
    throw Napi::TypeError::New(env, "yaraRelease(rules): compiled rules expected");
  info[0].As<Napi::External<RulesRef>>().Data()->reset();
  return env.Undefined();
}

Napi::Value YaraStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  yr::PoolStats s = ThePool().Stats();
  Napi::Object o = Napi::Object::New(env);
  auto num = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  num("threads", s.threads);
  num("maxThreads", s.max_threads);
  num("onDemandMaxThreads", s.on_demand_max);
  num("capacity", s.capacity);
  num("depth", s.depth);
  num("maxDepth", s.max_depth);
  num("fullCount", static_cast<double>(s.full));
  num("oldestWaitingMs", static_cast<double>(s.oldest_queued_ms));
  num("running", s.running);
  num("completed", static_cast<double>(s.completed));
  num("timeouts", static_cast<double>(s.timeouts));
  num("cancelled", static_cast<double>(s.cancelled));
  num("expiredInQueue", static_cast<double>(s.expired));
  Napi::Array jobs = Napi::Array::New(env, s.running_jobs.size());
  for (size_t i = 0; i < s.running_jobs.size(); i++) {
    Napi::Object j = Napi::Object::New(env);
    j.Set("id", Napi::Number::New(env, static_cast<double>(s.running_jobs[i].id)));
    j.Set("realTime", Napi::Boolean::New(env, s.running_jobs[i].real_time));
    j.Set("ms", Napi::Number::New(env, static_cast<double>(s.running_jobs[i].ms)));
    jobs.Set(i, j);
  }
  o.Set("runningJobs", jobs);
  return o;
}

void InitYara(Napi::Env env, Napi::Object exports) {
  exports.Set("yaraCompile", Napi::Function::New(env, YaraCompile, "yaraCompile"));
  exports.Set("yaraScan", Napi::Function::New(env, YaraScan, "yaraScan"));
  exports.Set("yaraCancel", Napi::Function::New(env, YaraCancel, "yaraCancel"));
  exports.Set("yaraStopAll", Napi::Function::New(env, YaraStopAll, "yaraStopAll"));
  exports.Set("yaraShutdown", Napi::Function::New(env, YaraShutdown, "yaraShutdown"));
  exports.Set("yaraRelease", Napi::Function::New(env, YaraRelease, "yaraRelease"));
  exports.Set("yaraStats", Napi::Function::New(env, YaraStats, "yaraStats"));
  Napi::Object f = exports.Get("features").As<Napi::Object>();
  f.Set("yara", Napi::Boolean::New(env, true));
  f.Set("yaraVersion", Napi::String::New(env, yr::Version()));
}

}  // namespace yarabind
// ---- end yara section ----

// ---- fanotify section (real-time protection core; native/core/fanotify_group.h) ----
// FanotifyGroup JS class over wdav::fan::Group. Events reach JS through one
// ThreadSafeFunction per group; the TSFN context holds a shared_ptr to the group so a batch
// still queued after close() (or after the JS object is collected) can close its fds safely.
#ifdef WDAV_HAVE_FANOTIFY
namespace fanbind {

using wdav::fan::Batch;
using wdav::fan::EventRecord;
using wdav::fan::Group;

Napi::Error CodedError(Napi::Env env, const char* code, int err, const char* syscall, const std::string& detail) {
  std::string msg = std::string(syscall) + ": " + std::strerror(err);
  const char* name = err == EPERM ? "EPERM" : err == ENOSYS ? "ENOSYS" : err == EINVAL ? "EINVAL" : err == EMFILE ? "EMFILE"
                   : err == ENOENT ? "ENOENT" : err == ENOTDIR ? "ENOTDIR" : err == EACCES ? "EACCES" : err == ENODEV ? "ENODEV"
                   : err == EXDEV ? "EXDEV" : err == ENOSPC ? "ENOSPC" : err == EBADF ? "EBADF" : err == ENOMEM ? "ENOMEM"
                   : err == EOPNOTSUPP ? "EOPNOTSUPP" : "";
  if (*name) msg += std::string(" (") + name + ")";
  if (!detail.empty()) msg += ": " + detail;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("errnoName", Napi::String::New(env, name));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

// Why fanotify_init failed, in words an operator can act on.
std::string InitHint(int err) {
  switch (err) {
    case EPERM: return "CAP_SYS_ADMIN is required (run the daemon as root)";
    case ENOSYS: return "the kernel was built without CONFIG_FANOTIFY";
    case EINVAL: return "the kernel lacks CONFIG_FANOTIFY_ACCESS_PERMISSIONS (permission events)";
    case EMFILE: return "too many fanotify groups (fs.fanotify.max_user_groups) or open files";
    case ENOMEM: return "out of kernel memory";
    default: return "";
  }
}

Napi::TypeError ArgError(Napi::Env env, const std::string& msg) {
  Napi::TypeError e = Napi::TypeError::New(env, msg);
  e.Set("code", Napi::String::New(env, "WDAV_ERR_INVALID_ARGUMENT"));
  return e;
}

// A path or prefix as raw bytes: string (UTF-8) or Buffer (any bytes). NUL is refused.
bool PathArg(const Napi::Value& v, std::string* out) {
  if (v.IsString()) *out = v.As<Napi::String>().Utf8Value();
  else if (v.IsBuffer()) *out = std::string(v.As<Napi::Buffer<char>>().Data(), v.As<Napi::Buffer<char>>().Length());
  else return false;
  return !out->empty() && out->find('\0') == std::string::npos;
}

bool UintOption(Napi::Env env, const Napi::Object& o, const char* key, uint32_t lo, uint32_t hi, uint32_t* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= lo && d <= hi) || d != static_cast<double>(static_cast<uint64_t>(d)))
    throw ArgError(env, std::string("fanotify: ") + key + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi));
  *out = static_cast<uint32_t>(d);
  return true;
}

struct Ctx {
  std::shared_ptr<Group> group;
  Napi::FunctionReference on_mounts;
  // Batches handed to JS and not yet handled. Event batches are held to the configured capacity
  // (jsQueueBatches); a mounts notice has one slot of its own beyond it and at most one is queued
  // (JS reads the mount table when it handles it), so mounts coming and going while JS is slow
  // never take the place of a permission event, which would then get the default answer.
  uint32_t event_capacity = 0;
  std::atomic<uint32_t> event_batches{0};
  std::atomic<bool> mounts_queued{false};
};

void CloseBatchFds(const Batch& b) {
  for (const EventRecord& e : b.events) close(e.fd);
}

Napi::Object EventObject(Napi::Env env, const EventRecord& e) {
  static const char* kKinds[] = {"open", "exec", "close_write"};
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", Napi::Number::New(env, static_cast<double>(e.id)));
  o.Set("fd", Napi::Number::New(env, e.fd));
  o.Set("pid", Napi::Number::New(env, e.pid));
  o.Set("kind", Napi::String::New(env, kKinds[static_cast<int>(e.kind)]));
  o.Set("path", Napi::Buffer<char>::Copy(env, e.path.data(), e.path.size()));
  o.Set("dev", Napi::BigInt::New(env, e.file.dev));
  o.Set("ino", Napi::BigInt::New(env, e.file.ino));
  o.Set("size", Napi::Number::New(env, static_cast<double>(e.file.size)));
  o.Set("mtimeNs", Napi::BigInt::New(env, e.file.mtime_ns));
  o.Set("ctimeNs", Napi::BigInt::New(env, e.file.ctime_ns));
  o.Set("epoch", Napi::Number::New(env, e.epoch));
  return o;
}

void CallJs(Napi::Env env, Napi::Function on_events, Ctx* ctx, Batch* data) {
  if (data == nullptr) return;
  std::unique_ptr<Batch> batch(data);
  if (batch->mounts_changed) ctx->mounts_queued.store(false);
  else ctx->event_batches.fetch_sub(1);
  ctx->group->BatchConsumed(*batch);
  if (env == nullptr || ctx->group->Closed()) {
    CloseBatchFds(*batch);  // after close() nobody will answer or read these
    return;
  }
  if (batch->mounts_changed && !ctx->on_mounts.IsEmpty()) ctx->on_mounts.Call({});
  if (batch->events.empty()) return;
  Napi::Array arr = Napi::Array::New(env, batch->events.size());
  for (uint32_t i = 0; i < batch->events.size(); ++i) arr.Set(i, EventObject(env, batch->events[i]));
  on_events.Call({arr});  // a throwing listener surfaces as an uncaught exception
}

using Tsfn = Napi::TypedThreadSafeFunction<Ctx, Batch, CallJs>;

// deliver() runs on the reader and native verdict threads; the TSFN queue holds the event
// capacity plus the mounts notice's slot (Ctx).
class TsfnSink : public wdav::fan::Sink {
 public:
  TsfnSink(Tsfn tsfn, Ctx* ctx) : tsfn_(tsfn), ctx_(ctx) {}
  bool deliver(Batch* batch) override {
    if (batch->mounts_changed) {
      if (ctx_->mounts_queued.exchange(true)) {
        delete batch;  // one notice is still queued and covers this change too
        return true;
      }
      if (tsfn_.NonBlockingCall(batch) == napi_ok) return true;
      ctx_->mounts_queued.store(false);
      return false;
    }
    if (ctx_->event_batches.fetch_add(1) >= ctx_->event_capacity) {
      ctx_->event_batches.fetch_sub(1);
      return false;
    }
    if (tsfn_.NonBlockingCall(batch) == napi_ok) return true;
    ctx_->event_batches.fetch_sub(1);
    return false;
  }
  void release() override { tsfn_.Release(); }

 private:
  Tsfn tsfn_;
  Ctx* ctx_;  // freed by the TSFN's finalizer, after release()
};

class FanotifyGroupWrap : public Napi::ObjectWrap<FanotifyGroupWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "FanotifyGroup", {
      InstanceMethod("addMark", &FanotifyGroupWrap::AddMark),
      InstanceMethod("removeMark", &FanotifyGroupWrap::RemoveMark),
      InstanceMethod("setScope", &FanotifyGroupWrap::SetScope),
      InstanceMethod("setOptions", &FanotifyGroupWrap::SetOptions),
      InstanceMethod("respond", &FanotifyGroupWrap::Respond),
      InstanceMethod("flushIgnoreMarks", &FanotifyGroupWrap::FlushIgnoreMarks),
      InstanceMethod("markClean", &FanotifyGroupWrap::MarkClean),
      InstanceMethod("stats", &FanotifyGroupWrap::Stats),
      InstanceMethod("setNativeVerdicts", &FanotifyGroupWrap::SetNativeVerdicts),
      InstanceMethod("info", &FanotifyGroupWrap::Info),
      InstanceMethod("close", &FanotifyGroupWrap::Close),
      InstanceAccessor("epoch", &FanotifyGroupWrap::EpochGetter, nullptr),
      InstanceAccessor("closed", &FanotifyGroupWrap::ClosedGetter, nullptr),
    });
  }

  explicit FanotifyGroupWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FanotifyGroupWrap>(info) {
    Napi::Env env = info.Env();
    if (!info.IsConstructCall()) throw ArgError(env, "FanotifyGroup: use new");
    if (info.Length() < 1 || !info[0].IsObject()) throw ArgError(env, "FanotifyGroup(options): options object expected");
    Napi::Object o = info[0].As<Napi::Object>();
    if (!o.Get("onEvents").IsFunction()) throw ArgError(env, "FanotifyGroup: options.onEvents must be a function");
    Napi::Value on_mounts = o.Get("onMountsChanged");
    if (!on_mounts.IsUndefined() && !on_mounts.IsFunction())
      throw ArgError(env, "FanotifyGroup: options.onMountsChanged must be a function");
    wdav::fan::Config cfg;
    ReadOptions(env, o, &cfg);
    Napi::Value noatime = o.Get("noatime");
    if (!noatime.IsUndefined()) {
      if (!noatime.IsBoolean()) throw ArgError(env, "FanotifyGroup: options.noatime must be a boolean");
      cfg.try_noatime = noatime.As<Napi::Boolean>().Value();
    }
    std::vector<std::string> scope;
    if (!o.Get("scope").IsUndefined()) scope = ScopeArg(env, o.Get("scope"));
    uint32_t queue_batches = kQueueBatches;
    UintOption(env, o, "jsQueueBatches", 1, 65536, &queue_batches);

    const char* what = "fanotify_init";
    int err = Group::Create(cfg, &group_, &what);
    if (err != 0) throw CodedError(env, "WDAV_ERR_FANOTIFY_UNAVAILABLE", err, what, InitHint(err));
    group_->SetScope(scope);

    Ctx* ctx = new Ctx();
    ctx->group = group_;
    ctx->event_capacity = queue_batches;
    if (on_mounts.IsFunction()) ctx->on_mounts = Napi::Persistent(on_mounts.As<Napi::Function>());
    Tsfn tsfn = Tsfn::New(env, o.Get("onEvents").As<Napi::Function>(), "wdav-fanotify", queue_batches + 1, 1, ctx,
                          [](Napi::Env, void*, Ctx* c) { delete c; });
    err = group_->Start(std::unique_ptr<wdav::fan::Sink>(new TsfnSink(tsfn, ctx)));
    if (err != 0) {
      group_->Close();  // releases the TSFN through the sink
      throw CodedError(env, "WDAV_ERR_FANOTIFY_UNAVAILABLE", err, "pthread_create", "");
    }
    env_ = env;
    napi_add_env_cleanup_hook(env, CleanupHook, this);
    hooked_ = true;
  }

  ~FanotifyGroupWrap() override { Shutdown(); }

 private:
  static constexpr uint32_t kQueueBatches = 256;  // batches waiting for the JS thread

  static void CleanupHook(void* arg) {
    FanotifyGroupWrap* self = static_cast<FanotifyGroupWrap*>(arg);
    self->hooked_ = false;  // the environment is removing it
    self->group_->Close();
  }

  void Shutdown() {
    if (hooked_) napi_remove_env_cleanup_hook(env_, CleanupHook, this);
    hooked_ = false;
    if (group_) group_->Close();
  }

  static void ReadOptions(Napi::Env env, const Napi::Object& o, wdav::fan::Config* cfg) {
    UintOption(env, o, "timeoutMs", 1, 3600000, &cfg->timeout_ms);
    UintOption(env, o, "pendingCapacity", 1, 1000000, &cfg->pending_capacity);
    UintOption(env, o, "closeWriteCapacity", 0, 1000000, &cfg->close_write_capacity);
    Napi::Value e = o.Get("answerEmpty");
    if (!e.IsUndefined() && !e.IsBoolean()) throw ArgError(env, "fanotify: answerEmpty must be a boolean");
    if (e.IsBoolean()) cfg->answer_empty = e.As<Napi::Boolean>().Value();
    Napi::Value d = o.Get("defaultResponse");
    if (d.IsUndefined()) return;
    std::string s = d.IsString() ? d.As<Napi::String>().Utf8Value() : "";
    if (s != "allow" && s != "deny") throw ArgError(env, "fanotify: defaultResponse must be 'allow' or 'deny'");
    cfg->default_allow = s == "allow";
  }

  static std::vector<std::string> ScopeArg(Napi::Env env, const Napi::Value& v) {
    if (!v.IsArray()) throw ArgError(env, "fanotify: scope must be an array of absolute paths");
    Napi::Array a = v.As<Napi::Array>();
    std::vector<std::string> out;
    for (uint32_t i = 0; i < a.Length(); ++i) {
      std::string p;
      if (!PathArg(a.Get(i), &p) || p[0] != '/') throw ArgError(env, "fanotify: scope[" + std::to_string(i) + "] must be an absolute path");
      out.push_back(p);
    }
    return out;
  }

  void MarkCall(const Napi::CallbackInfo& info, bool add) {
    Napi::Env env = info.Env();
    const char* name = add ? "addMark" : "removeMark";
    std::string path;
    if (info.Length() < 1 || !PathArg(info[0], &path)) throw ArgError(env, std::string(name) + "(path): path must be a non-empty string or Buffer");
    bool filesystem = false;
    if (info.Length() > 1 && !info[1].IsUndefined()) {
      if (!info[1].IsObject()) throw ArgError(env, std::string(name) + "(path, opts): opts must be an object");
      Napi::Value fs = info[1].As<Napi::Object>().Get("filesystem");
      if (!fs.IsUndefined() && !fs.IsBoolean()) throw ArgError(env, std::string(name) + ": opts.filesystem must be a boolean");
      filesystem = fs.IsBoolean() && fs.As<Napi::Boolean>().Value();
    }
    int err = add ? group_->AddMark(path, filesystem) : group_->RemoveMark(path, filesystem);
    if (err != 0) throw CodedError(env, "WDAV_ERR_FANOTIFY_MARK", err, "fanotify_mark", std::string(name) + " " + path);
  }

  Napi::Value AddMark(const Napi::CallbackInfo& info) { MarkCall(info, true); return info.Env().Undefined(); }
  Napi::Value RemoveMark(const Napi::CallbackInfo& info) { MarkCall(info, false); return info.Env().Undefined(); }

  Napi::Value SetScope(const Napi::CallbackInfo& info) {
    group_->SetScope(ScopeArg(info.Env(), info.Length() > 0 ? info[0] : info.Env().Undefined()));
    return info.Env().Undefined();
  }

  Napi::Value SetOptions(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throw ArgError(env, "setOptions(opts): object expected");
    wdav::fan::Config cfg;
    cfg.pending_capacity = 0;
    cfg.close_write_capacity = UINT32_MAX;
    cfg.timeout_ms = 0;
    Napi::Object o = info[0].As<Napi::Object>();
    Napi::Value d = o.Get("defaultResponse");
    ReadOptions(env, o, &cfg);  // validates everything before anything changes
    if (cfg.timeout_ms) group_->SetTimeoutMs(cfg.timeout_ms);
    if (cfg.pending_capacity) group_->SetPendingCapacity(cfg.pending_capacity);
    if (cfg.close_write_capacity != UINT32_MAX) group_->SetCloseWriteCapacity(cfg.close_write_capacity);
    if (!d.IsUndefined()) group_->SetDefaultAllow(cfg.default_allow);
    if (o.Get("answerEmpty").IsBoolean()) group_->SetAnswerEmpty(cfg.answer_empty);
    return env.Undefined();
  }

  Napi::Value Respond(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsBoolean())
      throw ArgError(env, "respond(id, allow[, opts]): id must be a number and allow a boolean");
    double id = info[0].As<Napi::Number>().DoubleValue();
    if (!(id >= 1 && id <= 9007199254740991.0) || id != static_cast<double>(static_cast<uint64_t>(id)))
      throw ArgError(env, "respond: id must be a positive safe integer");
    bool ignore_mark = false, has_epoch = false;
    uint32_t epoch = 0;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsObject()) throw ArgError(env, "respond: opts must be an object");
      Napi::Object o = info[2].As<Napi::Object>();
      Napi::Value im = o.Get("ignoreMark");
      if (!im.IsUndefined() && !im.IsBoolean()) throw ArgError(env, "respond: opts.ignoreMark must be a boolean");
      ignore_mark = im.IsBoolean() && im.As<Napi::Boolean>().Value();
      has_epoch = UintOption(env, o, "epoch", 0, UINT32_MAX, &epoch);
    }
    return Napi::Boolean::New(env, group_->Respond(static_cast<uint64_t>(id), info[1].As<Napi::Boolean>().Value(),
                                                   ignore_mark, has_epoch, epoch));
  }

  // markClean(fd, { dev, ino, size, mtimeNs, ctimeNs }, epoch) -> 'added' | why not.
  Napi::Value MarkClean(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    static const char* kUsage = "markClean(fd, file, epoch): fd a non-negative integer, file { dev, ino, mtimeNs, ctimeNs: bigint; size: number }, epoch an integer";
    if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsObject() || !info[2].IsNumber()) throw ArgError(env, kUsage);
    double fd = info[0].As<Napi::Number>().DoubleValue();
    double epoch = info[2].As<Napi::Number>().DoubleValue();
    if (!(fd >= 0 && fd <= INT32_MAX) || fd != static_cast<double>(static_cast<int64_t>(fd)) ||
        !(epoch >= 0 && epoch <= UINT32_MAX) || epoch != static_cast<double>(static_cast<uint64_t>(epoch)))
      throw ArgError(env, kUsage);
    Napi::Object o = info[1].As<Napi::Object>();
    wdav::fan::FileId id;
    bool lossless = true;
    auto big = [&](const char* key, bool sign, uint64_t* u, int64_t* i) {
      Napi::Value v = o.Get(key);
      if (!v.IsBigInt()) throw ArgError(env, kUsage);
      if (sign) *i = v.As<Napi::BigInt>().Int64Value(&lossless);
      else *u = v.As<Napi::BigInt>().Uint64Value(&lossless);
      if (!lossless) throw ArgError(env, kUsage);
    };
    big("dev", false, &id.dev, nullptr);
    big("ino", false, &id.ino, nullptr);
    big("mtimeNs", true, nullptr, &id.mtime_ns);
    big("ctimeNs", true, nullptr, &id.ctime_ns);
    Napi::Value size = o.Get("size");
    if (!size.IsNumber() || size.As<Napi::Number>().DoubleValue() < 0) throw ArgError(env, kUsage);
    id.size = size.As<Napi::Number>().Int64Value();
    id.ok = true;
    static const char* kResults[] = {"added", "stale", "remote", "changed", "failed", "closed"};
    int r = group_->MarkClean(static_cast<int>(fd), id, static_cast<uint32_t>(epoch));
    return Napi::String::New(env, kResults[r >= 0 && r <= 5 ? r : 4]);
  }

  Napi::Value FlushIgnoreMarks(const Napi::CallbackInfo& info) {
    uint32_t epoch = 0;
    int err = group_->FlushIgnoreMarks(&epoch);
    if (err != 0) throw CodedError(info.Env(), "WDAV_ERR_FANOTIFY_MARK", err, "fanotify_mark", "flush inode marks");
    return Napi::Number::New(info.Env(), epoch);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    wdav::fan::Stats s = group_->GetStats();
    Napi::Object out = Napi::Object::New(env);
    auto put = [&](const char* group, const char* key, uint64_t v) {
      Napi::Value g = out.Get(group);
      if (!g.IsObject()) { g = Napi::Object::New(env); out.Set(group, g); }
      g.As<Napi::Object>().Set(key, Napi::Number::New(env, static_cast<double>(v)));
    };
#define WDAV_FAN_PUT(name, group, key) put(group, key, s.name);
    WDAV_FAN_COUNTERS(WDAV_FAN_PUT)
#undef WDAV_FAN_PUT
    put("pending", "depth", s.pending_depth);
    put("pending", "maxDepth", s.pending_max);
    put("pending", "capacity", s.pending_capacity);
    put("pending", "oldestAgeMs", s.pending_oldest_age_ms);
    put("closeWrite", "inFlight", s.cw_in_flight);
    put("responder", "depth", s.reply_depth);
    put("responder", "maxDepth", s.reply_max);
    put("ignoreMarks", "epoch", s.epoch);
    put("reader", "shortOfFds", s.short_of_fds);
    put("reader", "fdReserve", s.fd_reserve);
    put("nativeVerdicts", "depth", s.fast_depth);
    put("nativeVerdicts", "threads", s.fast_threads);
    return out;
  }

  // setNativeVerdicts(plan | null, maxSize, threads, capacity): see Group::SetNativeVerdicts.
  Napi::Value SetNativeVerdicts(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber())
      throw Napi::TypeError::New(env, "setNativeVerdicts(plan | null, maxSize, threads, capacity)");
    std::shared_ptr<const wdav::scanbatch::Plan> plan;
    if (!info[0].IsNull() && !info[0].IsUndefined()) {
      if (!info[0].IsExternal() || !info[0].As<Napi::External<batchbind::PlanRef>>().CheckTypeTag(&batchbind::kPlanTag))
        throw Napi::TypeError::New(env, "setNativeVerdicts: a scan plan or null expected");
      plan = *info[0].As<Napi::External<batchbind::PlanRef>>().Data();
    }
    int64_t max_size = info[1].As<Napi::Number>().Int64Value();
    uint32_t threads = info[2].As<Napi::Number>().Uint32Value();
    uint32_t capacity = info[3].As<Napi::Number>().Uint32Value();
    if (max_size < 0 || threads < 1 || threads > 16 || capacity < 1 || capacity > 65536)
      throw Napi::RangeError::New(env, "setNativeVerdicts: maxSize >= 0, threads 1..16, capacity 1..65536");
    if (!group_ || group_->Closed()) return env.Undefined();
    group_->SetNativeVerdicts(std::move(plan), max_size, threads, capacity);
    return env.Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object out = Napi::Object::New(env);
    out.Set("noatime", Napi::Boolean::New(env, group_->NoAtime()));
    out.Set("mountWatch", Napi::Boolean::New(env, group_->MountWatch()));
    out.Set("ignoreMode", Napi::String::New(env, group_->IgnoreMode()));
    out.Set("pid", Napi::Number::New(env, getpid()));
    return out;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  Napi::Value EpochGetter(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), group_->Epoch()); }
  Napi::Value ClosedGetter(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), group_->Closed()); }

  std::shared_ptr<Group> group_;
  napi_env env_ = nullptr;
  bool hooked_ = false;
};

void InitFanotify(Napi::Env env, Napi::Object exports) {
  exports.Set("FanotifyGroup", FanotifyGroupWrap::Define(env));
}

}  // namespace fanbind
#endif  // WDAV_HAVE_FANOTIFY
// ---- end fanotify section ----

// ---- walker section (on-demand scan walker; native/core/walker.h, typed in src/scan/walker-native.ts) ----
// new ScanWalker(roots: Buffer[], { filter, batch, maxDepth, skipDevs: Uint32Array [major, minor]*, noatime })
// walker.next(decisions?: Uint8Array) -> Promise<batch>: one Step on the libuv threadpool (a
//   directory listing can block on a cold disk). The batch's file fds belong to JS.
// walker.close(): closes the directory fds now, or right after a Step still running.
namespace walkbind {

namespace wk = wdav::walk;

struct Shared {
  wk::Walker walker;
  std::atomic<bool> busy{false};
  std::atomic<bool> close_requested{false};
  Shared(std::vector<std::string> roots, wk::Options o) : walker(std::move(roots), std::move(o)) {}
};

Napi::Object PathBlock(Napi::Env env, size_t n, const std::function<const std::string&(size_t)>& display) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += display(i).size();
  Napi::Buffer<char> text = Napi::Buffer<char>::New(env, total ? total : 1);
  Napi::Uint32Array offs = Napi::Uint32Array::New(env, n + 1);
  size_t at = 0;
  for (size_t i = 0; i < n; i++) {
    offs[i] = static_cast<uint32_t>(at);
    const std::string& s = display(i);
    if (!s.empty()) std::memcpy(text.Data() + at, s.data(), s.size());
    at += s.size();
  }
  offs[n] = static_cast<uint32_t>(at);
  Napi::Object o = Napi::Object::New(env);
  o.Set("text", text);
  o.Set("offsets", offs);
  return o;
}

class StepWorker : public Napi::AsyncWorker {
 public:
  StepWorker(Napi::Env env, std::shared_ptr<Shared> sh, std::vector<uint8_t> decisions)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), sh_(std::move(sh)), decisions_(std::move(decisions)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    sh_->walker.Step(decisions_, &r_);
    if (sh_->close_requested) sh_->walker.Close();
  }

  void OnOK() override {
    Napi::Env env = Env();
    sh_->busy = false;
    const size_t n = r_.files.size();
    Napi::Object out = Napi::Object::New(env);
    Napi::Int32Array fds = Napi::Int32Array::New(env, n);
    Napi::Float64Array sizes = Napi::Float64Array::New(env, n);
    Napi::Array raws = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; i++) {
      fds[i] = r_.files[i].fd;
      sizes[i] = static_cast<double>(r_.files[i].size);
      // Raw bytes only where the display form differs (names that are not valid UTF-8).
      if (r_.files[i].escaped) raws.Set(i, Napi::Buffer<char>::Copy(env, r_.files[i].raw.data(), r_.files[i].raw.size()));
    }
    out.Set("fds", fds);
    out.Set("sizes", sizes);
    out.Set("raws", raws);
    out.Set("paths", PathBlock(env, n, [&](size_t i) -> const std::string& { return r_.files[i].display; }));
    const size_t m = r_.candidates.size();
    Napi::Uint8Array kinds = Napi::Uint8Array::New(env, m);
    for (size_t i = 0; i < m; i++) kinds[i] = r_.candidates[i].is_dir ? 1 : 0;
    out.Set("candidateKinds", kinds);
    out.Set("candidates", PathBlock(env, m, [&](size_t i) -> const std::string& { return r_.candidates[i].display; }));
    Napi::Array events = Napi::Array::New(env, r_.events.size());
    for (size_t i = 0; i < r_.events.size(); i++) {
      Napi::Object ev = Napi::Object::New(env);
      ev.Set("path", Napi::String::New(env, r_.events[i].path));
      ev.Set("code", Napi::String::New(env, r_.events[i].code));
      events.Set(i, ev);
    }
    out.Set("events", events);
    Napi::Float64Array counts = Napi::Float64Array::New(env, wk::kCountMax);
    for (int i = 0; i < wk::kCountMax; i++) counts[i] = static_cast<double>(r_.counts[i]);
    out.Set("counts", counts);
    out.Set("done", Napi::Boolean::New(env, r_.done));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error& e) override {
    sh_->busy = false;
    wk::CloseFiles(&r_.files);
    deferred_.Reject(e.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Shared> sh_;
  std::vector<uint8_t> decisions_;
  wk::StepResult r_;
};

class ScanWalkerWrap : public Napi::ObjectWrap<ScanWalkerWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ScanWalker", {InstanceMethod("next", &ScanWalkerWrap::Next), InstanceMethod("close", &ScanWalkerWrap::Close)});
  }

  explicit ScanWalkerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ScanWalkerWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject())
      throw Napi::TypeError::New(env, "new ScanWalker(roots: Buffer[], options)");
    std::vector<std::string> roots;
    Napi::Array a = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value v = a.Get(i);
      if (!v.IsBuffer()) throw Napi::TypeError::New(env, "ScanWalker: roots must be Buffers");
      auto b = v.As<Napi::Buffer<char>>();
      std::string root(b.Data(), b.Length());
      if (root.empty() || root[0] != '/' || root.find('\0') != std::string::npos)
        throw Napi::TypeError::New(env, "ScanWalker: roots must be absolute paths without NUL bytes");
      roots.push_back(std::move(root));
    }
    Napi::Object o = info[1].As<Napi::Object>();
    wk::Options opts;
    opts.filter = o.Get("filter").ToBoolean();
    if (o.Get("batch").IsNumber()) opts.batch = std::max<int64_t>(1, o.Get("batch").As<Napi::Number>().Int64Value());
    if (o.Get("maxDepth").IsNumber()) opts.max_depth = std::max<int64_t>(1, o.Get("maxDepth").As<Napi::Number>().Int64Value());
    if (o.Has("noatime")) opts.noatime = o.Get("noatime").ToBoolean();
    Napi::Value sd = o.Get("skipDevs");
    if (sd.IsTypedArray() && sd.As<Napi::TypedArray>().TypedArrayType() == napi_uint32_array) {
      auto d = sd.As<Napi::Uint32Array>();
      for (size_t i = 0; i + 1 < d.ElementLength(); i += 2) opts.skip_devs.push_back(wk::MakeDev(d[i], d[i + 1]));
    } else if (!sd.IsUndefined()) {
      throw Napi::TypeError::New(env, "ScanWalker: skipDevs must be a Uint32Array of [major, minor] pairs");
    }
    sh_ = std::make_shared<Shared>(std::move(roots), std::move(opts));
  }

 private:
  Napi::Value Next(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (sh_->busy.exchange(true)) throw Napi::Error::New(env, "ScanWalker.next: a step is already running");
    std::vector<uint8_t> decisions;
    if (info.Length() > 0 && info[0].IsTypedArray()) {
      auto d = info[0].As<Napi::Uint8Array>();
      decisions.assign(d.Data(), d.Data() + d.ElementLength());
    }
    auto* w = new StepWorker(env, sh_, std::move(decisions));
    Napi::Promise p = w->Promise();
    w->Queue();
    return p;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    sh_->close_requested = true;
    if (!sh_->busy) sh_->walker.Close();
    return info.Env().Undefined();
  }

  std::shared_ptr<Shared> sh_;
};

void InitWalker(Napi::Env env, Napi::Object exports) { exports.Set("ScanWalker", ScanWalkerWrap::Define(env)); }

}  // namespace walkbind
// ---- end walker section ----

// ---- scanner link section (typed in src/scanner/link.ts) ----
// scannerSocketPair() -> [brokerFd, childFd]   both close-on-exec
// scannerMemfd(bytes) -> fd               a sealed memfd (rule bundles, archive members)
// scannerSend(fd, request: Buffer, passFd) -> 0 | errno (EAGAIN: socket full, EPIPE: gone, EMSGSIZE)
// scannerListen(fd, onPackets(packets: Buffer[] | null, errno)) -> handle
//   polls fd on the event loop (unref'd: it never keeps the process alive); every reply packet
//   waiting is handed over in one call; at the end (the scanner closed its end, or a packet
//   beyond the protocol's size) onPackets(null, errno) once and the poll stops. fd stays open:
//   the caller closes it after that call or after scannerUnlisten.
// scannerUnlisten(handle)                 stops the poll (no more calls)
Napi::Value ScannerSocketPair(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  int err = wdav::scannerlink::SocketPair(fds);
  if (err != 0) {
    ErrnoError(env, err, "socketpair").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array a = Napi::Array::New(env, 2);
  a.Set(0u, Napi::Number::New(env, fds[0]));
  a.Set(1u, Napi::Number::New(env, fds[1]));
  return a;
}

Napi::Value ScannerMemfd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "scannerMemfd(bytes)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto b = info[0].As<Napi::Buffer<char>>();
  int fd = -1;
  int err = wdav::scannerlink::SealedMemfd(b.Data(), b.Length(), &fd);
  if (err != 0) {
    ErrnoError(env, err, "memfd_create").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Number::New(env, fd);
}

namespace scannerbind {

struct Listener {
  uv_poll_t poll;
  int fd = -1;
  napi_env env = nullptr;
  Napi::FunctionReference cb;
  bool stopped = false;
};
const napi_type_tag kListenerTag = {0x5c1a7b3e9d2f4a61ULL, 0x8e4b2c7d1f3a5e90ULL};

void Stop(Listener* l) {
  if (l->stopped) return;
  l->stopped = true;
  uv_poll_stop(&l->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&l->poll), [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
}

void OnReadable(uv_poll_t* p, int status, int events) {
  Listener* l = static_cast<Listener*>(p->data);
  if (l->stopped) return;
  std::vector<std::string> packets;
  int err = 0;
  if (status < 0) {
    err = EIO;
  } else {
    // Bounded per wake-up so one busy scanner cannot starve the event loop.
    for (int i = 0; i < 512; i++) {
      std::string reply;
      int e = wdav::scannerlink::Receive(l->fd, &reply);
      if (e == EAGAIN) break;
      if (e != 0) {
        err = e;
        break;
      }
      packets.push_back(std::move(reply));
    }
  }
  Napi::Env env(l->env);
  Napi::HandleScope scope(env);
  try {
    if (!packets.empty()) {
      Napi::Array a = Napi::Array::New(env, packets.size());
      for (size_t i = 0; i < packets.size(); i++) a.Set(static_cast<uint32_t>(i), Napi::Buffer<char>::Copy(env, packets[i].data(), packets[i].size()));
      l->cb.MakeCallback(env.Global(), {a});
    }
    if (err != 0 && !l->stopped) {
      Napi::FunctionReference cb = std::move(l->cb);
      Stop(l);
      cb.MakeCallback(env.Global(), {env.Null(), Napi::Number::New(env, err)});
    }
  } catch (const Napi::Error& e) {
    // The JS side catches its own errors; one that escapes is reported, never swallowed.
    napi_fatal_exception(l->env, e.Value());
  }
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "scannerListen(fd, onPackets)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) throw Napi::Error::New(env, "scannerListen: no event loop");
  auto* l = new Listener();
  l->fd = info[0].As<Napi::Number>().Int32Value();
  l->env = env;
  l->cb = Napi::Persistent(info[1].As<Napi::Function>());
  l->poll.data = l;
  int rc = uv_poll_init(loop, &l->poll, l->fd);
  if (rc != 0) {
    delete l;
    throw Napi::Error::New(env, std::string("scannerListen: ") + uv_strerror(rc));
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&l->poll));
  rc = uv_poll_start(&l->poll, UV_READABLE | UV_DISCONNECT, OnReadable);
  if (rc != 0) {
    l->stopped = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&l->poll), [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
    throw Napi::Error::New(env, std::string("scannerListen: ") + uv_strerror(rc));
  }
  // The handle is a plain pointer holder: the Listener lives until Stop()'s close callback.
  auto ext = Napi::External<Listener*>::New(env, new Listener*(l), [](Napi::Env, Listener** p) { delete p; });
  ext.TypeTag(&kListenerTag);
  return ext;
}

Napi::Value Unlisten(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<Listener*>>().CheckTypeTag(&kListenerTag))
    throw Napi::TypeError::New(env, "scannerUnlisten(handle)");
  Listener** p = info[0].As<Napi::External<Listener*>>().Data();
  if (*p != nullptr) {
    Stop(*p);
    *p = nullptr;
  }
  return env.Undefined();
}

Napi::Value Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsBuffer() || !info[2].IsNumber())
    throw Napi::TypeError::New(env, "scannerSend(fd, request, passFd)");
  auto req = info[1].As<Napi::Buffer<char>>();
  int err = wdav::scannerlink::Send(info[0].As<Napi::Number>().Int32Value(), req.Data(), req.Length(), info[2].As<Napi::Number>().Int32Value());
  return Napi::Number::New(env, err);
}

}  // namespace scannerbind

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("features", Features(env));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("peerGroups", Napi::Function::New(env, PeerGroups, "peerGroups"));
  exports.Set("nofileLimit", Napi::Function::New(env, NofileLimit, "nofileLimit"));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
  exports.Set("armExitWatchdog", Napi::Function::New(env, ArmExitWatchdog, "armExitWatchdog"));
  exports.Set("scannerSocketPair", Napi::Function::New(env, ScannerSocketPair, "scannerSocketPair"));
  exports.Set("scannerSend", Napi::Function::New(env, scannerbind::Send, "scannerSend"));
  exports.Set("scannerListen", Napi::Function::New(env, scannerbind::Listen, "scannerListen"));
  exports.Set("scannerUnlisten", Napi::Function::New(env, scannerbind::Unlisten, "scannerUnlisten"));
  exports.Set("scannerMemfd", Napi::Function::New(env, ScannerMemfd, "scannerMemfd"));
  InitPatterns(env, exports);
  exports.Set("hashdbParse", Napi::Function::New(env, HashdbParse, "hashdbParse"));
  walkbind::InitWalker(env, exports);
  batchbind::InitScanBatch(env, exports);
  yarabind::InitYara(env, exports);
#ifdef WDAV_HAVE_FANOTIFY
  fanbind::InitFanotify(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(wdav, Init)
