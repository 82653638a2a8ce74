// native/binding.cc — the one N-API file: converts between JS values and the plain C++ core
// in native/core/. No system logic lives here; errors from the core (errno values or
// core exceptions) become JS exceptions with a `code` only at this boundary.
//
// Exports (typed in src/shared/native.ts):
//   features: { fanotify: bool, vectorscan: bool, vectorscanVersion: string }
//   peerCred(fd) -> { pid, uid, gid }
//   sdNotify(socketPath, state) -> undefined (throws on failure)
#include <napi.h>

#include <cstring>
#include <string>

#include "core/sys.h"

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("features", Features(env));
  exports.Set("peerCred", Napi::Function::New(env, PeerCred, "peerCred"));
  exports.Set("sdNotify", Napi::Function::New(env, SdNotify, "sdNotify"));
  return exports;
}

}  // namespace

NODE_API_MODULE(wdav, Init)
