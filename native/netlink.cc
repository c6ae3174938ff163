#include "netlink.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <thread>
#include <vector>

#include "errors.h"

namespace bulkhead {
namespace {

struct Outcome {
  int fd = -1;
  int err = 0;
  const char* syscall = "";
};

Outcome OpenHere() {
  Outcome o;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return {-1, errno, "socket"};
  // A reply that never comes (a kernel bug, a message the kernel drops) must not
  // hang node's thread: recv fails with EAGAIN after 5 s instead.
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // Replies to dumps can exceed the default buffer; 1 MiB as iproute2 uses.
  int size = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  int one = 1;
  // NETLINK_EXT_ACK: errors carry the kernel's own message (netlink(7)).
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  struct sockaddr_nl sa = {};
  sa.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return {-1, e, "bind"};
  }
  o.fd = fd;
  return o;
}

int IntArg(const Napi::CallbackInfo& info, size_t i) {
  return info.Length() > i && info[i].IsNumber() ? info[i].As<Napi::Number>().Int32Value() : -1;
}

}  // namespace

// netlinkOpen(netnsFd?): a socket belongs to the network namespace of the thread
// that creates it (socket(7), network_namespaces(7)). setns(CLONE_NEWNET) acts on
// the calling thread only, so a short-lived thread enters the namespace, opens
// the socket and ends; node's own threads never change namespace.
Napi::Value NetlinkOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int nsfd = IntArg(info, 0);
  Outcome o;
  if (nsfd < 0) {
    o = OpenHere();
  } else {
    std::thread t([&o, nsfd] {
      if (setns(nsfd, CLONE_NEWNET) < 0) {
        o = {-1, errno, "setns"};
        return;
      }
      o = OpenHere();
    });
    t.join();
  }
  if (o.fd < 0) return ThrowErrno(env, o.err, o.syscall);
  return Napi::Number::New(env, o.fd);
}

// netlinkSend(fd, buffer): one datagram to the kernel (pid 0).
Napi::Value NetlinkSend(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 2 || !info[0].IsNumber() || !info[1].IsBuffer()) {
    Napi::TypeError::New(env, "netlinkSend(fd, buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Buffer<uint8_t> buf = info[1].As<Napi::Buffer<uint8_t>>();
  struct sockaddr_nl sa = {};
  sa.nl_family = AF_NETLINK;
  ssize_t n;
  do {
    n = sendto(fd, buf.Data(), buf.Length(), 0, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowErrno(env, errno, "sendto");
  return Napi::Number::New(env, static_cast<double>(n));
}

// netlinkRecv(fd): one datagram, sized first with MSG_PEEK | MSG_TRUNC so that
// nothing is cut (netlink(7) says a reader must be ready for any size).
Napi::Value NetlinkRecv(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0);
  ssize_t size;
  do {
    size = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
  } while (size < 0 && errno == EINTR);
  if (size < 0) return ThrowErrno(env, errno, "recv");
  std::vector<uint8_t> data(static_cast<size_t>(size));
  ssize_t n;
  do {
    n = recv(fd, data.data(), data.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return ThrowErrno(env, errno, "recv");
  return Napi::Buffer<uint8_t>::Copy(env, data.data(), static_cast<size_t>(n));
}

// netnsCreate(): a new, empty network namespace held by the returned fd (of
// /proc/thread-self/ns/net, opened by the thread that unshared). It lives as
// long as that fd or a process inside it does: when this process dies, so do the
// namespace and every veth end in it (network_namespaces(7)).
Napi::Value NetnsCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Outcome o;
  std::thread t([&o] {
    if (unshare(CLONE_NEWNET) < 0) {
      o = {-1, errno, "unshare"};
      return;
    }
    int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      o = {-1, errno, "open"};
      return;
    }
    o.fd = fd;
  });
  t.join();
  if (o.fd < 0) return ThrowErrno(env, o.err, o.syscall, o.syscall[0] == 'o' ? "/proc/thread-self/ns/net" : nullptr);
  return Napi::Number::New(env, o.fd);
}


}  // namespace bulkhead
