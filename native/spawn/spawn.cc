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
#include <memory>
#include <pthread.h>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../errors.h"
#include "../sys.h"
#include "child.h"
#include "fdpass.h"
#include "raw.h"

namespace bulkhead {
namespace {

const char* const kStepNames[] = {
#define BULKHEAD_STEP_NAME(id, name) name,
    BULKHEAD_CHILD_STEPS(BULKHEAD_STEP_NAME)
#undef BULKHEAD_STEP_NAME
};
static_assert(sizeof kStepNames / sizeof *kStepNames == kStepCount, "one name per step");

// The child runs on this stack while it shares our memory. Spawn returns only
// after the child has exec'd or exited (the error pipe's EOF), so one stack per
// calling thread serves every spawn; a Worker's stack goes with its thread.
constexpr size_t kStackSize = 256 * 1024;
struct ThreadStack {
  void* base = nullptr;
  ~ThreadStack() {
    if (base != nullptr) munmap(base, kStackSize);
  }
};
thread_local ThreadStack child_stack;

void* ChildStack() {
  if (child_stack.base == nullptr) {
    void* p = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) return nullptr;
    child_stack.base = p;
  }
  return child_stack.base;
}

// A pidfd of this process, for children to check that it still lives after
// they armed PR_SET_PDEATHSIG. Opened once; the kernel makes it close-on-exec.
int SelfPidfd() {
  static int fd = PidfdOpen(getpid());
  return fd;
}

// What the child reads between clone and execve.
struct ChildMemory {
  Plan plan;
  ChildPlan cplan;
  std::vector<ChildOp> cops;
  std::vector<const char*> cfiles;
  std::vector<std::vector<const char*>> cnames;
  ChildContext ctx;
};

// PR_SET_PDEATHSIG fires when the *thread* that cloned the child exits
// (prctl(2)), so a child cloned on a Worker's thread would die with the Worker.
// Off the main thread, the clone itself runs on this thread, which lives as
// long as the process and keeps every signal blocked (so the child starts with
// all blocked, as on the main thread).
struct CloneJob {
  CloneArgs* args;           // clone3, or
  bool legacy;              // clone(2)
  ChildContext* ctx;
  void* stack;
  int legacy_flags;
  int* pidfd;
  int join_pid_fd;          // exec: enter this pid namespace (an ns fd or a pidfd) for the clone, or -1
  bool join_failed;         // the result is setns's error, not clone's
  long result;
  bool done;
};

// Never destroyed: glibc's pthread_cond_destroy at exit would wait for the
// thread that waits on it forever. pthread's own primitives, not
// std::condition_variable: its wait() is a GLIBCXX_3.4.30 symbol, which the
// libstdc++ of glibc-2.28 distributions lacks (the prebuilds must load there).
pthread_mutex_t clone_mu = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t clone_cv = PTHREAD_COND_INITIALIZER;
CloneJob* clone_job = nullptr;
bool clone_thread_started = false;

long RunClone(CloneJob* j) {
  if (!j->legacy) return Clone3Run(j->args, sizeof *j->args, ChildMain, j->ctx);
  long pid = clone(ChildMain, static_cast<char*>(j->stack) + kStackSize, j->legacy_flags, j->ctx, j->pidfd);
  return pid < 0 ? -errno : pid;
}

// Set when this thread could not return to its own pid namespace after a join:
// every later clone from it would land in a container's, so all are refused.
int clone_thread_stuck = 0;

// exec: a pid namespace is entered only by the children of the caller
// (setns(2): CLONE_NEWPID sets pid_for_children, never the caller's own), so
// this thread enters it, clones, and goes back to its own, named by an fd of
// /proc/thread-self/ns/pid taken first (its active namespace, which setns never
// changes; pid_namespaces(7) allows entering that one again). Only the clone
// thread runs this: no other spawn is in flight on it meanwhile.
long RunJoined(CloneJob* j) {
  if (clone_thread_stuck) return -clone_thread_stuck;
  if (j->join_pid_fd < 0) return RunClone(j);
  int self = open("/proc/thread-self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (self < 0) {
    j->join_failed = true;
    return -errno;
  }
  if (setns(j->join_pid_fd, CLONE_NEWPID) < 0) {
    int e = errno;
    close(self);
    j->join_failed = true;
    return -e;
  }
  long r = RunClone(j);
  if (setns(self, CLONE_NEWPID) < 0) clone_thread_stuck = errno ? errno : EIO;
  close(self);
  return r;
}

void CloneThread() {
  pthread_mutex_lock(&clone_mu);
  for (;;) {
    while (clone_job == nullptr || clone_job->done) pthread_cond_wait(&clone_cv, &clone_mu);
    clone_job->result = RunJoined(clone_job);
    clone_job->done = true;
    pthread_cond_broadcast(&clone_cv);
  }
}

bool OnMainThread() { return syscall(SYS_gettid) == getpid(); }

// Runs the clone on the caller's thread (the main thread: it lives as long as
// the process) or on the process-lifetime thread; the caller has blocked every
// signal. Returns the pid or -errno.
long CloneChild(CloneJob* j) {
  // A pid join always goes through the clone thread: the main thread's own
  // pid_for_children never changes.
  if (OnMainThread() && j->join_pid_fd < 0) return RunClone(j);
  pthread_mutex_lock(&clone_mu);
  if (!clone_thread_started) {
    // The new thread inherits our mask, which blocks everything now.
    std::thread(CloneThread).detach();
    clone_thread_started = true;
  }
  while (clone_job != nullptr) pthread_cond_wait(&clone_cv, &clone_mu);
  clone_job = j;
  pthread_cond_broadcast(&clone_cv);
  while (!j->done) pthread_cond_wait(&clone_cv, &clone_mu);
  clone_job = nullptr;
  pthread_cond_broadcast(&clone_cv);
  pthread_mutex_unlock(&clone_mu);
  return j->result;
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

// Reaps a child that failed or that we gave up on; it is exiting, or is
// killed here first when it may still be waiting for us.
void Reap(int pidfd, pid_t pid, bool kill_first = false) {
  siginfo_t si{};
  if (kill_first) {
    if (pidfd >= 0) PidfdSendSignal(pidfd, SIGKILL);
    else kill(pid, SIGKILL);
  }
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

Napi::Value ChildSteps(Napi::Env env) {
  Napi::Array a = Napi::Array::New(env, kStepCount);
  for (uint32_t i = 0; i < kStepCount; i++) a.Set(i, Napi::String::New(env, kStepNames[i]));
  return a;
}

Napi::Value PidfdOpenJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "pidfdOpen(pid)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Close-on-exec by the kernel (pidfd_open(2)).
  int fd = PidfdOpen(static_cast<pid_t>(info[0].As<Napi::Number>().Int32Value()));
  if (fd < 0) return ThrowErrno(env, errno, "pidfd_open");
  return Napi::Number::New(env, fd);
}

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

// Flattens plan into the views the child reads (see ChildPlan); ops and files
// hold the arrays and must outlive the child's use of them.
static void Flatten(const Plan& plan, ChildPlan* cp, std::vector<ChildOp>* ops, std::vector<const char*>* files,
                    std::vector<std::vector<const char*>>* names) {
  auto opt = [](const std::string& s, bool present) { return present ? s.c_str() : nullptr; };
  for (const std::string& f : plan.files) files->push_back(f.c_str());
  names->resize(plan.ops.size());
  for (size_t i = 0; i < plan.ops.size(); i++) {
    const FsOp& op = plan.ops[i];
    for (const std::string& n : op.names) (*names)[i].push_back(n.c_str());
    ChildOp o{};
    o.names = (*names)[i].data();
    o.nnames = static_cast<long>((*names)[i].size());
    o.kind = op.kind;
    o.source = opt(op.source, op.has_source);
    o.target = op.target.c_str();
    o.fstype = opt(op.fstype, op.has_fstype);
    o.data = opt(op.data, op.has_data);
    o.data_len = static_cast<long>(op.data.size());
    o.root = op.root.empty() ? nullptr : op.root.c_str();
    o.parent = op.parent.c_str();
    o.name = op.name.c_str();
    o.flags = op.flags;
    o.attr_set = op.attr_set;
    o.attr_clr = op.attr_clr;
    o.dev = op.dev;
    o.mode = op.mode;
    o.recursive = op.recursive;
    o.optional = op.optional;
    o.self_bind = op.self_bind;
    o.source_in_root = op.source_in_root;
    o.chown = op.chown;
    o.uid = op.uid;
    o.gid = op.gid;
    ops->push_back(o);
  }
  *cp = ChildPlan{};
  cp->files = files->data();
  cp->nfiles = static_cast<long>(files->size());
  cp->argv = plan.argv.data();
  cp->envp = plan.envp.data();
  cp->flags = plan.flags;
  cp->netns_fd = plan.netns_fd;
  cp->joins = plan.joins.data();
  cp->njoins = static_cast<long>(plan.joins.size());
  cp->dumpable = plan.dumpable;
  cp->start_fifo_fd = plan.start_fifo_fd;
  cp->umask = plan.umask;
  cp->root_propagation = plan.root_propagation;
  for (int i = 0; i < 3; i++) cp->stdio[i] = plan.stdio[i];
  cp->fds = plan.fds.data();
  cp->nfds = static_cast<long>(plan.fds.size());
  cp->ops = ops->data();
  cp->nops = static_cast<long>(ops->size());
  cp->rootfs = plan.rootfs.empty() ? nullptr : plan.rootfs.c_str();
  cp->hostname = plan.set_hostname ? plan.hostname.c_str() : nullptr;
  cp->hostname_len = static_cast<long>(plan.hostname.size());
  cp->set_ids = plan.set_ids;
  cp->uid = plan.uid;
  cp->gid = plan.gid;
  cp->groups = plan.groups.data();
  cp->ngroups = static_cast<long>(plan.groups.size());
  cp->cwd = plan.cwd.empty() ? nullptr : plan.cwd.c_str();
  cp->lo_up = plan.lo_up;
  cp->die_with_parent = plan.die_with_parent;
  cp->no_new_privs = plan.no_new_privs;
  cp->setsid = plan.setsid;
  cp->set_caps = plan.set_caps;
  cp->tty = plan.tty;
  cp->cap_bounding = plan.cap_bounding;
  cp->cap_effective = plan.cap_effective;
  cp->cap_permitted = plan.cap_permitted;
  cp->cap_inheritable = plan.cap_inheritable;
  cp->cap_ambient = plan.cap_ambient;
  cp->cap_last = plan.cap_last;
  cp->rlimits = plan.rlimits.data();
  cp->nrlimits = static_cast<long>(plan.rlimits.size());
  cp->seccomp = plan.seccomp.empty() ? nullptr : plan.seccomp.data();
  cp->seccomp_len = static_cast<unsigned short>(plan.seccomp.size() / 8);
  cp->rows = plan.rows;
  cp->cols = plan.cols;
}

Napi::Value Spawn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, "spawn(plan): plan must be an object").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // Everything the child reads, on the heap: a child that waits on a start FIFO
  // (OCI create) outlives this call, and then all of it is left allocated.
  std::unique_ptr<ChildMemory> mem(new ChildMemory);
  Plan& plan = mem->plan;
  if (!ParsePlan(env, info[0].As<Napi::Object>(), &plan)) return env.Undefined();
  ChildPlan& cplan = mem->cplan;
  Flatten(plan, &cplan, &mem->cops, &mem->cfiles, &mem->cnames);

  int parent_pidfd = -1;
  if (plan.die_with_parent) {
    parent_pidfd = SelfPidfd();
    if (parent_pidfd < 0) return ThrowErrno(env, errno, "pidfd_open", "dieWithParent");
  }
  void* stack = ChildStack();
  if (stack == nullptr) return ThrowErrno(env, ENOMEM, "mmap");
  // --- OCI create/start: this child may run on its stack after we return.
  if (plan.start_fifo_fd >= 0) child_stack.base = nullptr;

  int high = 3 + static_cast<int>(plan.fds.size());
  for (int fd : plan.stdio) high = std::max(high, fd + 1);
  for (int fd : plan.fds) high = std::max(high, fd + 1);

  // Every fd made below, so that each way out closes all that are still open.
  int errp[2] = {-1, -1}, syncp[2] = {-1, -1}, console[2] = {-1, -1};
  auto close_all = [&]() {
    for (int* fd : {&errp[0], &errp[1], &syncp[0], &syncp[1], &console[0], &console[1]}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  };
  if (pipe2(errp, O_CLOEXEC) < 0) return ThrowErrno(env, errno, "pipe2");
  errp[0] = Lift(errp[0], high);
  errp[1] = Lift(errp[1], high);
  bool userns = (plan.flags & CLONE_NEWUSER) != 0;
  bool need_sync = userns || plan.legacy_clone;
  if (need_sync) {
    if (pipe2(syncp, O_CLOEXEC) < 0) {
      int e = errno;
      close_all();
      return ThrowErrno(env, e, "pipe2");
    }
    syncp[0] = Lift(syncp[0], high);
    syncp[1] = Lift(syncp[1], high);
  }
  if (errp[0] < 0 || errp[1] < 0 || (need_sync && (syncp[0] < 0 || syncp[1] < 0))) {
    int e = errno;
    close_all();
    return ThrowErrno(env, e, "fcntl");
  }
  if (plan.tty) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, console) < 0) {
      int e = errno;
      close_all();
      return ThrowErrno(env, e, "socketpair");
    }
    console[1] = Lift(console[1], high);
    if (console[1] < 0) {
      int e = errno;
      close_all();
      return ThrowErrno(env, e, "fcntl");
    }
  }
  bool late_cgroupns = plan.legacy_clone && !plan.cgroup_procs.empty() && (plan.flags & CLONE_NEWCGROUP) != 0;
  ChildContext& ctx = mem->ctx;
  ctx = ChildContext{&cplan, errp[1], syncp[0], syncp[1], high, late_cgroupns, console[1], console[0], parent_pidfd};

  // No signal may run node's handlers in the child before it resets them.
  // sigprocmask, not pthread_sigmask: glibc's sigprocmask sets the calling
  // thread's mask just the same, and pthread_sigmask links as GLIBC_2.32 (it
  // moved into libc there), which glibc 2.28 systems refuse to load.
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);

  int pidfd = -1;
  long pid;
  // The child shares our memory (CLONE_VM) instead of copying node's page
  // tables: it only reads the plan and runs on its own stack. A time namespace
  // refuses CLONE_VM (clone(2), EINVAL), so that case copies, and so does a
  // non-dumpable child (an exec's: see child.cc).
  // Dumpability belongs to the memory (mm), so a child made non-dumpable must
  // not share ours: it would make node non-dumpable too. So must a child that
  // sets its oom_score_adj (own_memory): a write reaches every process that
  // shares the mm, node included (__set_oom_adj in fs/proc/base.c).
  uint64_t vm = (BULKHEAD_RAW_SYSCALLS && !(plan.flags & CLONE_NEWTIME) && plan.dumpable && !plan.own_memory) ? CLONE_VM : 0;
  CloneArgs args{};
  CloneJob job{};
  job.ctx = &ctx;
  job.stack = stack;
  job.pidfd = &pidfd;
  job.join_pid_fd = plan.join_pid_fd;
  if (!plan.legacy_clone) {
    args.flags = CLONE_PIDFD | vm | plan.flags | (plan.cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
    args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    args.stack = reinterpret_cast<uintptr_t>(stack);
    args.stack_size = kStackSize;
    if (plan.cgroup_fd >= 0) args.cgroup = static_cast<uint64_t>(plan.cgroup_fd);
    job.args = &args;
  } else {
    // clone(2) for kernels without clone3: no CLONE_INTO_CGROUP, so the parent
    // writes the pid to cgroup.procs while the child waits on the sync pipe.
    uint64_t ns = late_cgroupns ? (plan.flags & ~static_cast<uint64_t>(CLONE_NEWCGROUP)) : plan.flags;
    job.legacy_flags = static_cast<int>(CLONE_PIDFD | vm | ns) | SIGCHLD;
    job.legacy = true;
  }
  pid = CloneChild(&job);
  int clone_err = pid < 0 ? static_cast<int>(-pid) : 0;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  close(errp[1]);
  errp[1] = -1;
  if (syncp[0] >= 0) close(syncp[0]);
  syncp[0] = -1;
  if (console[1] >= 0) close(console[1]);
  console[1] = -1;
  if (clone_err) {
    close_all();
    if (job.join_failed) return ChildFailure(env, ChildError{kStepJoinPid, clone_err, -1});
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
    char go = 1;
    if (failed == nullptr && write(syncp[1], &go, 1) != 1) failed = "sync", failed_path = "";
    if (failed != nullptr) {
      int e = errno;
      // The child may still wait on the sync pipe; whatever it does, it ends
      // here, and only then may its stack (ours) be reused.
      close_all();
      Reap(pidfd, static_cast<pid_t>(pid), true);
      Napi::Error err = ErrnoError(env, e, "write", failed_path.empty() ? nullptr : failed_path.c_str());
      err.Set("step", Napi::String::New(env, failed));
      err.ThrowAsJavaScriptException();
      return env.Undefined();
    }
    close(syncp[1]);
    syncp[1] = -1;
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
      // --- OCI create/start: errno 0 from start_wait is no failure: the child is
      // set up and waits on the FIFO, reading mem and its stack until execve, so
      // both are left allocated (never reused, never freed).
      if (report.step == kStepStartWait && report.err == 0 && plan.start_fifo_fd >= 0) {
        mem.release();
        got = 0;
        break;
      }
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
