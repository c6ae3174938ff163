// An fd watched on libuv's event loop (uv_poll), owning both: Stop() stops the
// watch, closes the handle (freed in its close callback, as libuv requires) and
// closes the fd. Used for pidfds (exit) and *.pressure files (PSI triggers).
#pragma once
#include <napi.h>
#include <unistd.h>
#include <uv.h>

namespace bulkhead {

class FdPoll {
 public:
  // Takes fd; returns 0 or a negative libuv error (then fd is closed too).
  int Start(Napi::Env env, int fd, int events, uv_poll_cb cb, void* data) {
    fd_ = fd;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    poll_ = new uv_poll_t;
    int r = uv_poll_init(loop, poll_, fd);
    if (r == 0) r = uv_poll_start(poll_, events, cb);
    if (r != 0) {
      delete poll_;
      poll_ = nullptr;
      close(fd_);
      fd_ = -1;
      return r;
    }
    poll_->data = data;
    return 0;
  }

  void Stop() {
    int fd = Release();
    if (fd >= 0) close(fd);
  }

  // Stops the watch and closes the handle, but hands the fd to the caller.
  int Release() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

  void Ref() {
    if (poll_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  void Unref() {
    if (poll_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(poll_));
  }
  bool active() const { return poll_ != nullptr; }
  int fd() const { return fd_; }

 private:
  uv_poll_t* poll_ = nullptr;
  int fd_ = -1;
};

}  // namespace bulkhead
