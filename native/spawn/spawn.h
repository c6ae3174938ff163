#pragma once
#include <napi.h>

namespace bulkhead {

// spawn(plan) -> { pid, pidfd }. A failure in the child before execve throws an
// Error with { step, errno, code, index }; lib/spawn turns it into an IsolationError.
Napi::Value Spawn(const Napi::CallbackInfo& info);

// pidfdOpen(pid) -> a pidfd (exec: the process whose namespaces a spawn joins).
Napi::Value PidfdOpenJs(const Napi::CallbackInfo& info);
// setWindowSize(ptyMaster, rows, cols): TIOCSWINSZ.
Napi::Value SetWindowSize(const Napi::CallbackInfo& info);
// The names of the child's steps in wire order (plan.h's BULKHEAD_CHILD_STEPS).
Napi::Value ChildSteps(Napi::Env env);

}  // namespace bulkhead
