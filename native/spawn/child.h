#pragma once
#include "plan.h"

namespace bulkhead {

// Everything the child needs, prepared by the parent before clone.
struct ChildContext {
  const Plan* plan;
  int err_fd;   // write end of the error pipe, O_CLOEXEC: EOF in the parent means execve worked
  int sync_fd;  // read end of the sync pipe, or -1 when the child need not wait
  int high_fd;  // first fd number above every fd the plan names, for shuffling stdio
  bool unshare_cgroup;
  int console_fd;  // tty: the socket the pty master goes back through, or -1  // legacy clone: enter a cgroup namespace only after the cgroup.procs move
};

// Runs in the child: raw system calls only, no allocation, no errno.
int ChildMain(void* arg);

}  // namespace bulkhead
