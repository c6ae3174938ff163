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
  fd_ = open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd_ < 0) {
    ThrowErrno(env, errno, "open", path.c_str());
    return;
  }
  if (write(fd_, trigger.c_str(), trigger.size() + 1) < 0) {
    int e = errno;
    close(fd_);
    fd_ = -1;
    ThrowErrno(env, e, "write", path.c_str());
    return;
  }
  on_event_ = Napi::Persistent(info[2].As<Napi::Function>());
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  poll_ = new uv_poll_t;
  int r = uv_poll_init(loop, poll_, fd_);
  if (r == 0) r = uv_poll_start(poll_, UV_PRIORITIZED, OnPoll);
  if (r != 0) {
    delete poll_;
    poll_ = nullptr;
    close(fd_);
    fd_ = -1;
    ThrowErrno(env, -r, "uv_poll_start", path.c_str());
    return;
  }
  poll_->data = this;
  Napi::ObjectWrap<PressureTrigger>::Ref();
}

PressureTrigger::~PressureTrigger() { Stop(); }

void PressureTrigger::Stop() {
  if (poll_ != nullptr) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
    Napi::ObjectWrap<PressureTrigger>::Unref();
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
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
  if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  return info.Env().Undefined();
}

}  // namespace bulkhead
