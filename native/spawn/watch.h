// Exit watching through a pidfd on libuv's loop: the pidfd turns readable when
// the process exits (pidfd_open(2)), so no thread sits in waitpid and no timer
// polls. The watcher reaps the child with waitid(P_PIDFD) and reports once.
#pragma once
#include <napi.h>
#include <uv.h>

#include "../fdpoll.h"

namespace bulkhead {

class ProcessWatch : public Napi::ObjectWrap<ProcessWatch> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new ProcessWatch(pidfd, pid, onExit(exitCode, signal, rusage))
  explicit ProcessWatch(const Napi::CallbackInfo& info);
  ~ProcessWatch() override;

 private:
  Napi::Value Kill(const Napi::CallbackInfo& info);
  Napi::Value JsRef(const Napi::CallbackInfo& info);
  Napi::Value JsUnref(const Napi::CallbackInfo& info);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Exited();
  void Stop();
  // The environment (a Worker) ends while the process still runs: stop watching
  // and leave the reaping to a thread of the process (see watch.cc).
  void Orphan();
  static void EnvCleanup(void* self);

  FdPoll poll_;  // the pidfd
  int pid_ = 0;
  napi_env env_ = nullptr;
  bool hooked_ = false;  // EnvCleanup registered
  Napi::FunctionReference on_exit_;
};

}  // namespace bulkhead
