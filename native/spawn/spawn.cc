#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>

#include "../errors.h"
#include "../sys.h"
#include "child.h"
#include "fdpass.h"
#include "raw.h"

namespace bulkhead {
namespace {

const char* const kStepNames[] = {
    "sync",     "signals",   "setsid",    "prctl",       "mount",     "mkdir",     "mount_setattr",
    "symlink",  "open",      "pivot_root", "umount2",    "chdir",     "sethostname", "setgroups",
    "setresgid", "setresuid", "dup",      "close_range", "execve",    "lo_up",     "no_new_privs",
    "capbset",  "capset",    "prlimit",   "seccomp",     "cwd",       "openat2",   "tty",       "mknod",     "unshare",
    "setns",
};

// The child runs on this stack while it shares our memory. Spawn returns only
// after the child has exec'd or exited (the error pipe's EOF), so one stack per
// thread serves every spawn.
thread_local void* child_stack = nullptr;
constexpr size_t kStackSize = 256 * 1024;

void* ChildStack() {
  if (child_stack == nullptr) {
    void* p = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    child_stack = p;
  }
  return child_stack;
}

// Moves fd to a number >= floor, keeping O_CLOEXEC.
int Lift(int fd, int floor) {
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  int saved = errno;
  close(fd);
  errno = saved;
  return moved;
}

bool WriteFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = write(fd, data.data(), data.size());
  int saved = errno;
  close(fd);
  errno = saved;
  return n == static_cast<ssize_t>(data.size());
}

Napi::Value ChildFailure(Napi::Env env, const ChildError& e) {
  const char* step = e.step >= 0 && e.step < static_cast<int>(sizeof kStepNames / sizeof *kStepNames)
                         ? kStepNames[e.step]
                         : "unknown";
  Napi::Error err = ErrnoError(env, e.err, step);
  err.Set("step", Napi::String::New(env, step));
  err.Set("index", Napi::Number::New(env, e.index));
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

// Reaps a child that failed or that we gave up on; it is exiting or killed.
void Reap(int pidfd, pid_t pid) {
  siginfo_t si{};
  if (pidfd >= 0) {
    while (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED) < 0 && errno == EINTR) {
    }
    close(pidfd);
  } else {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace

Napi::Value SetWindowSize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "setWindowSize(fd, rows, cols)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  struct winsize ws {};
  ws.ws_row = static_cast<unsigned short>(info[1].As<Napi::Number>().Uint32Value());
  ws.ws_col = static_cast<unsigned short>(info[2].As<Napi::Number>().Uint32Value());
  // The kernel sends SIGWINCH to the pty's foreground process group (ioctl_tty(2)).
  if (ioctl(info[0].As<Napi::Number>().Int32Value(), TIOCSWINSZ, &ws) < 0) return ThrowErrno(env, errno, "ioctl", "TIOCSWINSZ");
  return env.Undefined();
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "spawn(plan): plan must be an object").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Plan plan;
  if (!ParsePlan(env, info[0].As<Napi::Object>(), &plan)) return env.Undefined();

  int high = 3 + static_cast<int>(plan.fds.size());
  for (int fd : plan.stdio) high = std::max(high, fd + 1);
  for (int fd : plan.fds) high = std::max(high, fd + 1);

  int errp[2], syncp[2] = {-1, -1};
  if (pipe2(errp, O_CLOEXEC) < 0) return ThrowErrno(env, errno, "pipe2");
  errp[0] = Lift(errp[0], high);
  errp[1] = Lift(errp[1], high);
  bool userns = (plan.flags & CLONE_NEWUSER) != 0;
  bool need_sync = userns || plan.legacy_clone;
  if (need_sync) {
    if (pipe2(syncp, O_CLOEXEC) < 0) {
      int e = errno;
      close(errp[0]);
      close(errp[1]);
      return ThrowErrno(env, e, "pipe2");
    }
    syncp[0] = Lift(syncp[0], high);
    syncp[1] = Lift(syncp[1], high);
  }
  if (errp[0] < 0 || errp[1] < 0 || (need_sync && (syncp[0] < 0 || syncp[1] < 0))) {
    int e = errno;
    for (int fd : {errp[0], errp[1], syncp[0], syncp[1]}) if (fd >= 0) close(fd);
    return ThrowErrno(env, e, "fcntl");
  }
  int console[2] = {-1, -1};
  if (plan.tty) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, console) < 0) {
      int e = errno;
      for (int fd : {errp[0], errp[1], syncp[0], syncp[1]}) if (fd >= 0) close(fd);
      return ThrowErrno(env, e, "socketpair");
    }
    console[1] = Lift(console[1], high);
  }
  bool late_cgroupns = plan.legacy_clone && !plan.cgroup_procs.empty() && (plan.flags & CLONE_NEWCGROUP) != 0;
  ChildContext ctx{&plan, errp[1], need_sync ? syncp[0] : -1, high, late_cgroupns, console[1]};

  void* stack = ChildStack();
  if (stack == nullptr) {
    for (int fd : {errp[0], errp[1], syncp[0], syncp[1]}) if (fd >= 0) close(fd);
    return ThrowErrno(env, ENOMEM, "mmap");
  }

  // No signal may run node's handlers in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);

  int pidfd = -1;
  long pid;
  // The child shares our memory (CLONE_VM) instead of copying node's page
  // tables: it only reads the plan and runs on its own stack. A time namespace
  // refuses CLONE_VM (clone(2), EINVAL), so that case copies.
  uint64_t vm = (BULKHEAD_RAW_SYSCALLS && !(plan.flags & CLONE_NEWTIME)) ? CLONE_VM : 0;
  if (!plan.legacy_clone) {
    CloneArgs args{};
    args.flags = CLONE_PIDFD | vm | plan.flags | (plan.cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uintptr_t>(stack);
    args.stack_size = kStackSize;
    if (plan.cgroup_fd >= 0) args.cgroup = static_cast<uint64_t>(plan.cgroup_fd);
    pid = Clone3Run(&args, sizeof args, ChildMain, &ctx);
  } else {
    // clone(2) for kernels without clone3: no CLONE_INTO_CGROUP, so the parent
    // writes the pid to cgroup.procs while the child waits on the sync pipe.
    uint64_t ns = late_cgroupns ? (plan.flags & ~static_cast<uint64_t>(CLONE_NEWCGROUP)) : plan.flags;
    int flags = static_cast<int>(CLONE_PIDFD | vm | ns) | SIGCHLD;
    pid = clone(ChildMain, static_cast<char*>(stack) + kStackSize, flags, &ctx, &pidfd);
    if (pid < 0) pid = -errno;
  }
  int clone_err = pid < 0 ? static_cast<int>(-pid) : 0;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(errp[1]);
  if (need_sync) close(syncp[0]);
  if (console[1] >= 0) close(console[1]);
  if (clone_err) {
    if (console[0] >= 0) close(console[0]);
    close(errp[0]);
    if (need_sync) close(syncp[1]);
    return ThrowErrno(env, clone_err, plan.legacy_clone ? "clone" : "clone3");
  }

  if (need_sync) {
    // uid_map and gid_map are written from outside the namespace by a process
    // with CAP_SETUID/CAP_SETGID over it (user_namespaces(7)).
    std::string proc = "/proc/" + std::to_string(pid);
    const char* failed = nullptr;
    std::string failed_path;
    if (userns && !plan.uid_map.empty() && !WriteFile(proc + "/uid_map", plan.uid_map)) failed = "uid_map", failed_path = proc + "/uid_map";
    else if (userns && !plan.gid_map.empty() && !WriteFile(proc + "/gid_map", plan.gid_map)) failed = "gid_map", failed_path = proc + "/gid_map";
    else if (plan.legacy_clone && !plan.cgroup_procs.empty() && !WriteFile(plan.cgroup_procs, std::to_string(pid))) failed = "cgroup.procs", failed_path = plan.cgroup_procs;
    if (failed != nullptr) {
      int e = errno;
      close(syncp[1]);  // EOF: the child exits without running anything
      close(errp[0]);
      if (console[0] >= 0) close(console[0]);
      Reap(pidfd, static_cast<pid_t>(pid));
      Napi::Error err = ErrnoError(env, e, "write", failed_path.c_str());
      err.Set("step", Napi::String::New(env, failed));
      err.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    char go = 1;
    ssize_t w = write(syncp[1], &go, 1);
    (void)w;
    close(syncp[1]);
  }

  // Blocks until execve (EOF) or a report; like uv_spawn, this is short.
  ChildError report{};
  size_t got = 0;
  for (;;) {
    ssize_t n = read(errp[0], reinterpret_cast<char*>(&report) + got, sizeof report - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
    if (got == sizeof report) {
      // Drain to EOF: the child stops using our memory only when it is gone.
      char sink;
      for (;;) {
        ssize_t m = read(errp[0], &sink, 1);
        if (m > 0 || (m < 0 && errno == EINTR)) continue;
        break;
      }
      break;
    }
  }
  close(errp[0]);
  int master = -1;
  if (console[0] >= 0) {
    if (got != sizeof report) {
      // The child sent the master before execve, so it is queued by now.
      FdMessage m;
      if (recvmsg(console[0], &m.msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) == 1) master = m.Received();
    }
    close(console[0]);
  }
  if (got == sizeof report) {
    if (master >= 0) close(master);
    Reap(pidfd, static_cast<pid_t>(pid));
    return ChildFailure(env, report);
  }

  Napi::Object out = Napi::Object::New(env);
  if (plan.tty) out.Set("ptyMaster", Napi::Number::New(env, master));
  out.Set("pid", Napi::Number::New(env, static_cast<double>(pid)));
  out.Set("pidfd", Napi::Number::New(env, pidfd));
  return out;
}

}  // namespace bulkhead
