#include "errors.h"

#include <errno.h>
#include <string.h>

#include <string>

namespace bulkhead {

const char* ErrnoName(int err) {
  // strerrorname_np is glibc >= 2.32; Debian 12 has 2.36.
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : "EUNKNOWN";
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path) {
  std::string msg = std::string(ErrnoName(err)) + ": " + strerror(err) + ", " + syscall;
  if (path != nullptr) msg += std::string(" '") + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) e.Set("path", Napi::String::New(env, path));
  return e;
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const char* path) {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace bulkhead
