/*
 * LD_PRELOAD shim for linux.uml (Debian's 6.1 User-Mode Linux) on hosts whose
 * CPUs have large XSAVE areas (AMX: 8 KiB of tile data).
 *
 * UML saves and restores its guests' FPU state with ptrace(PTRACE_GETREGSET /
 * PTRACE_SETREGSET, NT_X86_XSTATE) using a buffer sized for the features it
 * knows (2696 bytes: x87 through AVX-512). Since Linux 5.x the host's
 * xstateregs_set() refuses a SETREGSET whose length is not the whole standard
 * format XSAVE size (fpu_user_cfg.max_size, 11008 bytes with AMX) with EFAULT, so
 * the guest's init dies at its first context switch ("ptrace set fp regs failed,
 * errno = 14"). Here both requests go through a buffer of the host's full size:
 * a GET copies UML's prefix out of it, a SET reads the thread's current state,
 * overlays UML's prefix and writes the whole buffer back. The components past
 * UML's prefix (AMX) are ones no guest program enables, so nothing is lost.
 *
 * Built by test/vm/boot.ts with the system C compiler; nothing else uses it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static __thread unsigned char full[65536] __attribute__((aligned(64)));

long ptrace(enum __ptrace_request req, ...) {
  va_list ap;
  va_start(ap, req);
  pid_t pid = va_arg(ap, pid_t);
  void *addr = va_arg(ap, void *);
  void *data = va_arg(ap, void *);
  va_end(ap);
  if ((req == PTRACE_GETREGSET || req == PTRACE_SETREGSET) && (long)addr == NT_X86_XSTATE) {
    struct iovec *iov = data;
    struct iovec host = {full, sizeof full};
    if (syscall(SYS_ptrace, PTRACE_GETREGSET, pid, NT_X86_XSTATE, &host) < 0) return -1;
    size_t n = iov->iov_len < host.iov_len ? iov->iov_len : host.iov_len;
    if (req == PTRACE_GETREGSET) {
      memcpy(iov->iov_base, full, n);
      iov->iov_len = n;
      return 0;
    }
    memcpy(full, iov->iov_base, n);
    return syscall(SYS_ptrace, PTRACE_SETREGSET, pid, NT_X86_XSTATE, &host);
  }
  long (*real)(enum __ptrace_request, pid_t, void *, void *) = dlsym(RTLD_NEXT, "ptrace");
  return real(req, pid, addr, data);
}
