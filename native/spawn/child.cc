#include "child.h"

#include <fcntl.h>
#include <linux/prctl.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "../sys.h"

#include "raw.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

namespace bulkhead {
namespace {

struct MountAttr {  // struct mount_attr, mount_setattr(2)
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct KernelSigaction {  // the kernel's struct sigaction for rt_sigaction(2)
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};

[[noreturn]] void Die(const ChildContext* c, int32_t step, long ret, int32_t index = -1) {
  ChildError e{step, static_cast<int32_t>(-ret), index};
  Raw(SYS_write, c->err_fd, reinterpret_cast<long>(&e), sizeof e);
  Raw(SYS_exit_group, 127);
  __builtin_unreachable();
}

inline long P(const char* s) { return reinterpret_cast<long>(s); }
inline const char* Opt(const std::string& s, bool present) { return present ? s.c_str() : nullptr; }

void RunOp(const ChildContext* c, const FsOp& op, int32_t i) {
  long r = 0;
  switch (op.kind) {
    case FsOp::kMount:
      r = Raw(SYS_mount, P(Opt(op.source, op.has_source)), P(op.target.c_str()), P(Opt(op.fstype, op.has_fstype)),
              static_cast<long>(op.flags), P(Opt(op.data, op.has_data)));
      if (r < 0) Die(c, kStepMount, r, i);
      break;
    case FsOp::kMkdir:
      r = Raw(SYS_mkdirat, AT_FDCWD, P(op.target.c_str()), op.mode);
      if (r < 0 && r != -EEXIST) Die(c, kStepMkdir, r, i);
      break;
    case FsOp::kTouch:
      // A bind mount of a file needs a file to land on (mount(2)).
      r = Raw(SYS_openat, AT_FDCWD, P(op.target.c_str()), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, op.mode);
      if (r < 0 && r != -EEXIST) Die(c, kStepTouch, r, i);
      if (r >= 0) Raw(SYS_close, r);
      break;
    case FsOp::kSymlink:
      r = Raw(SYS_symlinkat, P(op.source.c_str()), AT_FDCWD, P(op.target.c_str()));
      if (r < 0 && r != -EEXIST) Die(c, kStepSymlink, r, i);
      break;
    case FsOp::kUmount:
      // "Make sure nothing is mounted here": not a mount point (EINVAL) or no
      // such path (ENOENT) already is that.
      r = Raw(SYS_umount2, P(op.target.c_str()), MNT_DETACH);
      if (r < 0 && r != -EINVAL && r != -ENOENT) Die(c, kStepUmount, r, i);
      break;
    case FsOp::kSetattr: {
      // One call changes a whole tree of mounts (mount_setattr(2), Linux 5.12).
      MountAttr attr{op.attr_set, op.attr_clr, 0, 0};
      r = Raw(SYS_mount_setattr, AT_FDCWD, P(op.target.c_str()), op.recursive ? AT_RECURSIVE : 0,
              reinterpret_cast<long>(&attr), sizeof attr);
      if (r < 0) Die(c, kStepSetattr, r, i);
      break;
    }
  }
}

// A new network namespace has only lo, and it is down (network_namespaces(7)).
void LoopbackUp(const ChildContext* c) {
  long s = Raw(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Die(c, kStepLoUp, s);
  struct ifreq ifr {};
  ifr.ifr_name[0] = 'l';
  ifr.ifr_name[1] = 'o';
  long r = Raw(SYS_ioctl, s, SIOCGIFFLAGS, reinterpret_cast<long>(&ifr));
  if (r < 0) Die(c, kStepLoUp, r);
  ifr.ifr_flags |= IFF_UP;
  r = Raw(SYS_ioctl, s, SIOCSIFFLAGS, reinterpret_cast<long>(&ifr));
  if (r < 0) Die(c, kStepLoUp, r);
  Raw(SYS_close, s);
}

}  // namespace

int ChildMain(void* arg) {
  const ChildContext* c = static_cast<const ChildContext*>(arg);
  const Plan* p = c->plan;
  long r;

  // The parent blocked every signal before clone. Handlers installed by node
  // would run node's code on shared memory, so reset all to the default;
  // ignored signals (node ignores SIGPIPE) would also stay ignored across execve.
  KernelSigaction dfl{};  // SIG_DFL, empty mask
  for (long sig = 1; sig < 65; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    Raw(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, 8);
  }

  if (p->die_with_parent) {
    r = Raw(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    if (r < 0) Die(c, kStepPrctl, r);
  }

  // Wait for the parent: uid/gid maps for a user namespace, or the cgroup move
  // after a legacy clone. EOF without the byte means the parent gave up.
  if (c->sync_fd >= 0) {
    char go = 0;
    r = Raw(SYS_read, c->sync_fd, reinterpret_cast<long>(&go), 1);
    if (r != 1) Raw(SYS_exit_group, 127);
    Raw(SYS_close, c->sync_fd);
  }

  // A cgroup namespace is rooted at the cgroup its creator is in at that moment
  // (cgroup_namespaces(7)): after a legacy clone that is only now the right one.
  if (c->unshare_cgroup) {
    r = Raw(SYS_unshare, CLONE_NEWCGROUP);
    if (r < 0) Die(c, kStepSync, r);
  }

  // In a new user namespace the child starts with the overflow ids until the
  // maps exist; it becomes the namespace's root before it mounts or creates
  // anything there (user_namespaces(7)). Unmapped ids fail with EOVERFLOW.
  if ((p->flags & CLONE_NEWUSER) != 0) {
    r = Raw(SYS_setresgid, 0, 0, 0);
    if (r < 0) Die(c, kStepSetresgid, r);
    r = Raw(SYS_setresuid, 0, 0, 0);
    if (r < 0) Die(c, kStepSetresuid, r);
  }

  if (p->setsid) {
    r = Raw(SYS_setsid);
    if (r < 0) Die(c, kStepSetsid, r);
  }

  for (size_t i = 0; i < p->ops.size(); i++) RunOp(c, p->ops[i], static_cast<int32_t>(i));

  if (!p->rootfs.empty()) {
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching
    // it leaves only the new root (pivot_root(2), NOTES).
    r = Raw(SYS_chdir, P(p->rootfs.c_str()));
    if (r < 0) Die(c, kStepChdir, r);
    r = Raw(SYS_pivot_root, P("."), P("."));
    if (r < 0) Die(c, kStepPivotRoot, r);
    r = Raw(SYS_umount2, P("."), MNT_DETACH);
    if (r < 0) Die(c, kStepUmount, r);
    r = Raw(SYS_chdir, P("/"));
    if (r < 0) Die(c, kStepChdir, r);
  }

  if (p->lo_up) LoopbackUp(c);

  if (p->set_hostname) {
    r = Raw(SYS_sethostname, P(p->hostname.c_str()), static_cast<long>(p->hostname.size()));
    if (r < 0) Die(c, kStepSethostname, r);
  }

  if (p->set_ids) {
    r = Raw(SYS_setgroups, static_cast<long>(p->groups.size()), reinterpret_cast<long>(p->groups.data()));
    if (r < 0) Die(c, kStepSetgroups, r);
    r = Raw(SYS_setresgid, p->gid, p->gid, p->gid);
    if (r < 0) Die(c, kStepSetresgid, r);
    r = Raw(SYS_setresuid, p->uid, p->uid, p->uid);
    if (r < 0) Die(c, kStepSetresuid, r);
  }

  if (!p->cwd.empty()) {
    r = Raw(SYS_chdir, P(p->cwd.c_str()));
    if (r < 0) Die(c, kStepChdir, r);
  }

  if (p->no_new_privs) {
    r = Raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r < 0) Die(c, kStepNoNewPrivs, r);
  }

  // Stdio and passed fds: first lift every source above all targets, so that
  // placing one never overwrites another's source, then place them.
  int n = 3 + static_cast<int>(p->fds.size());
  int lifted[3 + 64];
  if (n > 3 + 64) Die(c, kStepDup, -EMFILE);
  for (int i = 0; i < n; i++) {
    int src = i < 3 ? p->stdio[i] : p->fds[i - 3];
    r = Raw(SYS_fcntl, src, F_DUPFD_CLOEXEC, c->high_fd);
    if (r < 0) Die(c, kStepDup, r, i);
    lifted[i] = static_cast<int>(r);
  }
  for (int i = 0; i < n; i++) {
    r = Raw(SYS_dup3, lifted[i], i, 0);  // the copy at i has FD_CLOEXEC cleared
    if (r < 0) Die(c, kStepDup, r, i);
  }
  // Every other fd closes at execve (close_range(2), Linux 5.11); the error
  // pipe is among them, which is how the parent learns that execve worked.
  r = Raw(SYS_close_range, n, ~0U, CLOSE_RANGE_CLOEXEC);
  if (r < 0) Die(c, kStepCloseRange, r);

  uint64_t empty = 0;
  Raw(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&empty), 0, 8);
  // Like execvp(3): go on to the next candidate when this one is missing or not
  // permitted; report EACCES over ENOENT when both were seen.
  long last = -ENOENT;
  bool denied = false;
  for (size_t i = 0; i < p->files.size(); i++) {
    r = Raw(SYS_execve, P(p->files[i].c_str()), reinterpret_cast<long>(p->argv.data()),
            reinterpret_cast<long>(p->envp.data()));
    if (r == -EACCES) denied = true;
    else if (r != -ENOENT && r != -ENOTDIR) Die(c, kStepExecve, r, static_cast<int32_t>(i));
    last = r;
  }
  Die(c, kStepExecve, denied ? -EACCES : last);
}

}  // namespace bulkhead
