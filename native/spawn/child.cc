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

// "/proc/self/fd/<fd>/<name>" into buf, or false when it does not fit.
bool JoinFdPath(char* buf, unsigned long size, long fd, const char* name) {
  FdPath(buf, fd);
  unsigned long n = 0;
  while (buf[n]) n++;
  buf[n++] = '/';
  for (const char* q = name; *q; q++) {
    if (n + 1 >= size) return false;
    buf[n++] = *q;
  }
  buf[n] = 0;
  return true;
}

bool SameText(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

// Resolves path inside root the way the container will see it: symlinks, even
// absolute ones and "..", cannot leave root (openat2(2), RESOLVE_IN_ROOT), which
// keeps a hostile rootfs from aiming a mount at the host (CVE-2021-30465).
// One O_PATH fd of the root that the steps resolve in, opened once: most steps
// share it, and every system call counts on the hot path.
struct RootFd {
  const char* name = nullptr;
  long fd = -1;
};

long OpenInRoot(RootFd* root, const char* name, const char* path, long flags) {
  if (root->name == nullptr || !SameText(root->name, name)) {
    if (root->fd >= 0) Raw(SYS_close, root->fd);
    root->fd = Raw(SYS_openat, AT_FDCWD, P(name), O_PATH | O_DIRECTORY | O_CLOEXEC);
    root->name = root->fd >= 0 ? name : nullptr;
    if (root->fd < 0) return root->fd;
  }
  OpenHow how{static_cast<uint64_t>(flags | O_CLOEXEC), 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  return Raw(SYS_openat2, root->fd, P(path), reinterpret_cast<long>(&how), sizeof how);
}

void RunOp(const ChildContext* c, RootFd* rootfd, const ChildOp& op, int32_t i) {
  long r = 0;
  char fdpath[40], srcpath[40];
  long fd = -1, src = -1;
  const char* target = op.target;
  const char* source = op.source;
  long dirfd = AT_FDCWD;
  const char* entry = target;
  if (op.root != nullptr && (op.kind == FsOp::kMkdir || op.kind == FsOp::kTouch || op.kind == FsOp::kSymlink || op.kind == FsOp::kMknod)) {
    fd = OpenInRoot(rootfd, op.root, op.parent, O_PATH | O_DIRECTORY);
    if (fd < 0) {
      if (op.optional && fd == -ENOENT) return;
      Die(c, kStepOpenat2, fd, i);
    }
    dirfd = fd;
    entry = op.name;
  } else if (op.root != nullptr && op.kind == FsOp::kBindEntries) {
    fd = OpenInRoot(rootfd, op.root, op.target, O_PATH | O_DIRECTORY);
    if (fd < 0) Die(c, kStepOpenat2, fd, i);
    src = OpenInRoot(rootfd, op.root, source, O_PATH | O_DIRECTORY);
    if (src < 0) Die(c, kStepOpenat2, src, i);
  } else if (op.root != nullptr) {
    fd = OpenInRoot(rootfd, op.root, op.target, O_PATH);
    if (fd < 0) {
      if (op.optional && fd == -ENOENT) return;
      Die(c, kStepOpenat2, fd, i);
    }
    target = FdPath(fdpath, fd);
    // A bind whose source is the container's own file (its /dev/null for a
    // masked path) is resolved in the same root, never at the host's path.
    if (op.source_in_root && source != nullptr) {
      src = OpenInRoot(rootfd, op.root, source, O_PATH);
      if (src < 0) Die(c, kStepOpenat2, src, i);
      source = FdPath(srcpath, src);
    }
  }
  switch (op.kind) {
    case FsOp::kMount:
      // A self bind names its source through the same resolved fd, so that it
      // is the container's file and not the host's at the same path.
      r = Raw(SYS_mount, P(op.self_bind ? target : source), P(target), P(op.fstype), static_cast<long>(op.flags), P(op.data));
      if (r < 0 && !(op.optional && r == -ENOENT)) Die(c, kStepMount, r, i);
      break;
    case FsOp::kMkdir:
      r = Raw(SYS_mkdirat, dirfd, P(entry), op.mode);
      if (r < 0 && r != -EEXIST) Die(c, kStepMkdir, r, i);
      // Only a directory this step made changes owner (docker run's WorkingDir is
      // made for the user); one already there keeps the image's. Never through a
      // symlink: the name was just made a directory (fchownat(2)).
      if (r == 0 && op.chown) {
        r = Raw(SYS_fchownat, dirfd, P(entry), op.uid, op.gid, AT_SYMLINK_NOFOLLOW);
        if (r < 0) Die(c, kStepChown, r, i);
      }
      break;
    case FsOp::kChdir:
      // overlayfs resolves relative lowerdir, upperdir and workdir paths from the
      // mounting process's cwd (fs/overlayfs/params.c, kern_path): a mount with
      // short relative layer paths needs this first. pivot_root below chdirs again.
      r = Raw(SYS_chdir, P(target));
      if (r < 0) Die(c, kStepChdir, r, i);
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
      r = Raw(SYS_symlinkat, P(op.source), dirfd, P(entry));
      if (r < 0 && r != -EEXIST) Die(c, kStepSymlink, r, i);
      break;
    case FsOp::kUmount:
      // "Make sure nothing is mounted here": not a mount point (EINVAL) or no
      // such path (ENOENT) already is that.
      r = Raw(SYS_umount2, P(target), MNT_DETACH);
      if (r < 0 && r != -EINVAL && r != -ENOENT) Die(c, kStepUmount, r, i);
      break;
    case FsOp::kBindEntries: {
      // Each entry of one directory bound onto the same name in another, named
      // through the two resolved fds (one component each). A bind keeps the
      // source mount's flags, read-only included (clone_mnt in fs/namespace.c).
      // Used to lay the global entries of a read-only proc over the writable one.
      char from[320], to[320];
      for (long k = 0; k < op.nnames; k++) {
        if (!JoinFdPath(from, sizeof from, src, op.names[k]) || !JoinFdPath(to, sizeof to, fd, op.names[k])) Die(c, kStepMount, -ENAMETOOLONG, i);
        r = Raw(SYS_mount, P(from), P(to), 0, MS_BIND, 0);
        if (r < 0 && !(r == -ENOENT && op.optional)) Die(c, kStepMount, r, i);
      }
      break;
    }
    case FsOp::kWrite: {
      // One write(2) of a whole value to a file that takes it: a sysctl under
      // /proc/sys (proc_sys_write reads it at offset 0 in one go) or
      // /proc/self/oom_score_adj. Through the host's /proc, before pivot_root:
      // the net, ipc and uts entries show the namespaces of the process that
      // opens them (proc_sys_root in fs/proc/proc_sysctl.c, net_ctl_header_lookup),
      // which are the container's already. A short write is an error (EIO).
      fd = Raw(SYS_openat, AT_FDCWD, P(target), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0) {
        if (op.optional && fd == -ENOENT) return;
        Die(c, kStepWrite, fd, i);
      }
      r = Raw(SYS_write, fd, P(op.data), op.data_len);
      if (r >= 0 && r != op.data_len) r = -EIO;
      if (r < 0) Die(c, kStepWrite, r, i);
      break;
    }
    case FsOp::kSetattr: {
      // One call changes a whole tree of mounts (mount_setattr(2), Linux 5.12).
      MountAttr attr;
      attr.attr_set = op.attr_set;
      attr.attr_clr = op.attr_clr;
      attr.propagation = 0;
      attr.userns_fd = 0;
      r = Raw(SYS_mount_setattr, AT_FDCWD, P(target), op.recursive ? AT_RECURSIVE : 0,
              reinterpret_cast<long>(&attr), sizeof attr);
      if (r < 0) Die(c, kStepSetattr, r, i);
      break;
    }
  }
  if (src >= 0) Raw(SYS_close, src);
  if (fd >= 0) Raw(SYS_close, fd);
}

// A new network namespace has only lo, and it is down (network_namespaces(7)).
void LoopbackUp(const ChildContext* c) {
  long s = Raw(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) Die(c, kStepLoUp, s);
  // Zeroed by hand: a struct initialiser may become a memset call.
  struct ifreq ifr;
  volatile char* z = reinterpret_cast<volatile char*>(&ifr);
  for (unsigned k = 0; k < sizeof ifr; k++) z[k] = 0;
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
  const ChildPlan* p = c->plan;
  long master = Raw(SYS_openat, AT_FDCWD, P("/dev/ptmx"), O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) Die(c, kStepTty, master);
  int unlock = 0;
  long r = Raw(SYS_ioctl, master, TIOCSPTLCK, reinterpret_cast<long>(&unlock));
  if (r < 0) Die(c, kStepTty, r);
  // TIOCGPTPEER opens the slave without a path lookup (ioctl_tty(2), Linux 4.13).
  long slave = Raw(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) Die(c, kStepTty, slave);
  if (p->rows > 0 && p->cols > 0) {
    struct winsize ws;
    ws.ws_row = p->rows;
    ws.ws_col = p->cols;
    ws.ws_xpixel = 0;
    ws.ws_ypixel = 0;
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

void SetCaps(const ChildContext* c, uint64_t effective, uint64_t permitted, uint64_t inheritable, int32_t step) {
  __user_cap_header_struct hdr;
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  __user_cap_data_struct data[2];
  data[0].effective = static_cast<uint32_t>(effective);
  data[1].effective = static_cast<uint32_t>(effective >> 32);
  data[0].permitted = static_cast<uint32_t>(permitted);
  data[1].permitted = static_cast<uint32_t>(permitted >> 32);
  data[0].inheritable = static_cast<uint32_t>(inheritable);
  data[1].inheritable = static_cast<uint32_t>(inheritable >> 32);
  long r = Raw(SYS_capset, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data));
  if (r < 0 && step >= 0) Die(c, step, r);
}

}  // namespace

int ChildMain(void* arg) {
  const ChildContext* c = static_cast<const ChildContext*>(arg);
  const ChildPlan* p = c->plan;
  long r;

  // exec: processes of the container we are about to enter could ptrace us
  // (same uid, and once the capabilities are dropped below, no more than
  // theirs) between setns and execve, while we still hold the parent's fds and
  // a copy of its memory (CVE-2016-9962, runc's "nsenter" does the same). A
  // non-dumpable process can be ptraced only with CAP_SYS_PTRACE over its
  // memory's user namespace, the host's (ptrace(2), "Ptrace access mode
  // checking"). execve gives the program a new memory, dumpable again.
  if (!p->dumpable) {
    r = Raw(SYS_prctl, PR_SET_DUMPABLE, 0, 0, 0, 0);
    if (r < 0) Die(c, kStepPrctl, r);
  }

  // Our copies of the parent's ends: the parent closing its sync end must be an
  // EOF here, and only the parent may keep the console's other end.
  if (c->sync_wfd >= 0) Raw(SYS_close, c->sync_wfd);
  if (c->console_peer >= 0) Raw(SYS_close, c->console_peer);

  // The parent blocked every signal before clone. Handlers installed by node
  // would run node's code on shared memory, so reset all to the default;
  // ignored signals (node ignores SIGPIPE) would also stay ignored across execve.
  KernelSigaction dfl;
  dfl.handler = nullptr;  // SIG_DFL
  dfl.flags = 0;
  dfl.restorer = nullptr;
  dfl.mask = 0;
  for (long sig = 1; sig < 65; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    Raw(SYS_rt_sigaction, sig, reinterpret_cast<long>(&dfl), 0, 8);
  }

  // Armed at once, so that the window in which the parent's death goes unseen
  // is a few instructions; armed again after the id changes below, which clear it.
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

  // exec: enter a running container's namespaces, in the order TS gives (user
  // first: the others are owned by it; mount last: setns(CLONE_NEWNS) also sets
  // root and cwd to that namespace's root, so no pivot_root follows, and every
  // path below is the container's). The pid namespace was entered by the
  // cloning thread (pid_namespaces(7): setns changes only the caller's children).
  for (long i = 0; i < p->njoins; i++) {
    r = Raw(SYS_setns, p->joins[i].fd, p->joins[i].nstype);
    if (r < 0) Die(c, kStepJoin, r, static_cast<int32_t>(i));
  }

  // Wait for the parent: uid/gid maps for a user namespace, or the cgroup move
  // after a legacy clone. EOF without the byte means the parent gave up.
  if (c->sync_fd >= 0) {
    char go = 0;
    r = Raw(SYS_read, c->sync_fd, reinterpret_cast<long>(&go), 1);
    if (r != 1) Die(c, kStepSync, r < 0 ? r : -EPIPE);
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
  for (long i = 0; i < p->nops; i++) RunOp(c, &rootfd, p->ops[i], static_cast<int32_t>(i));
  // Not carried past pivot_root: it names the new root from the old mount tree.
  if (rootfd.fd >= 0) Raw(SYS_close, rootfd.fd);
  // The program's own umask (an OCI process.user.umask), else the spawner's.
  Raw(SYS_umask, p->umask >= 0 ? p->umask : old_umask);

  if (p->rootfs != nullptr) {
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching
    // it leaves only the new root (pivot_root(2), NOTES).
    // A root that is to share mount events (an OCI rootfsPropagation of shared
    // or slave) began as a copy whose mounts are peers of the host's: the old
    // root is made a slave before it is detached, so that the detach unmounts
    // nothing on the host (mount_namespaces(7), "MS_SLAVE"; runc's pivotRoot
    // does the same). mount(2) does not cross onto the mount stacked on the
    // cwd ("." stays the new root), so it goes through an fd of the old root,
    // opened before the pivot. A private tree (the default) needs none of it.
    long old_root = -1;
    if (p->root_propagation != 0) {
      old_root = Raw(SYS_openat, AT_FDCWD, P("/"), O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (old_root < 0) Die(c, kStepOpenat2, old_root);
    }
    r = Raw(SYS_chdir, P(p->rootfs));
    if (r < 0) Die(c, kStepChdir, r);
    r = Raw(SYS_pivot_root, P("."), P("."));
    if (r < 0) Die(c, kStepPivotRoot, r);
    if (old_root >= 0) {
      r = Raw(SYS_fchdir, old_root);
      if (r < 0) Die(c, kStepChdir, r);
      Raw(SYS_close, old_root);
      r = Raw(SYS_mount, 0, P("."), 0, MS_SLAVE | MS_REC, 0);
      if (r < 0) Die(c, kStepMount, r);
    }
    r = Raw(SYS_umount2, P("."), MNT_DETACH);
    if (r < 0) Die(c, kStepUmount, r);
    r = Raw(SYS_chdir, P("/"));
    if (r < 0) Die(c, kStepChdir, r);
    // Then the new root gets the asked propagation (after pivot_root: before
    // it, "/" named the old root).
    if (p->root_propagation != 0) {
      r = Raw(SYS_mount, 0, P("/"), 0, static_cast<long>(p->root_propagation), 0);
      if (r < 0) Die(c, kStepMount, r);
    }
  }

  if (p->lo_up) LoopbackUp(c);

  long tty = -1;
  if (p->tty) {
    tty = OpenPty(c);
    // setsid ran above: this session has no controlling terminal yet (credentials(7)).
    r = Raw(SYS_ioctl, tty, TIOCSCTTY, 0);
    if (r < 0) Die(c, kStepTty, r);
  }

  // 'ignore' is the container's own /dev/null, opened now that / is the new
  // root: a chmod through /proc/self/fd/0 then changes no host inode.
  int stdio[3];
  for (int i = 0; i < 3; i++) {
    stdio[i] = p->stdio[i];
    if (stdio[i] == kNullStdio && tty < 0) {
      r = Raw(SYS_openat, AT_FDCWD, P("/dev/null"), O_RDWR | O_CLOEXEC);
      if (r < 0) Die(c, kStepDup, r, i);
      stdio[i] = static_cast<int>(r);
    }
  }
  // An extra fd given as 'ignore' (3, 4, ...) is that same kind of node, one
  // opened for all of them.
  int null_extra = -1;
  for (long i = 0; i < p->nfds; i++) {
    if (p->fds[i] != kNullStdio) continue;
    r = Raw(SYS_openat, AT_FDCWD, P("/dev/null"), O_RDWR | O_CLOEXEC);
    if (r < 0) Die(c, kStepDup, r, static_cast<int32_t>(3 + i));
    null_extra = static_cast<int>(r);
    break;
  }

  if (p->hostname != nullptr) {
    r = Raw(SYS_sethostname, P(p->hostname), p->hostname_len);
    if (r < 0) Die(c, kStepSethostname, r);
  }

  for (long i = 0; i < p->nrlimits; i++) {
    uint64_t lim[2] = {p->rlimits[i].soft, p->rlimits[i].hard};
    r = Raw(SYS_prlimit64, 0, p->rlimits[i].resource, reinterpret_cast<long>(lim), 0);
    if (r < 0) Die(c, kStepPrlimit, r, p->rlimits[i].resource);
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
    r = Raw(SYS_setgroups, p->ngroups, reinterpret_cast<long>(p->groups));
    if (r < 0) Die(c, kStepSetgroups, r);
    r = Raw(SYS_setresgid, p->gid, p->gid, p->gid);
    if (r < 0) Die(c, kStepSetresgid, r);
    r = Raw(SYS_setresuid, p->uid, p->uid, p->uid);
    if (r < 0) Die(c, kStepSetresuid, r);
  }

  // The parent-death signal is cleared by any change of the effective or fs
  // ids and of the permitted set (commit_creds in kernel/cred.c, prctl(2)): a
  // uid of 65534, or root of a new user namespace, lost it above. Armed again
  // after the last change (capset below only lowers the permitted set). The
  // parent may have died before the first arming or between the change and
  // now, when the signal never comes: look once more, through a pidfd of the
  // spawning process, which polls readable once that process has exited
  // (pidfd_open(2)). getppid() cannot tell: it is 0 in a new pid namespace.
  if (p->die_with_parent) {
    r = Raw(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    if (r < 0) Die(c, kStepPrctl, r);
    struct {
      int fd;
      short events, revents;
    } pfd = {c->parent_pidfd, 1 /* POLLIN */, 0};
    struct {
      long sec, nsec;
    } now = {0, 0};
    r = Raw(SYS_ppoll, reinterpret_cast<long>(&pfd), 1, reinterpret_cast<long>(&now), 0, 8);
    if (r != 0) Raw(SYS_exit_group, 137);  // readable (gone) or an error: refuse to run unwatched
  }

  if (p->cwd != nullptr) {
    r = Raw(SYS_chdir, P(p->cwd));
    if (r < 0) Die(c, kStepChdir, r);
    // The cwd must lie under the new root: a path through a leaked fd such as
    // /proc/self/fd/N names a directory outside it, which getcwd(2) reports as
    // "(unreachable)/..." (CVE-2024-21626). A buffer of PATH_MAX holds every
    // path getcwd returns; ERANGE or anything not absolute refuses.
    char cwd[4096];
    r = Raw(SYS_getcwd, reinterpret_cast<long>(cwd), sizeof cwd);
    if (r < 0 || cwd[0] != '/') Die(c, kStepCwd, r < 0 ? r : -ENOENT);
  }

  if (p->set_caps) {
    r = Raw(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (r < 0) Die(c, kStepPrctl, r);
    r = Raw(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (r < 0 && r != -EINVAL) Die(c, kStepPrctl, r);
  }

  // Without no_new_privs, loading a filter takes CAP_SYS_ADMIN (seccomp(2)), so
  // it goes in while the capabilities are still there.
  struct sock_fprog prog;
  prog.len = p->seccomp_len;
  prog.filter = static_cast<struct sock_filter*>(const_cast<void*>(p->seccomp));
  if (p->seccomp_len > 0 && !p->no_new_privs) {
    // A change to a non-zero uid cleared the effective set even with KEEPCAPS;
    // the permitted set is still whole, so raise it again for this one call.
    __user_cap_header_struct hdr;
    hdr.version = _LINUX_CAPABILITY_VERSION_3;
    hdr.pid = 0;
    __user_cap_data_struct data[2];
    if (Raw(SYS_capget, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data)) == 0) {
      data[0].effective = data[0].permitted;
      data[1].effective = data[1].permitted;
      Raw(SYS_capset, reinterpret_cast<long>(&hdr), reinterpret_cast<long>(data));
    }
    r = Raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&prog));
    if (r < 0) Die(c, kStepSeccomp, r);
  }

  if (p->set_caps) {
    // The sets as TS gave them (lib/spawn/plan.ts): capset lowers the permitted
    // set kept across the uid change to exactly these (capabilities(7)).
    SetCaps(c, p->cap_effective, p->cap_permitted, p->cap_inheritable, kStepCapset);
    // An ambient capability must be both permitted and inheritable, and only
    // now are they (prctl(2) PR_CAP_AMBIENT_RAISE); the change of uid above
    // cleared the set. One that cannot be raised is left out, as runc does:
    // a smaller set is the safe side.
    for (int cap = 0; cap <= p->cap_last && cap < 64; cap++) {
      if ((p->cap_ambient & (1ULL << cap)) == 0) continue;
      Raw(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
    }
  }

  if (p->no_new_privs) {
    r = Raw(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r < 0) Die(c, kStepNoNewPrivs, r);
    if (p->seccomp_len > 0) {
      r = Raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, reinterpret_cast<long>(&prog));
      if (r < 0) Die(c, kStepSeccomp, r);
    }
  }

  // --- OCI create/start (lib/oci) ---
  // As runc looks the program up before it waits: a program that is not
  // there (or not executable) fails create, not start (access(2), X_OK).
  if (p->start_fifo_fd >= 0) {
    long found = -ENOENT;
    for (long i = 0; i < p->nfiles && found != 0; i++) {
      long a = Raw(SYS_faccessat, AT_FDCWD, P(p->files[i]), X_OK);
      if (a == 0 || found == -ENOENT) found = a;
    }
    if (found != 0) Die(c, kStepExecve, found, p->nfiles == 1 ? 0 : -1);
  }

  // Stdio and passed fds: first lift every source above all targets, so that
  // placing one never overwrites another's source, then place them.
  int n = 3 + static_cast<int>(p->nfds);
  int lifted[3 + 64];
  if (n > 3 + 64) Die(c, kStepDup, -EMFILE);
  for (int i = 0; i < n; i++) {
    int src = i < 3 ? (tty >= 0 ? static_cast<int>(tty) : stdio[i]) : (p->fds[i - 3] == kNullStdio ? null_extra : p->fds[i - 3]);
    r = Raw(SYS_fcntl, src, F_DUPFD_CLOEXEC, c->high_fd);
    if (r < 0) Die(c, kStepDup, r, i);
    lifted[i] = static_cast<int>(r);
  }
  // --- OCI create/start: the FIFO's fd, lifted out of the way of the placing.
  long fifo = -1;
  if (p->start_fifo_fd >= 0) {
    fifo = Raw(SYS_fcntl, p->start_fifo_fd, F_DUPFD_CLOEXEC, c->high_fd);
    if (fifo < 0) Die(c, kStepStartWait, fifo);
  }
  for (int i = 0; i < n; i++) {
    r = Raw(SYS_dup3, lifted[i], i, 0);  // the copy at i has FD_CLOEXEC cleared
    if (r < 0) Die(c, kStepDup, r, i);
  }
  // --- OCI create/start: kept at err_fd + 1, the one fd past the ranges closed below.
  if (fifo >= 0 && fifo != c->err_fd + 1) {
    r = Raw(SYS_dup3, fifo, c->err_fd + 1, O_CLOEXEC);
    if (r < 0) Die(c, kStepStartWait, r);
    fifo = c->err_fd + 1;
  }
  // Every other fd is closed now, not at execve: execve resolves the program
  // path (and a #! interpreter) while close-on-exec fds are still open, and a
  // path like /proc/self/fd/N/../../bin/x through a directory fd leads out of
  // the new root (CVE-2024-21626; runc 1.1.12 closes them as well). Only the
  // error pipe stays, close-on-exec: a pipe is no directory, so no path walks
  // through it, and its EOF is how the parent learns that execve worked.
  // (close_range(2), Linux 5.9; err_fd >= high_fd >= n.)
  if (c->err_fd > n) {
    r = Raw(SYS_close_range, n, c->err_fd - 1, 0);
    if (r < 0) Die(c, kStepCloseRange, r);
  }
  r = Raw(SYS_close_range, c->err_fd + (fifo >= 0 ? 2 : 1), ~0U, 0);
  if (r < 0) Die(c, kStepCloseRange, r);

  // --- OCI create/start (lib/oci) ---
  // runc's exec.fifo. Everything is set up and only the program's own fds are
  // open (none of the creator's: it may wait on their EOF). Tell the parent (a
  // report with errno 0, after which it returns and may exit: the mm is shared
  // and it leaves what we read allocated), then block in open(2) of the FIFO
  // for writing until `start` opens it for reading (fifo(7)). Reopened through
  // /proc/self/fd (the container's own proc) of the O_PATH fd, as runc does.
  if (fifo >= 0) {
    ChildError ready{kStepStartWait, 0, -1};
    Raw(SYS_write, c->err_fd, reinterpret_cast<long>(&ready), sizeof ready);
    char fifo_path[32];
    r = Raw(SYS_openat, AT_FDCWD, P(FdPath(fifo_path, fifo)), O_WRONLY | O_CLOEXEC);
    if (r < 0) Raw(SYS_exit_group, 127);  // nobody reads the error pipe any more
    long fd = r;
    char zero = '0';
    r = Raw(SYS_write, fd, reinterpret_cast<long>(&zero), 1);
    Raw(SYS_close, fd);
    Raw(SYS_close, fifo);
    if (r != 1) Raw(SYS_exit_group, 127);
  }

  uint64_t empty = 0;
  Raw(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&empty), 0, 8);
  // Like execvp(3): go on to the next candidate when this one is missing or not
  // permitted; report EACCES over ENOENT when both were seen.
  long last = -ENOENT;
  bool denied = false;
  for (long i = 0; i < p->nfiles; i++) {
    r = Raw(SYS_execve, P(p->files[i]), reinterpret_cast<long>(p->argv), reinterpret_cast<long>(p->envp));
    if (r == -EACCES) denied = true;
    else if (r != -ENOENT && r != -ENOTDIR) Die(c, kStepExecve, r, static_cast<int32_t>(i));
    last = r;
  }
  Die(c, kStepExecve, denied ? -EACCES : last);
}

}  // namespace bulkhead
