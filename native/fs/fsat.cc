// The file-system seam of image unpacking: the few *at(2) calls Node's fs lacks.
// lib/image/unpack resolves every parent directory of a tar entry with openat2(2)
// RESOLVE_IN_ROOT, so that '..', absolute paths and symlinks planted in the layer
// are resolved by the kernel inside the layer directory and never outside it;
// then it acts on one plain name inside that directory fd. No policy here.
#include "fsat.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <vector>
#include <unistd.h>

#include <string>

#include "../errors.h"

namespace bulkhead {

// openat2(dirfd, path, flags, mode, resolve) -> fd; openat2(2), Linux 5.6.
Napi::Value Openat2(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[0].IsNumber() || !info[1].IsString() || !info[2].IsNumber() || !info[3].IsNumber() ||
      !info[4].IsNumber()) {
    Napi::TypeError::New(env, "openat2(dirfd, path, flags, mode, resolve)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int dirfd = info[0].As<Napi::Number>().Int32Value();
  std::string path = info[1].As<Napi::String>().Utf8Value();
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()) | O_CLOEXEC;
  how.mode = static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value());
  how.resolve = static_cast<uint64_t>(info[4].As<Napi::Number>().Int64Value());
  long fd;
  do fd = syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  if (fd < 0) return ThrowErrno(env, errno, "openat2", path.c_str());
  return Napi::Number::New(env, static_cast<double>(fd));
}

// mknodat(dirfd, name, mode, major, minor); mknod(2).
Napi::Value Mknodat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsString()) {
    Napi::TypeError::New(env, "mknodat(dirfd, name, mode, major, minor)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int dirfd = info[0].As<Napi::Number>().Int32Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  mode_t mode = info[2].As<Napi::Number>().Uint32Value();
  dev_t dev = makedev(info[3].As<Napi::Number>().Uint32Value(), info[4].As<Napi::Number>().Uint32Value());
  // The system call itself: glibc's mknodat wrapper is a GLIBC_2.33 symbol, which
  // the glibc-2.28 distributions the prebuilds target lack.
  if (syscall(SYS_mknodat, dirfd, name.c_str(), static_cast<mode_t>(mode), static_cast<unsigned long>(dev)) < 0)
    return ThrowErrno(env, errno, "mknodat", name.c_str());
  return env.Undefined();
}

// lsetxattr(path, name, value); setxattr(2), never following a final symlink.
Napi::Value Lsetxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsBuffer()) {
    Napi::TypeError::New(env, "lsetxattr(path, name, value)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  Napi::Buffer<char> value = info[2].As<Napi::Buffer<char>>();
  if (lsetxattr(path.c_str(), name.c_str(), value.Data(), value.Length(), 0) < 0)
    return ThrowErrno(env, errno, "lsetxattr", path.c_str());
  return env.Undefined();
}

// lgetxattr(path, name) -> Buffer | null when absent; getxattr(2).
Napi::Value Lgetxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    Napi::TypeError::New(env, "lgetxattr(path, name)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[1].As<Napi::String>().Utf8Value();
  char buf[65536];
  ssize_t n = lgetxattr(path.c_str(), name.c_str(), buf, sizeof buf);
  if (n < 0) {
    if (errno == ENODATA) return env.Null();
    return ThrowErrno(env, errno, "lgetxattr", path.c_str());
  }
  return Napi::Buffer<char>::Copy(env, buf, static_cast<size_t>(n));
}

// llistxattr(path) -> string[]: the names of a file's extended attributes,
// never following a final symlink; listxattr(2). The list is a run of
// NUL-terminated names; ERANGE (it grew between the calls) is retried.
Napi::Value Llistxattr(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) {
    Napi::TypeError::New(env, "llistxattr(path)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::vector<char> buf;
  for (;;) {
    ssize_t size = llistxattr(path.c_str(), nullptr, 0);
    if (size < 0) {
      if (errno == ENOTSUP) return Napi::Array::New(env, 0);
      return ThrowErrno(env, errno, "llistxattr", path.c_str());
    }
    buf.resize(static_cast<size_t>(size) + 1);
    ssize_t n = llistxattr(path.c_str(), buf.data(), static_cast<size_t>(size));
    if (n < 0 && errno == ERANGE) continue;
    if (n < 0) return ThrowErrno(env, errno, "llistxattr", path.c_str());
    buf.resize(static_cast<size_t>(n));
    break;
  }
  Napi::Array out = Napi::Array::New(env);
  uint32_t i = 0;
  for (size_t start = 0; start < buf.size();) {
    size_t end = start;
    while (end < buf.size() && buf[end] != '\0') end++;
    if (end > start) out.Set(i++, Napi::String::New(env, buf.data() + start, end - start));
    start = end + 1;
  }
  return out;
}

// linkat(olddirfd, oldpath, newdirfd, newpath, flags); link(2). With AT_EMPTY_PATH
// and an O_PATH fd it links the very inode that openat2 resolved.
Napi::Value Linkat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[1].IsString() || !info[3].IsString()) {
    Napi::TypeError::New(env, "linkat(olddirfd, oldpath, newdirfd, newpath, flags)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string oldpath = info[1].As<Napi::String>().Utf8Value();
  std::string newpath = info[3].As<Napi::String>().Utf8Value();
  if (linkat(info[0].As<Napi::Number>().Int32Value(), oldpath.c_str(), info[2].As<Napi::Number>().Int32Value(),
             newpath.c_str(), info[4].As<Napi::Number>().Int32Value()) < 0)
    return ThrowErrno(env, errno, "linkat", newpath.c_str());
  return env.Undefined();
}

// flock(fd, exclusive[, wait]) -> true when taken, false when another holder has
// it (LOCK_NB unless wait: never blocks libuv's loop by default; the caller polls).
// The kernel drops the lock when the last fd of the holder closes, so a SIGKILLed
// owner frees it (flock(2)). wait is for short critical sections only.
Napi::Value Flock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "flock(fd, exclusive[, wait])").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  bool wait = info.Length() > 2 && info[2].ToBoolean().Value();
  int op = (info[1].ToBoolean().Value() ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  int rc;
  do rc = flock(info[0].As<Napi::Number>().Int32Value(), op);
  while (rc < 0 && errno == EINTR);
  if (rc < 0) {
    if (errno == EWOULDBLOCK && !wait) return Napi::Boolean::New(env, false);
    return ThrowErrno(env, errno, "flock");
  }
  return Napi::Boolean::New(env, true);
}

}  // namespace bulkhead
