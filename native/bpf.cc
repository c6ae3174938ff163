#include "bpf.h"

#include <errno.h>
#include <linux/bpf.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "errors.h"

namespace bulkhead {
namespace {

long Bpf(int cmd, union bpf_attr* attr) { return syscall(SYS_bpf, cmd, attr, sizeof(*attr)); }

bool Ints(const Napi::CallbackInfo& info, size_t n, const char* usage, int64_t* out) {
  if (info.Length() != n) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return false;
  }
  for (size_t i = 0; i < n; i++) {
    if (!info[i].IsNumber()) {
      Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
      return false;
    }
    out[i] = info[i].As<Napi::Number>().Int64Value();
  }
  return true;
}

}  // namespace

Napi::Value BpfProgLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* usage = "bpfProgLoad({ type: number, insns: Buffer, license: string })";
  if (info.Length() != 1 || !info[0].IsObject()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object o = info[0].As<Napi::Object>();
  Napi::Value type = o.Get("type"), insns = o.Get("insns"), license = o.Get("license");
  if (!type.IsNumber() || !insns.IsBuffer() || !license.IsString()) {
    Napi::TypeError::New(env, usage).ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> code = insns.As<Napi::Buffer<uint8_t>>();
  // struct bpf_insn is 8 bytes (linux/bpf.h).
  if (code.Length() == 0 || code.Length() % sizeof(struct bpf_insn) != 0) {
    Napi::RangeError::New(env, "bpfProgLoad: insns must be a whole number of 8-byte instructions").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string lic = license.As<Napi::String>().Utf8Value();
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = type.As<Napi::Number>().Uint32Value();
  attr.insns = reinterpret_cast<uintptr_t>(code.Data());
  attr.insn_cnt = static_cast<uint32_t>(code.Length() / sizeof(struct bpf_insn));
  attr.license = reinterpret_cast<uintptr_t>(lic.c_str());
  // The verifier gives up with EAGAIN when a signal is pending for the caller
  // (kernel/bpf/verifier.c: signal_pending in do_check), which node's SIGCHLD
  // or a profiler's SIGPROF can be at any moment; blocked signals are not
  // pending for it, so the loads run with all blocked (sigprocmask, as
  // spawn.cc does, for glibc 2.28), and an EAGAIN still seen is retried as
  // libbpf does (5 attempts).
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  long fd = -1;
  for (int attempt = 0; attempt < 5; attempt++) {
    fd = Bpf(BPF_PROG_LOAD, &attr);
    if (fd >= 0 || errno != EAGAIN) break;
  }
  int err = errno;
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (fd >= 0) return Napi::Number::New(env, static_cast<double>(fd));
  // Again with a log buffer, to say why (bpf(2): log_level 1, the verifier's trace).
  std::vector<char> log(64 * 1024, '\0');
  attr.log_level = 1;
  attr.log_buf = reinterpret_cast<uintptr_t>(log.data());
  attr.log_size = static_cast<uint32_t>(log.size());
  sigprocmask(SIG_SETMASK, &all, nullptr);
  long again = Bpf(BPF_PROG_LOAD, &attr);
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (again >= 0) {
    // Loaded with a log where it failed without one: keep the program, not the puzzle.
    return Napi::Number::New(env, static_cast<double>(again));
  }
  Napi::Error e = ErrnoError(env, err, "bpf(BPF_PROG_LOAD)");
  e.Set("log", Napi::String::New(env, std::string(log.data(), strnlen(log.data(), log.size()))));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

Napi::Value BpfProgAttach(const Napi::CallbackInfo& info) {
  int64_t a[4];
  if (!Ints(info, 4, "bpfProgAttach(cgroupFd, progFd, attachType, flags)", a)) return info.Env().Undefined();
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(a[0]);
  attr.attach_bpf_fd = static_cast<uint32_t>(a[1]);
  attr.attach_type = static_cast<uint32_t>(a[2]);
  attr.attach_flags = static_cast<uint32_t>(a[3]);
  if (Bpf(BPF_PROG_ATTACH, &attr) < 0) return ThrowErrno(info.Env(), errno, "bpf(BPF_PROG_ATTACH)");
  return info.Env().Undefined();
}

Napi::Value BpfProgDetach(const Napi::CallbackInfo& info) {
  int64_t a[3];
  if (!Ints(info, 3, "bpfProgDetach(cgroupFd, progFd, attachType)", a)) return info.Env().Undefined();
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.target_fd = static_cast<uint32_t>(a[0]);
  attr.attach_bpf_fd = static_cast<uint32_t>(a[1]);
  attr.attach_type = static_cast<uint32_t>(a[2]);
  if (Bpf(BPF_PROG_DETACH, &attr) < 0) return ThrowErrno(info.Env(), errno, "bpf(BPF_PROG_DETACH)");
  return info.Env().Undefined();
}

Napi::Value BpfProgQuery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t a[2];
  if (!Ints(info, 2, "bpfProgQuery(cgroupFd, attachType)", a)) return env.Undefined();
  // A cgroup holds at most BPF_CGROUP_MAX_PROGS (64) programs per attach type.
  uint32_t ids[64];
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.query.target_fd = static_cast<uint32_t>(a[0]);
  attr.query.attach_type = static_cast<uint32_t>(a[1]);
  attr.query.prog_ids = reinterpret_cast<uintptr_t>(ids);
  attr.query.prog_cnt = 64;
  if (Bpf(BPF_PROG_QUERY, &attr) < 0) return ThrowErrno(env, errno, "bpf(BPF_PROG_QUERY)");
  Napi::Object out = Napi::Object::New(env);
  out.Set("attachFlags", Napi::Number::New(env, attr.query.attach_flags));
  uint32_t n = attr.query.prog_cnt < 64 ? attr.query.prog_cnt : 64;
  Napi::Array list = Napi::Array::New(env, n);
  for (uint32_t i = 0; i < n; i++) list.Set(i, Napi::Number::New(env, ids[i]));
  out.Set("progIds", list);
  return out;
}

}  // namespace bulkhead
