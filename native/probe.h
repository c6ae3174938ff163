// Kernel feature probes for `bulkhead info` and for choosing the spawn path.
#pragma once
#include <napi.h>

namespace bulkhead {

// probeClone({ cgroupDir?: string }) -> { clone3, pidfd, intoCgroup, errors }
Napi::Value ProbeClone(const Napi::CallbackInfo& info);

// capabilities() -> { effective, permitted, inheritable } as bigint bit masks
Napi::Value Capabilities(const Napi::CallbackInfo& info);

// pipe() -> [readFd, writeFd], both O_CLOEXEC (node has no pipe(2) of its own)
Napi::Value Pipe(const Napi::CallbackInfo& info);

}  // namespace bulkhead
