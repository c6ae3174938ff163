// One fd over a unix socket with SCM_RIGHTS (unix(7)): the message both sides
// of the pty hand-over build. Lives on the caller's stack; no allocation, so
// the child may use it between clone and execve.
#pragma once
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

namespace bulkhead {

struct FdMessage {
  char byte = 0;
  struct iovec iov {};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr msg {};

  FdMessage() {
    iov.iov_base = &byte;
    iov.iov_len = 1;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }

  // Before sendmsg: carry fd.
  void Carry(int fd) {
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    __builtin_memcpy(CMSG_DATA(cm), &fd, sizeof fd);
  }

  // After recvmsg: the fd carried, or -1.
  int Received() {
    struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
    if (cm == nullptr || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    __builtin_memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
  }
};

}  // namespace bulkhead
