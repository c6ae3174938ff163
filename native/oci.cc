#include "oci.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>

#include "errors.h"

namespace bulkhead {

Napi::Value Mkfifo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsString() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "mkfifo(path, mode)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  if (mkfifo(path.c_str(), static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value())) < 0) return ThrowErrno(env, errno, "mkfifo", path.c_str());
  return env.Undefined();
}


Napi::Value SendFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsString()) {
    Napi::TypeError::New(env, "sendFd(socketPath, fd, name)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string name = info[2].As<Napi::String>().Utf8Value();
  int fd = info[1].As<Napi::Number>().Int32Value();
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return ThrowErrno(env, ENAMETOOLONG, "connect", path.c_str());
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return ThrowErrno(env, errno, "socket", path.c_str());
  if (connect(s, reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) < 0) {
    int e = errno;
    close(s);
    return ThrowErrno(env, e, "connect", path.c_str());
  }
  struct iovec iov {};
  iov.iov_base = const_cast<char*>(name.data());
  iov.iov_len = name.size();
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  ssize_t n;
  do {
    n = sendmsg(s, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  int e = errno;
  close(s);
  if (n < 0) return ThrowErrno(env, e, "sendmsg", path.c_str());
  return env.Undefined();
}

}  // namespace bulkhead
