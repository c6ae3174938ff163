#include "raw.h"

namespace bulkhead {

#if defined(__x86_64__)
// rdi=args rsi=size rdx=fn rcx=arg. syscall clobbers only rcx and r11, so fn and
// arg are parked in r8/r9, which the child inherits. clone3(2) starts the child
// with rsp = stack + stack_size; the caller keeps that 16-byte aligned.
__asm__(
    ".text\n"
    ".globl bulkhead_clone3_run\n"
    ".type bulkhead_clone3_run,@function\n"
    "bulkhead_clone3_run:\n"
    "  mov %rdx, %r8\n"
    "  mov %rcx, %r9\n"
    "  mov $435, %eax\n"
    "  syscall\n"
    "  test %rax, %rax\n"
    "  jnz 1f\n"
    "  xor %ebp, %ebp\n"
    "  mov %r9, %rdi\n"
    "  call *%r8\n"
    "  mov %eax, %edi\n"
    "  mov $60, %eax\n"
    "  syscall\n"
    "  hlt\n"
    "1: ret\n"
    ".size bulkhead_clone3_run, .-bulkhead_clone3_run\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl bulkhead_clone3_run\n"
    ".type bulkhead_clone3_run,%function\n"
    "bulkhead_clone3_run:\n"
    "  mov x10, x2\n"
    "  mov x11, x3\n"
    "  mov x8, #435\n"
    "  svc 0\n"
    "  cbnz x0, 1f\n"
    "  mov x29, xzr\n"
    "  mov x0, x11\n"
    "  blr x10\n"
    "  mov x8, #93\n"
    "  svc 0\n"
    "1: ret\n"
    ".size bulkhead_clone3_run, .-bulkhead_clone3_run\n");
#endif

#if BULKHEAD_RAW_SYSCALLS
extern "C" long bulkhead_clone3_run(void* args, unsigned long size, int (*fn)(void*), void* arg);
long Clone3Run(void* args, unsigned long size, int (*fn)(void*), void* arg) {
  return bulkhead_clone3_run(args, size, fn, arg);
}
#else
long Clone3Run(void* args, unsigned long size, int (*fn)(void*), void* arg) {
  long pid = Raw(SYS_clone3, reinterpret_cast<long>(args), static_cast<long>(size));
  if (pid == 0) Raw(SYS_exit, fn(arg));
  return pid;
}
#endif

}  // namespace bulkhead
