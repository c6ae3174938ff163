// Entry point of the addon: one function per kernel seam, each taking one plain
// options object. Policy lives in lib/; this file only registers.
#include <napi.h>

#include "probe.h"

namespace bulkhead {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("probeClone", Napi::Function::New(env, ProbeClone, "probeClone"));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  return exports;
}

NODE_API_MODULE(bulkhead, Init)

}  // namespace bulkhead
