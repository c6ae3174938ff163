// Bulkhead's default seccomp profile: the same policy as Docker's default
// (github.com/moby/profiles/seccomp default.json, v0.2.3 as vendored by moby in
// May 2026), restated in our own shape:
//
// - everything not listed fails with EPERM;
// - a large allow list of ordinary system calls;
// - personality() only with the values programs query or set harmlessly;
// - socket() for every family except AF_ALG (38) and AF_VSOCK (40);
// - namespace and mount machinery (mount, unshare, setns, clone with CLONE_NEW*
//   flags, ...) only with CAP_SYS_ADMIN; clone3 fails with ENOSYS without it, so
//   that libc falls back to clone, whose flags the filter can see;
// - each privileged group only with the capability that guards it in the kernel
//   (SYS_BOOT reboot, SYS_MODULE modules, SYS_TIME clocks, SYS_PTRACE ptrace, ...);
// - kexec_load, keyctl, add_key, request_key, userfaultfd, io_uring_*, and the
//   rest of what is not named, refused for everyone.
//
// Rules for other architectures (ppc64le, s390x, arm, riscv64) are kept as in
// Docker's profile; the compiler drops them on x86_64 and aarch64.
import { parseProfile, SeccompProfile, SeccompRuleInput } from './profile';

const words = (s: string) => s.trim().split(/\s+/);

const allow = (names: string, extra: Partial<SeccompRuleInput> = {}): SeccompRuleInput => ({
  names: words(names),
  action: 'SCMP_ACT_ALLOW',
  ...extra,
});

/** Allowed only when the container holds the capability (Docker's includes.caps). */
const withCap = (cap: string, names: string) => allow(names, { includes: { caps: [`CAP_${cap}`] } });
/** Allowed only on these architectures (Docker's names: amd64, arm64, ...). */
const onArches = (arches: string[], names: string) => allow(names, { includes: { arches } });

/** personality(2) values Docker lets through: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff. */
export const PERSONALITY_ALLOWED = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff] as const;

/** CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET = 0x7E020000. */
export const CLONE_NAMESPACE_FLAGS = 0x7e020000;

export const AF_ALG = 38;
export const AF_VSOCK = 40;

/** System calls every container may make, whatever its capabilities. */
const ALWAYS = `
  accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown chown32
  clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
  clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
  dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
  epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
  fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchmodat2 fchown fchown32 fchownat
  fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
  fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_requeue futex_time64
  futex_wait futex_waitv futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32
  geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp
  getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit
  get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday
  getuid getuid32 getxattr getxattrat inotify_add_watch inotify_init inotify_init1
  inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64
  ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule landlock_create_ruleset
  landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listmount listxattr
  listxattrat llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise
  map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock
  mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive
  mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap mseal msgctl msgget
  msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect
  open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free
  pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease
  pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv
  recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr removexattrat rename
  renameat renameat2 restart_syscall riscv_hwprobe rmdir rseq rt_sigaction rt_sigpending
  rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64
  rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max
  sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64
  sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select
  semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg
  sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer
  setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid
  setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid
  setuid32 setxattr setxattrat shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4
  sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 statmount statx
  symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete
  timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create
  timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate
  truncate64 ugetrlimit umask uname unlink unlinkat uretprobe utime utimensat utimensat_time64
  utimes vfork vmsplice wait4 waitid waitpid write writev
`;

/** What CAP_SYS_ADMIN unlocks: namespaces, mounts, host names, BPF, perf, quotas, syslog. */
const SYS_ADMIN = `
  bpf clone clone3 fanotify_init fsconfig fsmount fsopen fspick lookup_dcookie lsm_get_self_attr
  lsm_list_modules lsm_set_self_attr mount mount_setattr move_mount open_tree perf_event_open
  quotactl quotactl_fd setdomainname sethostname setns syslog umount umount2 unshare
`;

const rules: SeccompRuleInput[] = [
  allow(ALWAYS),
  // ptrace and cross-process memory access are safe to allow since 4.8, where
  // ptrace can no longer be used to bypass seccomp.
  allow('process_vm_readv process_vm_writev ptrace', { includes: { minKernel: '4.8' } }),
  // socket(): any family but AF_ALG (38) and AF_VSOCK (40).
  allow('socket', { args: [{ index: 0, value: AF_ALG, op: 'SCMP_CMP_LT' }] }),
  allow('socket', { args: [{ index: 0, value: 39, op: 'SCMP_CMP_EQ' }] }),
  allow('socket', { args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_GT' }] }),
  ...PERSONALITY_ALLOWED.map((value) => allow('personality', { args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] })),
  onArches(['ppc64le'], 'sync_file_range2 swapcontext'),
  onArches(['arm', 'arm64'], 'arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls'),
  onArches(['amd64', 'x32'], 'arch_prctl'),
  onArches(['amd64', 'x32', 'x86'], 'modify_ldt'),
  onArches(['s390', 's390x'], 's390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr'),
  onArches(['riscv64'], 'riscv_flush_icache'),
  withCap('DAC_READ_SEARCH', 'open_by_handle_at'),
  withCap('SYS_ADMIN', SYS_ADMIN),
  // Without CAP_SYS_ADMIN: clone only without namespace flags (on s390 the flags
  // are the second argument), and clone3, whose flags sit in memory the filter
  // cannot read, fails with ENOSYS so that libc falls back to clone.
  allow('clone', {
    args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
    excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] },
  }),
  allow('clone', {
    args: [{ index: 1, value: CLONE_NAMESPACE_FLAGS, op: 'SCMP_CMP_MASKED_EQ' }],
    includes: { arches: ['s390', 's390x'] },
    excludes: { caps: ['CAP_SYS_ADMIN'] },
  }),
  { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { caps: ['CAP_SYS_ADMIN'] } },
  withCap('SYS_BOOT', 'reboot'),
  withCap('SYS_CHROOT', 'chroot'),
  withCap('SYS_MODULE', 'delete_module init_module finit_module'),
  withCap('SYS_PACCT', 'acct'),
  withCap('SYS_PTRACE', 'kcmp pidfd_getfd process_madvise process_vm_readv process_vm_writev ptrace'),
  withCap('SYS_RAWIO', 'iopl ioperm'),
  withCap('SYS_TIME', 'settimeofday stime clock_settime clock_settime64'),
  withCap('SYS_TTY_CONFIG', 'vhangup'),
  withCap('SYS_NICE', 'get_mempolicy mbind set_mempolicy set_mempolicy_home_node'),
  withCap('SYSLOG', 'syslog'),
  withCap('BPF', 'bpf'),
  withCap('PERFMON', 'perf_event_open'),
];

/** Docker's default policy, parsed and frozen (compileCached keys on this object). */
export const DEFAULT_PROFILE: SeccompProfile = parseProfile({
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 1,
  // No archMap: Docker's adds the 32-bit sub-architectures (x86 and x32 beside
  // x86_64, arm beside aarch64); Bulkhead's filter admits only the native ABI
  // and kills a process that enters the kernel through another.
  syscalls: rules,
});
