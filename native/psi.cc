#include "psi.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include "errors.h"

namespace bulkhead {

Napi::Function PressureTrigger::Define(Napi::Env env) {
  return DefineClass(env, "PressureTrigger",
                     {InstanceMethod<&PressureTrigger::Close>("close"),
                      InstanceMethod<&PressureTrigger::JsUnref>("unref")});
}

PressureTrigger::PressureTrigger(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PressureTrigger>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 3 || !info[0].IsString() || !info[1].IsString() || !info[2].IsFunction()) {
    Napi::TypeError::New(env, "new PressureTrigger(path, trigger, onEvent)").ThrowAsJavaScriptException();
    return;
  }
  std::string path = info[0].As<Napi::String>().Utf8Value();
  std::string trigger = info[1].As<Napi::String>().Utf8Value();
  // The trigger lives as long as this open file; writing it needs the file open
  // read-write, and the write must include the terminating NUL (psi.rst).
  int fd = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    ThrowErrno(env, errno, "open", path.c_str());
    return;
  }
  if (write(fd, trigger.c_str(), trigger.size() + 1) < 0) {
    int e = errno;
    close(fd);
    ThrowErrno(env, e, "write", path.c_str());
    return;
  }
  on_event_ = Napi::Persistent(info[2].As<Napi::Function>());
  int r = poll_.Start(env, fd, UV_PRIORITIZED, OnPoll, this);
  if (r != 0) {
    ThrowErrno(env, -r, "uv_poll_start", path.c_str());
    return;
  }
  Napi::ObjectWrap<PressureTrigger>::Ref();
  // A Worker's environment may end first: the poll must leave its loop then.
  env_ = env;
  if (napi_add_env_cleanup_hook(env, EnvCleanup, this) == napi_ok) hooked_ = true;
}

PressureTrigger::~PressureTrigger() { Stop(); }

void PressureTrigger::EnvCleanup(void* self) {
  auto* p = static_cast<PressureTrigger*>(self);
  p->hooked_ = false;  // hooks are removed by running them
  p->poll_.Stop();
}

void PressureTrigger::Stop() {
  if (poll_.active()) Napi::ObjectWrap<PressureTrigger>::Unref();
  poll_.Stop();
  if (hooked_) napi_remove_env_cleanup_hook(env_, EnvCleanup, this);
  hooked_ = false;
}

void PressureTrigger::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<PressureTrigger*>(handle->data);
  Napi::Env env = self->Env();
  Napi::HandleScope scope(env);
  // POLLERR: the group was removed, and the trigger with it (psi.rst).
  if (status < 0 || (events & UV_PRIORITIZED) == 0) {
    self->Stop();
    self->on_event_.MakeCallback(self->Value(), {Napi::String::New(env, "closed")});
    return;
  }
  self->on_event_.MakeCallback(self->Value(), {Napi::String::New(env, "pressure")});
}

Napi::Value PressureTrigger::Close(const Napi::CallbackInfo& info) {
  Stop();
  return info.Env().Undefined();
}

Napi::Value PressureTrigger::JsUnref(const Napi::CallbackInfo& info) {
  poll_.Unref();
  return info.Env().Undefined();
}

}  // namespace bulkhead
