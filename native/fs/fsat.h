// The *at(2) calls image unpacking needs and Node's fs lacks (native/fs/fsat.cc).
#pragma once
#include <napi.h>

namespace bulkhead {

Napi::Value Openat2(const Napi::CallbackInfo& info);
Napi::Value Mknodat(const Napi::CallbackInfo& info);
Napi::Value Lsetxattr(const Napi::CallbackInfo& info);
Napi::Value Lgetxattr(const Napi::CallbackInfo& info);
Napi::Value Llistxattr(const Napi::CallbackInfo& info);
Napi::Value Linkat(const Napi::CallbackInfo& info);
Napi::Value Flock(const Napi::CallbackInfo& info);

}  // namespace bulkhead
