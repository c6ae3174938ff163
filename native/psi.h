// PSI triggers (Documentation/accounting/psi.rst): a threshold written to a
// cgroup's *.pressure file arms the kernel, which then wakes poll(2) on that
// open file with POLLPRI whenever the stall exceeds it in a window. libuv's
// uv_poll with UV_PRIORITIZED waits for exactly that on the event loop.
#pragma once
#include <napi.h>
#include <uv.h>

#include "fdpoll.h"

namespace bulkhead {

class PressureTrigger : public Napi::ObjectWrap<PressureTrigger> {
 public:
  static Napi::Function Define(Napi::Env env);
  // new PressureTrigger(path, "some 150000 1000000", onEvent)
  explicit PressureTrigger(const Napi::CallbackInfo& info);
  ~PressureTrigger() override;

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value JsUnref(const Napi::CallbackInfo& info);
  static void OnPoll(uv_poll_t* handle, int status, int events);
  void Stop();
  static void EnvCleanup(void* self);

  FdPoll poll_;  // the armed *.pressure file
  napi_env env_ = nullptr;
  bool hooked_ = false;  // EnvCleanup registered
  Napi::FunctionReference on_event_;
};

}  // namespace bulkhead
