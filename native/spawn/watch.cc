#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "../errors.h"
#include "../sys.h"

namespace bulkhead {

Napi::Function ProcessWatch::Define(Napi::Env env) {
  return DefineClass(env, "ProcessWatch",
                     {InstanceMethod<&ProcessWatch::Kill>("kill"), InstanceMethod<&ProcessWatch::JsRef>("ref"),
                      InstanceMethod<&ProcessWatch::JsUnref>("unref")});
}

ProcessWatch::ProcessWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ProcessWatch>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "new ProcessWatch(pidfd, pid, onExit)").ThrowAsJavaScriptException();
    return;
  }
  pid_ = info[1].As<Napi::Number>().Int32Value();
  on_exit_ = Napi::Persistent(info[2].As<Napi::Function>());
  int r = poll_.Start(env, info[0].As<Napi::Number>().Int32Value(), UV_READABLE, OnPoll, this);
  if (r != 0) {
    ThrowErrno(env, -r, "uv_poll_start");
    return;
  }
  // The watcher keeps itself alive while the process runs.
  Napi::ObjectWrap<ProcessWatch>::Ref();
  // A Worker's environment can end while the process runs; then the poll must
  // leave its loop before that loop goes (napi_add_env_cleanup_hook).
  env_ = env;
  if (napi_add_env_cleanup_hook(env, EnvCleanup, this) == napi_ok) hooked_ = true;
}

ProcessWatch::~ProcessWatch() {
  if (poll_.active()) Orphan();
  else Stop();
}

void ProcessWatch::Stop() {
  poll_.Stop();
  if (hooked_) napi_remove_env_cleanup_hook(env_, EnvCleanup, this);
  hooked_ = false;
}

void ProcessWatch::EnvCleanup(void* self) {
  auto* w = static_cast<ProcessWatch*>(self);
  w->hooked_ = false;  // hooks are removed by running them
  w->Orphan();
}

void ProcessWatch::Orphan() {
  int fd = poll_.Release();
  if (hooked_) napi_remove_env_cleanup_hook(env_, EnvCleanup, this);
  hooked_ = false;
  if (fd < 0) return;
  // The process is this process's child and lives on (its parent-death signal
  // follows the process, not the Worker); it must still be reaped when it
  // exits, or it stays a zombie. A detached thread waits on the pidfd; the
  // addon is linked -z nodelete, so its code outlives the Worker's unload.
  std::thread([fd] {
    siginfo_t si{};
    // uv_poll_init made the pidfd non-blocking, and waitid on a non-blocking
    // pidfd returns EAGAIN instead of waiting (pidfd_open(2)).
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    while (waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &si, WEXITED) < 0 && errno == EINTR) {
    }
    close(fd);
  }).detach();
}

void ProcessWatch::OnPoll(uv_poll_t* handle, int status, int events) {
  static_cast<ProcessWatch*>(handle->data)->Exited();
}

void ProcessWatch::Exited() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  siginfo_t si{};
  struct rusage ru {};
  // The waitid system call takes a struct rusage as a fifth argument that the C
  // library's wrapper hides (waitid(2), NOTES).
  long r;
  do {
    r = syscall(SYS_waitid, P_PIDFD, poll_.fd(), &si, WEXITED | WNOHANG, &ru);
  } while (r < 0 && errno == EINTR);
  if (r == 0 && si.si_pid == 0) return;  // readable but not yet waitable: wait for the next event
  Stop();
  Napi::Value code = env.Null(), sig = env.Null();
  if (r < 0) {
    code = Napi::Number::New(env, -1);
  } else if (si.si_code == CLD_EXITED) {
    code = Napi::Number::New(env, si.si_status);
  } else {
    const char* name = SignalName(si.si_status);
    sig = Napi::String::New(env, name ? std::string(name) : std::to_string(si.si_status));
  }
  Napi::Object usage = Napi::Object::New(env);
  usage.Set("userUsec", Napi::Number::New(env, ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec));
  usage.Set("systemUsec", Napi::Number::New(env, ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec));
  usage.Set("minorFaults", Napi::Number::New(env, ru.ru_minflt));
  usage.Set("majorFaults", Napi::Number::New(env, ru.ru_majflt));
  usage.Set("voluntaryContextSwitches", Napi::Number::New(env, ru.ru_nvcsw));
  usage.Set("involuntaryContextSwitches", Napi::Number::New(env, ru.ru_nivcsw));
  Napi::FunctionReference cb = std::move(on_exit_);
  Napi::ObjectWrap<ProcessWatch>::Unref();
  cb.MakeCallback(Value(), {code, sig, usage});
}

Napi::Value ProcessWatch::Kill(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int sig = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : SIGTERM;
  // The pidfd names this process and no other, even after its pid is reused.
  if (poll_.fd() < 0) return ThrowErrno(env, ESRCH, "pidfd_send_signal");
  if (PidfdSendSignal(poll_.fd(), sig) < 0) return ThrowErrno(env, errno, "pidfd_send_signal");
  return env.Undefined();
}

Napi::Value ProcessWatch::JsRef(const Napi::CallbackInfo& info) {
  poll_.Ref();
  return info.Env().Undefined();
}

Napi::Value ProcessWatch::JsUnref(const Napi::CallbackInfo& info) {
  poll_.Unref();
  return info.Env().Undefined();
}

}  // namespace bulkhead
