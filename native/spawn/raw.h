// Raw system calls for the child between clone and execve. The child shares the
// parent's memory (CLONE_VM), so it must not touch errno or anything else the
// C library keeps in thread-local or global state: these return -errno.
#pragma once
#include <stdint.h>
#include <sys/syscall.h>

namespace bulkhead {

#if defined(__x86_64__)
#define BULKHEAD_RAW_SYSCALLS 1
inline long Raw(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long ret;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                   : "rcx", "r11", "memory");
  return ret;
}
#elif defined(__aarch64__)
#define BULKHEAD_RAW_SYSCALLS 1
inline long Raw(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
  return x0;
}
#else
#define BULKHEAD_RAW_SYSCALLS 0
#include <errno.h>
#include <unistd.h>
// Without an inline syscall the child runs in a copy of the address space (no
// CLONE_VM), where the C library's errno is the child's own.
inline long Raw(long n, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0) {
  long r = syscall(n, a, b, c, d, e, f);
  return r < 0 ? -errno : r;
}
#endif

// clone3 that runs fn(arg) on the given stack in the child and exits with its
// result; returns the child's pid (or -errno) in the parent. The child must run
// on its own stack when it shares the parent's memory.
long Clone3Run(void* args, unsigned long size, int (*fn)(void*), void* arg);

}  // namespace bulkhead
