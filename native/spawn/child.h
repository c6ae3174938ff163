#pragma once
#include "plan.h"

namespace bulkhead {

// One filesystem step as the child reads it: C strings and plain fields only,
// so the child's code needs no std::string or std::vector member (at -O0 those
// are out-of-line calls into libstdc++ through the PLT). nullptr: absent.
struct ChildOp {
  int kind;  // FsOp::Kind
  const char* source;
  const char* target;
  const char* fstype;
  const char* data;
  long data_len;     // write: bytes of data
  const char* root;  // resolve inside this directory (openat2 RESOLVE_IN_ROOT), or nullptr
  const char* parent;
  const char* name;
  unsigned long flags;
  uint64_t attr_set, attr_clr, dev;
  unsigned mode;
  bool recursive, optional, self_bind, source_in_root;
  bool chown;  // mkdir: chown what was made
  uid_t uid;
  gid_t gid;
  const char* const* names;  // bindEntries
  long nnames;
};

// The plan flattened into views of the parent's Plan, which outlives the child's
// use of it (Spawn returns only after execve or the child's exit).
struct ChildPlan {
  const char* const* files;
  long nfiles;
  char* const* argv;
  char* const* envp;
  uint64_t flags;
  int stdio[3];  // kNullStdio: open the container's own /dev/null
  const int* fds;
  long nfds;
  const ChildOp* ops;
  long nops;
  const char* rootfs;    // nullptr: stay
  const char* hostname;  // nullptr: keep
  long hostname_len;
  bool set_ids;
  uid_t uid;
  gid_t gid;
  const gid_t* groups;
  long ngroups;
  const char* cwd;  // nullptr: stay
  bool lo_up, die_with_parent, no_new_privs, setsid, set_caps, tty;
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  int cap_last;
  const Rlimit* rlimits;
  long nrlimits;
  const void* seccomp;
  unsigned short seccomp_len;  // instructions
  unsigned short rows, cols;
  int netns_fd;  // -1: a new network namespace (or the host's); else joined with setns(2) first
  const NsJoin* joins;  // exec: namespaces entered with setns(2), in order
  long njoins;
  bool dumpable;  // false: made non-dumpable before anything else (its memory is its own then)
  int start_fifo_fd;  // OCI create: -1, or an O_PATH fd of the FIFO to open for writing before execve
  int umask;         // -1: keep
  unsigned long root_propagation;  // 0: the new / stays private
};

constexpr int kNullStdio = -2;

// Everything the child needs, prepared by the parent before clone. The child
// has a copy of the parent's fd table (no CLONE_FILES): every fd below is its own.
struct ChildContext {
  const ChildPlan* plan;
  int err_fd;        // write end of the error pipe, O_CLOEXEC: EOF in the parent means execve worked
  int sync_fd;       // read end of the sync pipe, or -1 when the child need not wait
  int sync_wfd;      // the parent's write end: closed first, so the parent giving up is an EOF
  int high_fd;       // first fd number above every fd the plan names, for shuffling stdio
  bool unshare_cgroup;  // legacy clone: enter a cgroup namespace only after the cgroup.procs move
  int console_fd;    // tty: the socket the pty master goes back through, or -1
  int console_peer;  // the parent's end of that socket pair, closed at once, or -1
  int parent_pidfd;  // dieWithParent: a pidfd of the spawning process, polled after PR_SET_PDEATHSIG
};

// Runs in the child: raw system calls only, no allocation, no errno.
int ChildMain(void* arg);

}  // namespace bulkhead
