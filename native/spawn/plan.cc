#include "plan.h"

#include <math.h>

namespace bulkhead {
namespace {

bool Fail(Napi::Env env, const std::string& field, const char* want) {
  Napi::TypeError::New(env, "native plan: " + field + " must be " + want).ThrowAsJavaScriptException();
  return false;
}

bool Str(Napi::Env env, Napi::Object o, const char* key, std::string* out, bool* present = nullptr) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (present) *present = false;
    return true;
  }
  if (!v.IsString()) return Fail(env, key, "a string");
  *out = v.As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) return Fail(env, key, "free of NUL bytes");
  if (present) *present = true;
  return true;
}

bool Num(Napi::Env env, Napi::Object o, const char* key, double* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsNumber()) return Fail(env, key, "a number");
  *out = v.As<Napi::Number>().DoubleValue();
  return true;
}

bool Bool(Napi::Env env, Napi::Object o, const char* key, bool* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsBoolean()) return Fail(env, key, "a boolean");
  *out = v.As<Napi::Boolean>().Value();
  return true;
}

bool StrList(Napi::Env env, Napi::Object o, const char* key, std::vector<std::string>* out) {
  Napi::Value v = o.Get(key);
  if (!v.IsArray()) return Fail(env, key, "an array of strings");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsString()) return Fail(env, key, "an array of strings");
    out->push_back(e.As<Napi::String>().Utf8Value());
  }
  return true;
}

bool IntList(Napi::Env env, Napi::Object o, const char* key, std::vector<int>* out) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsArray()) return Fail(env, key, "an array of numbers");
  Napi::Array a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); i++) {
    Napi::Value e = a.Get(i);
    if (!e.IsNumber()) return Fail(env, key, "an array of numbers");
    out->push_back(e.As<Napi::Number>().Int32Value());
  }
  return true;
}

bool ParseOp(Napi::Env env, Napi::Value v, FsOp* op) {
  if (!v.IsObject()) return Fail(env, "ops[]", "objects");
  Napi::Object o = v.As<Napi::Object>();
  std::string kind;
  if (!Str(env, o, "op", &kind)) return false;
  if (kind == "mount") op->kind = FsOp::kMount;
  else if (kind == "mkdir") op->kind = FsOp::kMkdir;
  else if (kind == "setattr") op->kind = FsOp::kSetattr;
  else if (kind == "symlink") op->kind = FsOp::kSymlink;
  else if (kind == "touch") op->kind = FsOp::kTouch;
  else if (kind == "umount") op->kind = FsOp::kUmount;
  else if (kind == "mknod") op->kind = FsOp::kMknod;
  else if (kind == "bindEntries") op->kind = FsOp::kBindEntries;
  else if (kind == "chdir") op->kind = FsOp::kChdir;
  else if (kind == "write") op->kind = FsOp::kWrite;
  else return Fail(env, "ops[].op", "mount, mkdir, setattr, symlink, touch, umount, mknod, bindEntries, chdir or write");
  if (op->kind == FsOp::kBindEntries) {
    if (!StrList(env, o, "names", &op->names)) return false;
    for (const std::string& n : op->names) {
      if (n.empty() || n.find('/') != std::string::npos || n == "." || n == "..") return Fail(env, "ops[].names[]", "single path components");
    }
  }
  double flags = 0, set = 0, clr = 0, mode = 0755, dev = 0;
  if (!Str(env, o, "source", &op->source, &op->has_source) || !Str(env, o, "target", &op->target) ||
      !Str(env, o, "fstype", &op->fstype, &op->has_fstype) || !Str(env, o, "data", &op->data, &op->has_data) ||
      !Num(env, o, "flags", &flags) || !Num(env, o, "attrSet", &set) || !Num(env, o, "attrClr", &clr) ||
      !Num(env, o, "mode", &mode) || !Num(env, o, "dev", &dev) || !Bool(env, o, "recursive", &op->recursive) ||
      !Bool(env, o, "optional", &op->optional) || !Bool(env, o, "selfBind", &op->self_bind) || !Bool(env, o, "sourceInRoot", &op->source_in_root) || !Str(env, o, "root", &op->root) ||
      !Str(env, o, "parent", &op->parent) || !Str(env, o, "name", &op->name)) {
    return false;
  }
  double uid = -1, gid = -1;
  if (!Num(env, o, "uid", &uid) || !Num(env, o, "gid", &gid)) return false;
  if (uid >= 0 && gid >= 0) {
    op->chown = true;
    op->uid = static_cast<uid_t>(uid);
    op->gid = static_cast<gid_t>(gid);
  }
  op->flags = static_cast<unsigned long>(flags);
  op->attr_set = static_cast<uint64_t>(set);
  op->attr_clr = static_cast<uint64_t>(clr);
  op->mode = static_cast<unsigned>(mode);
  op->dev = static_cast<uint64_t>(dev);
  return true;
}

}  // namespace

bool ParsePlan(Napi::Env env, Napi::Object o, Plan* p) {
  double flags = 0, cgroup_fd = -1, uid = -1, gid = -1;
  bool has_root = false, has_host = false, has_cwd = false, has_um = false, has_gm = false, has_procs = false;
  if (!StrList(env, o, "files", &p->files) || !StrList(env, o, "argv", &p->argv_store) ||
      !StrList(env, o, "env", &p->env_store) || !Num(env, o, "flags", &flags) ||
      !Num(env, o, "cgroupFd", &cgroup_fd) || !Str(env, o, "cgroupProcs", &p->cgroup_procs, &has_procs) ||
      !IntList(env, o, "fds", &p->fds) || !Str(env, o, "rootfs", &p->rootfs, &has_root) ||
      !Str(env, o, "hostname", &p->hostname, &has_host) || !Num(env, o, "uid", &uid) ||
      !Num(env, o, "gid", &gid) || !Str(env, o, "cwd", &p->cwd, &has_cwd) ||
      !Str(env, o, "uidMap", &p->uid_map, &has_um) || !Str(env, o, "gidMap", &p->gid_map, &has_gm) ||
      !Bool(env, o, "loUp", &p->lo_up) || !Bool(env, o, "dieWithParent", &p->die_with_parent) ||
      !Bool(env, o, "noNewPrivs", &p->no_new_privs) || !Bool(env, o, "setsid", &p->setsid) ||
      !Bool(env, o, "legacyClone", &p->legacy_clone)) {
    return false;
  }
  if (p->files.empty()) return Fail(env, "files", "a non-empty array");
  std::vector<int> stdio;
  if (!IntList(env, o, "stdio", &stdio)) return false;
  if (stdio.size() != 3) return Fail(env, "stdio", "three fds");
  for (int i = 0; i < 3; i++) p->stdio[i] = stdio[i];
  std::vector<int> groups;
  if (!IntList(env, o, "groups", &groups)) return false;
  for (int g : groups) p->groups.push_back(static_cast<gid_t>(g));
  p->flags = static_cast<uint64_t>(flags);
  p->cgroup_fd = static_cast<int>(cgroup_fd);
  // network: a prepared namespace to join (lib/network); -1 when none.
  double netns_fd = -1;
  if (!Num(env, o, "netnsFd", &netns_fd)) return false;
  p->netns_fd = static_cast<int>(netns_fd);
  // exec: namespaces to enter (lib/spawn/plan.ts orders them), and the pid one.
  Napi::Value joins = o.Get("joins");
  if (!joins.IsUndefined() && !joins.IsNull()) {
    if (!joins.IsArray()) return Fail(env, "joins", "an array of { fd, nstype }");
    Napi::Array a = joins.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsObject()) return Fail(env, "joins[]", "objects { fd, nstype }");
      double fd = -1, nstype = 0;
      if (!Num(env, e.As<Napi::Object>(), "fd", &fd) || !Num(env, e.As<Napi::Object>(), "nstype", &nstype)) return false;
      if (fd < 0) return Fail(env, "joins[].fd", "an fd");
      p->joins.push_back({static_cast<int>(fd), static_cast<int>(nstype)});
    }
  }
  if (!Bool(env, o, "dumpable", &p->dumpable)) return false;
  double join_pid = -1;
  if (!Num(env, o, "joinPidFd", &join_pid)) return false;
  p->join_pid_fd = static_cast<int>(join_pid);
  // --- OCI create/start: the FIFO the child waits on before execve; -1 when none.
  double start_fifo_fd = -1;
  if (!Num(env, o, "startFifoFd", &start_fifo_fd)) return false;
  p->start_fifo_fd = static_cast<int>(start_fifo_fd);
  double umask = -1, root_propagation = 0;
  if (!Num(env, o, "umask", &umask) || !Num(env, o, "rootPropagation", &root_propagation) || !Bool(env, o, "ownMemory", &p->own_memory)) return false;
  if (umask > 0777) return Fail(env, "umask", "-1 or a mode from 0 to 0777");
  p->umask = static_cast<int>(umask);
  p->root_propagation = static_cast<unsigned long>(root_propagation);
  p->set_hostname = has_host;
  if (uid >= 0 && gid >= 0) {
    p->set_ids = true;
    p->uid = static_cast<uid_t>(uid);
    p->gid = static_cast<gid_t>(gid);
  }
  Napi::Value caps = o.Get("caps");
  if (caps.IsObject()) {
    Napi::Object c = caps.As<Napi::Object>();
    std::vector<int> bounding, effective, permitted, inheritable, ambient;
    double last = 40;
    if (!IntList(env, c, "bounding", &bounding) || !IntList(env, c, "effective", &effective) ||
        !IntList(env, c, "permitted", &permitted) || !IntList(env, c, "inheritable", &inheritable) ||
        !IntList(env, c, "ambient", &ambient) || !Num(env, c, "last", &last)) {
      return false;
    }
    auto bits = [](const std::vector<int>& v) {
      uint64_t m = 0;
      for (int b : v) if (b >= 0 && b < 64) m |= 1ULL << b;
      return m;
    };
    p->cap_bounding = bits(bounding);
    p->cap_effective = bits(effective);
    p->cap_permitted = bits(permitted);
    p->cap_inheritable = bits(inheritable);
    p->cap_ambient = bits(ambient);
    p->cap_last = static_cast<int>(last);
    p->set_caps = true;
  }
  Napi::Value rl = o.Get("rlimits");
  if (rl.IsArray()) {
    Napi::Array a = rl.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++) {
      Napi::Value e = a.Get(i);
      if (!e.IsObject()) return Fail(env, "rlimits[]", "objects");
      double res = -1, soft = 0, hard = 0;
      Napi::Object r = e.As<Napi::Object>();
      if (!Num(env, r, "resource", &res) || !Num(env, r, "soft", &soft) || !Num(env, r, "hard", &hard)) return false;
      // Infinity stands for RLIM_INFINITY (getrlimit(2)).
      auto lim = [](double v) { return v == INFINITY ? ~0ULL : static_cast<uint64_t>(v); };
      p->rlimits.push_back({static_cast<int>(res), lim(soft), lim(hard)});
    }
  }
  double rows = 0, cols = 0;
  if (!Bool(env, o, "tty", &p->tty) || !Num(env, o, "rows", &rows) || !Num(env, o, "cols", &cols)) return false;
  p->rows = static_cast<unsigned short>(rows);
  p->cols = static_cast<unsigned short>(cols);
  Napi::Value sc = o.Get("seccomp");
  if (sc.IsBuffer()) {
    Napi::Buffer<uint8_t> b = sc.As<Napi::Buffer<uint8_t>>();
    if (b.Length() == 0 || b.Length() % 8 != 0) return Fail(env, "seccomp", "a buffer of 8-byte sock_filter instructions");
    p->seccomp.assign(b.Data(), b.Data() + b.Length());
  } else if (!sc.IsUndefined() && !sc.IsNull()) {
    return Fail(env, "seccomp", "a Buffer");
  }
  Napi::Value ops = o.Get("ops");
  if (!ops.IsUndefined() && !ops.IsNull()) {
    if (!ops.IsArray()) return Fail(env, "ops", "an array");
    Napi::Array a = ops.As<Napi::Array>();
    p->ops.resize(a.Length());
    for (uint32_t i = 0; i < a.Length(); i++) {
      if (!ParseOp(env, a.Get(i), &p->ops[i])) return false;
    }
  }
  for (auto& s : p->argv_store) p->argv.push_back(const_cast<char*>(s.c_str()));
  p->argv.push_back(nullptr);
  for (auto& s : p->env_store) p->envp.push_back(const_cast<char*>(s.c_str()));
  p->envp.push_back(nullptr);
  return true;
}

}  // namespace bulkhead
