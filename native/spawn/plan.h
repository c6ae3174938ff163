// The plan a child executes between clone and execve. lib/spawn/plan.ts computes
// it and validates every field; ParsePlan only copies it into C++ memory that
// stays put while the child reads it (the child shares this memory).
#pragma once
#include <napi.h>
#include <stdint.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace bulkhead {

struct FsOp {
  enum Kind { kMount, kMkdir, kSetattr, kSymlink, kTouch, kUmount, kMknod, kBindEntries, kChdir, kWrite } kind = kMount;
  std::string source, target, fstype, data;  // write: data is what is written to target
  bool has_source = false, has_fstype = false, has_data = false;
  unsigned long flags = 0;     // mount(2) flags
  uint64_t attr_set = 0;       // mount_setattr(2) MOUNT_ATTR_*
  uint64_t attr_clr = 0;
  bool recursive = false;
  bool optional = false;       // a missing target (ENOENT) is not an error
  bool self_bind = false;      // bind the resolved target onto itself (source ignored)
  bool source_in_root = false; // resolve source inside root too (the container's own file)
  std::string root;            // when set, target is resolved inside it (openat2 RESOLVE_IN_ROOT)
  std::string parent, name;    // mkdir/touch inside root: the parent to resolve and the entry to create
  unsigned mode = 0755;
  uint64_t dev = 0;            // mknod: the device number (makedev)
  std::vector<std::string> names;  // bindEntries: entries of source bound onto the same names under target
  bool chown = false;          // mkdir: a directory made (not one already there) gets uid:gid
  uid_t uid = 0;
  gid_t gid = 0;
};

// One namespace to enter with setns(2): an fd of a namespace file
// (/proc/<pid>/ns/<x> or a bind mount of one) with its one CLONE_NEW* type, or
// a pidfd with a set of them, entered in one call (setns(2), Linux 5.8).
struct NsJoin {
  int fd;
  int nstype;
};

struct Rlimit {
  int resource;
  uint64_t soft, hard;
};

struct Plan {
  std::vector<std::string> files;  // execve candidates in order, as execvp(3) tries PATH
  std::vector<std::string> argv_store, env_store;
  std::vector<char*> argv, envp;  // NULL-terminated views into the stores
  uint64_t flags = 0;             // CLONE_NEW* bits
  int cgroup_fd = -1;             // CLONE_INTO_CGROUP
  std::string cgroup_procs;       // legacy clone: the parent writes the pid here
  int stdio[3] = {-1, -1, -1};
  std::vector<int> fds;           // become 3, 4, ... in the child
  std::vector<FsOp> ops;
  std::string rootfs;             // pivot_root target; empty: stay
  std::string hostname;
  bool set_hostname = false;
  bool set_ids = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  std::string cwd;
  std::string uid_map, gid_map;   // written by the parent for CLONE_NEWUSER
  bool lo_up = false;
  bool die_with_parent = true;
  bool no_new_privs = false;
  bool setsid = true;
  bool legacy_clone = false;
  bool set_caps = false;
  uint64_t cap_bounding = 0;      // capabilities kept in the bounding set
  uint64_t cap_effective = 0;     // the five sets as TS computed them (capabilities(7))
  uint64_t cap_permitted = 0;
  uint64_t cap_inheritable = 0;
  uint64_t cap_ambient = 0;       // raised one by one after capset (each must be permitted and inheritable)
  int cap_last = 40;              // /proc/sys/kernel/cap_last_cap
  std::vector<Rlimit> rlimits;
  std::vector<uint8_t> seccomp;   // struct sock_filter[], loaded last before execve
  bool tty = false;               // a pty from the container's own devpts as stdio
  unsigned short rows = 0, cols = 0;
  int netns_fd = -1;              // network: join this namespace (setns) instead of CLONE_NEWNET
  std::vector<NsJoin> joins;      // exec: entered by the child in order, first thing after the netns
  int join_pid_fd = -1;           // exec: a pid namespace (or pidfd) the cloning thread enters first
  bool dumpable = true;           // false: PR_SET_DUMPABLE 0 first, and the child gets its own memory
  // --- OCI create/start (lib/oci) ---
  int start_fifo_fd = -1;         // an O_PATH fd of a FIFO: block in open(O_WRONLY) before execve until a reader comes
  bool own_memory = false;        // no CLONE_VM: the child gets a copy of our memory (see spawn.cc)
  int umask = -1;                 // the program's umask(2); -1: keep the spawning process's
  unsigned long root_propagation = 0;  // MS_SHARED/MS_SLAVE/... (| MS_REC) for the new / after pivot_root; 0: leave it private
};

// Fills plan from a JS object; on a malformed field throws a JS TypeError and
// returns false.
bool ParsePlan(Napi::Env env, Napi::Object obj, Plan* plan);

// What the child reports when a step fails: [step][errno][index], 12 bytes.
// The one list of the child's steps: the enum below and the names the addon
// reports (err.step) and exports (childSteps, read by lib/spawn/steps.ts) are
// both made from it, so a step is added in one place. Order is the wire value.
#define BULKHEAD_CHILD_STEPS(X)                                                                       \
  X(Sync, "sync") X(Signals, "signals") X(Setsid, "setsid") X(Prctl, "prctl") X(Mount, "mount")       \
  X(Mkdir, "mkdir") X(Setattr, "mount_setattr") X(Symlink, "symlink") X(Touch, "open")                \
  X(PivotRoot, "pivot_root") X(Umount, "umount2") X(Chdir, "chdir") X(Sethostname, "sethostname")     \
  X(Setgroups, "setgroups") X(Setresgid, "setresgid") X(Setresuid, "setresuid") X(Dup, "dup")         \
  X(CloseRange, "close_range") X(Execve, "execve") X(LoUp, "lo_up") X(NoNewPrivs, "no_new_privs")     \
  X(Capbset, "capbset") X(Capset, "capset") X(Prlimit, "prlimit") X(Seccomp, "seccomp") X(Cwd, "cwd") \
  X(Openat2, "openat2") X(Tty, "tty") X(Mknod, "mknod") X(Unshare, "unshare") X(Setns, "setns") \
  X(Join, "join") X(JoinPid, "join_pid") X(StartWait, "start_wait") X(Chown, "fchownat") \
  X(Write, "write")

enum Step : int32_t {
#define BULKHEAD_STEP_ENUM(id, name) kStep##id,
  BULKHEAD_CHILD_STEPS(BULKHEAD_STEP_ENUM)
#undef BULKHEAD_STEP_ENUM
  kStepCount
};

struct ChildError {
  int32_t step;
  int32_t err;
  int32_t index;  // into plan.ops for fs steps, else -1
};

}  // namespace bulkhead
