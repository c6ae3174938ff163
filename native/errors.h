// Errors raised from native code: an Error carrying errno, its symbolic code,
// the syscall and the path it acted on, as node's own fs errors do. lib/errors.ts
// turns them into IsolationError.
#pragma once
#include <napi.h>

namespace bulkhead {

// Symbolic name for an errno value ("ENOENT"), or "EUNKNOWN" when unknown.
const char* ErrnoName(int err);

// "SIGTERM" for a signal number 1 to 31, or nullptr (real-time signals).
const char* SignalName(int sig);

// Builds the error object without throwing it (for promise rejections).
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

// Throws ErrnoError and returns undefined, for `return ThrowErrno(...)`.
Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const char* path = nullptr);

}  // namespace bulkhead
