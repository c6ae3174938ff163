#include "child.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <termios.h>

#include "../sys.h"
#include "fdpass.h"

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
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

namespace bulkhead {
namespace {

struct MountAttr {  // struct mount_attr, mount_setattr(2)
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

struct OpenHow {  // struct open_how, openat2(2)
  uint64_t flags, mode, resolve;
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

// Writes "/proc/self/fd/<fd>" into buf: the path through which mount(2) acts on
// an fd that openat2 resolved.
const char* FdPath(char* buf, long fd) {
  const char prefix[] = "/proc/self/fd/";
  char* p = buf;
  for (const char* q = prefix; *q; q++) *p++ = *q;
  char digits[20];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  while (n > 0) *p++ = digits[--n];
  *p = 0;
  return buf;
}

// Resolves path inside root the way the container will see it: symlinks, even
// absolute ones and "..", cannot leave root (openat2(2), RESOLVE_IN_ROOT), which
// keeps a hostile rootfs from aiming a mount at the host (CVE-2021-30465).
// One O_PATH fd of the root that the steps resolve in, opened once: most steps
// share it, and every system call counts on the hot path.
struct RootFd {
  const std::string* name = nullptr;
  long fd = -1;
};

bool SameText(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) if (a[i] != b[i]) return false;
  return true;
}

long OpenInRoot(RootFd* root, const std::string& name, const std::string& path, long flags) {
  if (root->name == nullptr || !SameText(*root->name, name)) {
    if (root->fd >= 0) Raw(SYS_close, root->fd);
    root->fd = Raw(SYS_openat, AT_FDCWD, P(name.c_str()), O_PATH | O_DIRECTORY | O_CLOEXEC);
    root->name = root->fd >= 0 ? &name : nullptr;
    if (root->fd < 0) return root->fd;
  }
  OpenHow how{static_cast<uint64_t>(flags | O_CLOEXEC), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return Raw(SYS_openat2, root->fd, P(path.c_str()), reinterpret_cast<long>(&how), sizeof how);
}

void RunOp(const ChildContext* c, RootFd* rootfd, const FsOp& op, int32_t i) {
  long r = 0;
  const bool in_root = !op.root.empty();
  char fdpath[40];
  long fd = -1;
  const char* target = op.target.c_str();
  long dirfd = AT_FDCWD;
  const char* entry = target;
  if (in_root && (op.kind == FsOp::kMkdir || op.kind == FsOp::kTouch || op.kind == FsOp::kSymlink || op.kind == FsOp::kMknod)) {
    fd = OpenInRoot(rootfd, op.root, op.parent, O_PATH | O_DIRECTORY);
    if (fd < 0) {
      if (op.optional && fd == -ENOENT) return;
      Die(c, kStepOpenat2, fd, i);
    }
    dirfd = fd;
    entry = op.name.c_str();
  } else if (in_root) {
    fd = OpenInRoot(rootfd, op.root, op.target, O_PATH);
    if (fd < 0) {
      if (op.optional && fd == -ENOENT) return;
      Die(c, kStepOpenat2, fd, i);
    }
    target = FdPath(fdpath, fd);
  }
  switch (op.kind) {
    case FsOp::kMount:
      // A self bind names its source through the same resolved fd, so that it
      // is the container's file and not the host's at the same path.
      r = Raw(SYS_mount, P(op.self_bind ? target : Opt(op.source, op.has_source)), P(target), P(Opt(op.fstype, op.has_fstype)),
              static_cast<long>(op.flags), P(Opt(op.data, op.has_data)));
      if (r < 0 && !(op.optional && r == -ENOENT)) Die(c, kStepMount, r, i);
      break;
    case FsOp::kMkdir:
      r = Raw(SYS_mkdirat, dirfd, P(entry), op.mode);
      if (r < 0 && r != -EEXIST) Die(c, kStepMkdir, r, i);
      break;
    case FsOp::kTouch:
      // A bind mount of a file needs a file to land on (mount(2)).
      r = Raw(SYS_openat, dirfd, P(entry), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, op.mode);
      if (r < 0 && r != -EEXIST) Die(c, kStepTouch, r, i);
      if (r >= 0) Raw(SYS_close, r);
      break;
    case FsOp::kMknod:
      // A device node of its own is cheaper than a bind mount of the host's; it
      // takes CAP_MKNOD in the initial user namespace (mknod(2)), so TS asks for
      // it only without a user namespace.
      r = Raw(SYS_mknodat, dirfd, P(entry), op.mode, static_cast<long>(op.dev));
      if (r < 0 && r != -EEXIST) Die(c, kStepMknod, r, i);
      break;
    case FsOp::kSymlink:
      r = Raw(SYS_symlinkat, P(op.source.c_str()), dirfd, P(entry));
      if (r < 0 && r != -EEXIST) Die(c, kStepSymlink, r, i);
      break;
    case FsOp::kUmount:
      // "Make sure nothing is mounted here": not a mount point (EINVAL) or no
      // such path (ENOENT) already is that.
      r = Raw(SYS_umount2, P(target), MNT_DETACH);
      if (r < 0 && r != -EINVAL && r != -ENOENT) Die(c, kStepUmount, r, i);
      break;
    case FsOp::kSetattr: {
      // One call changes a whole tree of mounts (mount_setattr(2), Linux 5.12).
      MountAttr attr{op.attr_set, op.attr_clr, 0, 0};
      r = Raw(SYS_mount_setattr, AT_FDCWD, P(target), op.recursive ? AT_RECURSIVE : 0,
              reinterpret_cast<long>(&attr), sizeof attr);
      if (r < 0) Die(c, kStepSetattr, r, i);
      break;
    }
  }
  if (fd >= 0) Raw(SYS_close, fd);
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

// Opens a pty in the container's own devpts (after pivot_root, so /dev/ptmx is
// its instance), sends the master to the parent over the console socket with
// SCM_RIGHTS (unix(7)) and returns the slave, or dies.
long OpenPty(const ChildContext* c) {
  const Plan* p = c->plan;
  long master = Raw(SYS_openat, AT_FDCWD, P("/dev/ptmx"), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Die(c, kStepTty, master);
  int unlock = 0;
  long r = Raw(SYS_ioctl, master, TIOCSPTLCK, reinterpret_cast<long>(&unlock));
  if (r < 0) Die(c, kStepTty, r);
  // TIOCGPTPEER opens the slave without a path lookup (ioctl_tty(2), Linux 4.13).
  long slave = Raw(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) Die(c, kStepTty, slave);
  if (p->rows > 0 && p->cols > 0) {
    struct winsize ws {};
    ws.ws_row = p->rows;
    ws.ws_col = p->cols;
    Raw(SYS_ioctl, slave, TIOCSWINSZ, reinterpret_cast<long>(&ws));
  }
  FdMessage m;
  m.Carry(static_cast<int>(master));
  r = Raw(SYS_sendmsg, c->console_fd, reinterpret_cast<long>(&m.msg), 0);
  if (r < 0) Die(c, kStepTty, r);
  Raw(SYS_close, master);
  Raw(SYS_close, c->console_fd);
  return slave;
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

  // network: join the network namespace lib/network prepared (its veth, address
  // and routes already there) before anything else, so that the program's first
  // connect() works; the fd is the child's copy of the parent's (setns(2)).
  if (p->netns_fd >= 0) {
    r = Raw(SYS_setns, p->netns_fd, CLONE_NEWNET);
    if (r < 0) Die(c, kStepSetns, r);
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
    if (r < 0) Die(c, kStepUnshare, r);
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

  // Modes in the plan are meant as given: no umask of node's on /dev/null (umask(2)).
  long old_umask = Raw(SYS_umask, 0);
  RootFd rootfd;
  for (size_t i = 0; i < p->ops.size(); i++) RunOp(c, &rootfd, p->ops[i], static_cast<int32_t>(i));
  // Not carried past pivot_root: it names the new root from the old mount tree.
  if (rootfd.fd >= 0) Raw(SYS_close, rootfd.fd);
  Raw(SYS_umask, old_umask);

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

  long tty = -1;
  if (p->tty) {
    tty = OpenPty(c);
    // setsid ran above: this session has no controlling terminal yet (credentials(7)).
    r = Raw(SYS_ioctl, tty, TIOCSCTTY, 0);
    if (r < 0) Die(c, kStepTty, r);
  }

  if (p->set_hostname) {
    r = Raw(SYS_sethostname, P(p->hostname.c_str()), static_cast<long>(p->hostname.size()));
    if (r < 0) Die(c, kStepSethostname, r);
  }

  for (const Rlimit& rl : p->rlimits) {
    uint64_t lim[2] = {rl.soft, rl.hard};
    r = Raw(SYS_prlimit64, 0, rl.resource, reinterpret_cast<long>(lim), 0);
    if (r < 0) Die(c, kStepPrlimit, r, rl.resource);
  }

  if (p->set_caps) {
    // Dropping from the bounding set needs CAP_SETPCAP, so it comes first
    // (capabilities(7)); for root the bounding set is what execve grants.
    for (int cap = 0; cap <= p->cap_last && cap < 64; cap++) {
      if (p->cap_bounding & (1ULL << cap)) continue;
      r = Raw(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
      if (r < 0) Die(c, kStepCapbset, r, cap);
    }
    // Keep the permitted set across the uid change below; capset trims it after.
    r = Raw(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0);
    if (r < 0) Die(c, kStepPrctl, r);
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
    // The cwd must lie under the new root: a path through a leaked fd such as
    // /proc/self/fd/N names a directory outside it, which getcwd(2) reports as
    // "(unreachable)/..." (CVE-2024-21626).
    char cwd[256];
    r = Raw(SYS_getcwd, reinterpret_cast<long>(cwd), sizeof cwd);
    if ((r < 0 && r != -ERANGE) || (r > 0 && cwd[0] != '/')) Die(c, kStepCwd, r < 0 ? r : -ENOENT);
  }

  if (p->set_caps) {
    r = Raw(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (r < 0) Die(c, kStepPrctl, r);
    r = Raw(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (r < 0 && r != -EINVAL) Die(c, kStepPrctl, r);
  }

  // Without no_new_privs, loading a filter takes CAP_SYS_ADMIN (seccomp(2)), so
  // it goes in while the capabilities are still there.
  struct sock_fprog prog {
    static_cast<unsigned short>(p->seccomp.size() / 8),
        reinterpret_cast<struct sock_filter*>(const_cast<uint8_t*>(p->seccomp.data()))
  };
  if (!p->seccomp.empty() && !p->no_new_privs) {
    // A change to a non-zero uid cleared the effective set even with KEEPCAPS;
    // the permitted set is still whole, so raise it again for this one call.
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    if (Raw(SYS_capget, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data)) == 0) {
      data[0].effective = data[0].permitted;
      data[1].effective = data[1].permitted;
      Raw(SYS_capset, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data));
    }
    r = Raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&prog));
    if (r < 0) Die(c, kStepSeccomp, r);
  }

  if (p->set_caps) {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    uint64_t eff = p->cap_effective & p->cap_bounding;
    data[0].effective = data[0].permitted = static_cast<uint32_t>(eff);
    data[1].effective = data[1].permitted = static_cast<uint32_t>(eff >> 32);
    r = Raw(SYS_capset, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data));
    if (r < 0) Die(c, kStepCapset, r);
  }

  if (p->no_new_privs) {
    r = Raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r < 0) Die(c, kStepNoNewPrivs, r);
    if (!p->seccomp.empty()) {
      r = Raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&prog));
      if (r < 0) Die(c, kStepSeccomp, r);
    }
  }

  // Stdio and passed fds: first lift every source above all targets, so that
  // placing one never overwrites another's source, then place them.
  int n = 3 + static_cast<int>(p->fds.size());
  int lifted[3 + 64];
  if (n > 3 + 64) Die(c, kStepDup, -EMFILE);
  for (int i = 0; i < n; i++) {
    int src = i < 3 ? (tty >= 0 ? static_cast<int>(tty) : p->stdio[i]) : p->fds[i - 3];
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
