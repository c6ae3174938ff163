// bpf(2) for cgroup programs: load a program and attach, detach or query it on a
// cgroup by directory fd. The instructions, the program and attach types and the
// flags all come from lib/cgroup/devices/; nothing here knows what a rule is.
#pragma once
#include <napi.h>

namespace bulkhead {

// bpfProgLoad({ type, insns: Buffer, license }) -> fd (O_CLOEXEC). A refusal throws
// an errno error whose `log` is the verifier's log (the load is retried with a log
// buffer only then, as libbpf does, so the common case pays for no log).
Napi::Value BpfProgLoad(const Napi::CallbackInfo& info);

// bpfProgAttach(cgroupFd, progFd, attachType, flags)
Napi::Value BpfProgAttach(const Napi::CallbackInfo& info);

// bpfProgDetach(cgroupFd, progFd, attachType)
Napi::Value BpfProgDetach(const Napi::CallbackInfo& info);

// bpfProgQuery(cgroupFd, attachType) -> { attachFlags, progIds: number[] }
Napi::Value BpfProgQuery(const Napi::CallbackInfo& info);

}  // namespace bulkhead
