// Entry point of the addon: one function per kernel seam, each taking one plain
// options object. Policy lives in lib/; this file only registers.
#include <napi.h>

#include "bpf.h"
#include "netlink.h"
#include "fs/fsat.h"
#include "oci.h"
#include "probe.h"
#include "psi.h"
#include "spawn/spawn.h"
#include "spawn/watch.h"

namespace bulkhead {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probeClone", Napi::Function::New(env, ProbeClone, "probeClone"));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpenJs, "pidfdOpen"));
  exports.Set("setWindowSize", Napi::Function::New(env, SetWindowSize, "setWindowSize"));
  exports.Set("childSteps", ChildSteps(env));
  exports.Set("bpfProgLoad", Napi::Function::New(env, BpfProgLoad, "bpfProgLoad"));
  exports.Set("bpfProgAttach", Napi::Function::New(env, BpfProgAttach, "bpfProgAttach"));
  exports.Set("bpfProgDetach", Napi::Function::New(env, BpfProgDetach, "bpfProgDetach"));
  exports.Set("bpfProgQuery", Napi::Function::New(env, BpfProgQuery, "bpfProgQuery"));
  exports.Set("netlinkOpen", Napi::Function::New(env, NetlinkOpen, "netlinkOpen"));
  exports.Set("netlinkSend", Napi::Function::New(env, NetlinkSend, "netlinkSend"));
  exports.Set("netlinkRecv", Napi::Function::New(env, NetlinkRecv, "netlinkRecv"));
  exports.Set("netnsCreate", Napi::Function::New(env, NetnsCreate, "netnsCreate"));
  exports.Set("flock", Napi::Function::New(env, Flock, "flock"));
  exports.Set("openat2", Napi::Function::New(env, Openat2, "openat2"));
  exports.Set("mknodat", Napi::Function::New(env, Mknodat, "mknodat"));
  exports.Set("lsetxattr", Napi::Function::New(env, Lsetxattr, "lsetxattr"));
  exports.Set("lgetxattr", Napi::Function::New(env, Lgetxattr, "lgetxattr"));
  exports.Set("llistxattr", Napi::Function::New(env, Llistxattr, "llistxattr"));
  exports.Set("linkat", Napi::Function::New(env, Linkat, "linkat"));
  exports.Set("mkfifo", Napi::Function::New(env, Mkfifo, "mkfifo"));
  exports.Set("sendFd", Napi::Function::New(env, SendFd, "sendFd"));
  exports.Set("ProcessWatch", ProcessWatch::Define(env));
  exports.Set("PressureTrigger", PressureTrigger::Define(env));
  return exports;
}

NODE_API_MODULE(bulkhead, Init)

}  // namespace bulkhead
