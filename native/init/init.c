/*
 * bulkhead-init: pid 1 for `init: true` containers, like `docker run --init`.
 * It starts the program, forwards every signal it receives to it, reaps every
 * orphan that the kernel reparents to it, and exits with the program's status
 * (128 + N for a signal). Built freestanding (no C library: the container's root
 * may have none) on the raw system calls of native/spawn/raw.h.
 *
 * usage: /dev/init -- PROGRAM [ARG...]   (PROGRAM without a slash searches $PATH)
 */
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>

#if defined(__x86_64__)
static long raw(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
static long raw(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
#else
#error "bulkhead-init supports x86_64 and aarch64"
#endif

#define WNOHANG 1
#define ENOENT 2
#define EINTR 4
#define EACCES 13
#define ENOTDIR 20
#define ECHILD 10

static void say(const char *s) {
  long n = 0;
  while (s[n]) n++;
  raw(SYS_write, 2, (long)s, n, 0);
}

static void die(const char *msg, int code) {
  say("bulkhead-init: ");
  say(msg);
  say("\n");
  raw(SYS_exit_group, code, 0, 0, 0);
}

/* execvp(3)'s search, into a stack buffer. */
static long exec_search(char *file, char **argv, char **envp) {
  int slash = 0;
  for (char *p = file; *p; p++) slash |= *p == '/';
  if (slash) return raw(SYS_execve, (long)file, (long)argv, (long)envp, 0);
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (char **e = envp; *e; e++) {
    const char *v = *e;
    if (v[0] == 'P' && v[1] == 'A' && v[2] == 'T' && v[3] == 'H' && v[4] == '=') path = v + 5;
  }
  char buf[4096];
  long err = -ENOENT, denied = 0;
  while (*path) {
    long n = 0;
    while (path[n] && path[n] != ':') n++;
    long f = 0;
    while (file[f]) f++;
    if (n > 0 && n + f + 2 < (long)sizeof buf) {
      for (long i = 0; i < n; i++) buf[i] = path[i];
      buf[n] = '/';
      for (long i = 0; i <= f; i++) buf[n + 1 + i] = file[i];
      err = raw(SYS_execve, (long)buf, (long)argv, (long)envp, 0);
      if (err == -EACCES) denied = 1;
      else if (err != -ENOENT && err != -ENOTDIR) return err;
    }
    path += n;
    if (*path == ':') path++;
  }
  return denied ? -EACCES : err;
}

struct kernel_sigset { uint64_t bits; };

__attribute__((noreturn)) static void run(long argc, char **argv, char **envp) {
  if (argc < 3 || argv[1][0] != '-' || argv[1][1] != '-' || argv[1][2] != 0) die("usage: init -- PROGRAM [ARG...]", 125);
  uint64_t all = ~0ULL;
  /* Every signal waits in the queue for sigtimedwait below; none interrupts us. */
  raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8);
  long child = raw(SYS_clone, SIGCHLD, 0, 0, 0);
  if (child < 0) die("fork failed", 125);
  if (child == 0) {
    uint64_t none = 0;
    raw(SYS_rt_sigprocmask, SIG_SETMASK, (long)&none, 0, 8);
    long err = exec_search(argv[2], argv + 2, envp);
    raw(SYS_exit_group, err == -ENOENT ? 127 : 126, 0, 0, 0);
  }
  for (;;) {
    struct { int signo, errno_, code, pad[29]; } info;
    long sig = raw(SYS_rt_sigtimedwait, (long)&all, (long)&info, 0, 8);
    if (sig < 0) {
      if (sig == -EINTR) continue;
      die("sigtimedwait failed", 125);
    }
    if (sig != SIGCHLD) {
      raw(SYS_kill, child, sig, 0, 0);
      continue;
    }
    for (;;) {
      int status = 0;
      long pid = raw(SYS_wait4, -1, (long)&status, WNOHANG, 0);
      if (pid <= 0) break;
      if (pid == child) {
        /* Reap what is left so that nothing outlives us as a zombie. */
        while (raw(SYS_wait4, -1, (long)&status + 0, WNOHANG, 0) > 0) {}
        int code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
        raw(SYS_exit_group, code, 0, 0, 0);
      }
    }
  }
}

/* The entry point: the kernel leaves argc, argv and envp on the stack. */
__attribute__((used)) static void start_c(long *sp) {
  long argc = sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  run(argc, argv, envp);
}

#if defined(__x86_64__)
__asm__(".text\n.global _start\n_start:\n  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call start_c\n  hlt\n");
#else
__asm__(".text\n.global _start\n_start:\n  mov x29, xzr\n  mov x0, sp\n  bl start_c\n");
#endif
