#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/wait.h>

#include <string>

#include "errors.h"
#include "sys.h"

namespace bulkhead {
namespace {

// One clone3(2) whose child exits at once; 0 when it worked, else the errno.
// With CLONE_PIDFD the parent reaps it with waitid(P_PIDFD), which proves both.
int TryClone3(uint64_t extra_flags, int cgroup_fd) {
  int pidfd = -1;
  CloneArgs args{};
  args.flags = CLONE_PIDFD | extra_flags;
  args.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) args.cgroup = static_cast<uint64_t>(cgroup_fd);
  long pid = Clone3(&args);
  if (pid < 0) return errno;
  if (pid == 0) syscall(SYS_exit_group, 0);
  siginfo_t si{};
  int err = 0;
  if (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), &si, WEXITED) < 0) {
    err = errno;
    waitpid(static_cast<pid_t>(pid), nullptr, 0);
  }
  close(pidfd);
  return err;
}

Napi::Value Outcome(Napi::Env env, int err) {
  if (err == 0) return Napi::Boolean::New(env, true);
  return Napi::String::New(env, ErrnoName(err));
}

}  // namespace

Napi::Value ProbeClone(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  std::string cgroup_dir;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value dir = info[0].As<Napi::Object>().Get("cgroupDir");
    if (dir.IsString()) cgroup_dir = dir.As<Napi::String>().Utf8Value();
  }

  // clone3 and CLONE_PIDFD: each field is true, or the errno code that refused it.
  out.Set("clone3", Outcome(env, TryClone3(0, -1)));

  int pidfd = PidfdOpen(getpid());
  out.Set("pidfdOpen", Outcome(env, pidfd < 0 ? errno : 0));
  if (pidfd >= 0) close(pidfd);

  if (cgroup_dir.empty()) {
    out.Set("intoCgroup", env.Null());
  } else {
    // CLONE_INTO_CGROUP takes an fd of a cgroup2 directory (clone(2), Linux 5.7).
    int fd = open(cgroup_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      out.Set("intoCgroup", Outcome(env, errno));
    } else {
      out.Set("intoCgroup", Outcome(env, TryClone3(CLONE_INTO_CGROUP, fd)));
      close(fd);
    }
  }
  return out;
}

Napi::Value Pipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fds[2];
  // Both ends close on exec; the child gets its end through dup3 in the plan.
  if (pipe2(fds, O_CLOEXEC) < 0) return ThrowErrno(env, errno, "pipe2");
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fds[0]));
  out.Set(1u, Napi::Number::New(env, fds[1]));
  return out;
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  // Version 3 returns the 64 capability bits as two 32-bit words (capget(2)).
  if (syscall(SYS_capget, &hdr, data) < 0) return ThrowErrno(env, errno, "capget");
  auto join = [](uint32_t lo, uint32_t hi) { return (static_cast<uint64_t>(hi) << 32) | lo; };
  Napi::Object out = Napi::Object::New(env);
  out.Set("effective", Napi::BigInt::New(env, join(data[0].effective, data[1].effective)));
  out.Set("permitted", Napi::BigInt::New(env, join(data[0].permitted, data[1].permitted)));
  out.Set("inheritable", Napi::BigInt::New(env, join(data[0].inheritable, data[1].inheritable)));
  return out;
}

}  // namespace bulkhead
