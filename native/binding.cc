// native/binding.cc — the one N-API file: converts between JS values and the plain C++ core
// in native/core/. No system logic lives here; errors from the core (errno values or
// core exceptions) become JS exceptions with a `code` only at this boundary.
//
// Exports (typed in src/shared/native.ts):
//   features: { fanotify: bool, vectorscan: bool, vectorscanVersion: string }
//   peerCred(fd) -> { pid, uid, gid }
//   sdNotify(socketPath, state) -> undefined (throws on failure)
//   FanotifyGroup (Linux only) -> class, typed in src/rtp/fanotify/native.ts
#include <napi.h>

#include <cstring>
#include <string>

#include "core/sys.h"
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

class TsfnSink : public wdav::fan::Sink {
 public:
  explicit TsfnSink(Tsfn tsfn) : tsfn_(tsfn) {}
  bool deliver(Batch* batch) override { return tsfn_.NonBlockingCall(batch) == napi_ok; }
  void release() override { tsfn_.Release(); }

 private:
  Tsfn tsfn_;
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
      InstanceMethod("stats", &FanotifyGroupWrap::Stats),
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

    const char* what = "fanotify_init";
    int err = Group::Create(cfg, &group_, &what);
    if (err != 0) throw CodedError(env, "WDAV_ERR_FANOTIFY_UNAVAILABLE", err, what, InitHint(err));
    group_->SetScope(scope);

    Ctx* ctx = new Ctx{group_, Napi::FunctionReference()};
    if (on_mounts.IsFunction()) ctx->on_mounts = Napi::Persistent(on_mounts.As<Napi::Function>());
    Tsfn tsfn = Tsfn::New(env, o.Get("onEvents").As<Napi::Function>(), "wdav-fanotify", kQueueBatches, 1, ctx,
                          [](Napi::Env, void*, Ctx* c) { delete c; });
    err = group_->Start(std::unique_ptr<wdav::fan::Sink>(new TsfnSink(tsfn)));
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
  static constexpr size_t kQueueBatches = 256;

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
    put("ignoreMarks", "epoch", s.epoch);
    return out;
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("features", Features(env));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
#ifdef WDAV_HAVE_FANOTIFY
  fanbind::InitFanotify(env, exports);
#endif
  return exports;
}

}  // namespace

NODE_API_MODULE(wdav, Init)
