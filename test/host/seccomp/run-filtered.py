#!/usr/bin/env python3
# Loads a compiled seccomp program into this process, with nothing of Bulkhead's
# addon involved, then does one thing under it:
#
#   run-filtered.py PROGRAM.bin exec CMD [ARG...]   execvp the command
#   run-filtered.py PROGRAM.bin probe SPEC.json     make raw system calls, print JSON results
#   run-filtered.py PROGRAM.bin int80               getpid through int 0x80 (the i386 ABI)
#   run-filtered.py PROGRAM.bin x32                 getpid through the x32 ABI
#
# SPEC.json: [{"name": str, "nr": int, "args": [int | str | {"buf": size}]}]; strings
# become NUL-terminated char*, {"buf": n} a zeroed buffer of n bytes. Each result
# is {"name", "ret", "errno"}. Probes are chosen to be harmless even without a filter.
import ctypes
import json
import mmap
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.prctl.restype = ctypes.c_int

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SYS_SECCOMP = {'x86_64': 317, 'aarch64': 277}[os.uname().machine]


class SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]


def die(msg):
    sys.stderr.write(f'run-filtered: {msg}\n')
    sys.exit(125)


def load(path):
    prog = open(path, 'rb').read()
    if len(prog) == 0 or len(prog) % 8:
        die(f'{path}: {len(prog)} bytes is not a sock_filter array')
    buf = ctypes.create_string_buffer(prog, len(prog))
    fprog = SockFprog(len(prog) // 8, ctypes.cast(buf, ctypes.c_void_p))
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        die(f'prctl(PR_SET_NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}')
    if libc.syscall(ctypes.c_long(SYS_SECCOMP), ctypes.c_long(SECCOMP_SET_MODE_FILTER), ctypes.c_long(0), ctypes.byref(fprog)) != 0:
        die(f'seccomp(SECCOMP_SET_MODE_FILTER): {os.strerror(ctypes.get_errno())}')
    with open('/proc/self/status') as f:
        if 'Seccomp:\t2' not in f.read():
            die('the filter is not in force after loading it')
    return buf  # keep it alive


def arg(a, keep):
    if isinstance(a, str):
        s = ctypes.create_string_buffer(a.encode())
        keep.append(s)
        return ctypes.cast(s, ctypes.c_void_p)
    if isinstance(a, dict):
        b = ctypes.create_string_buffer(a['buf'])
        keep.append(b)
        return ctypes.cast(b, ctypes.c_void_p)
    if a is None:
        return ctypes.c_void_p(0)
    return ctypes.c_long(a) if a < 0 else ctypes.c_ulong(a)


def machine_code(code):
    """A function made of raw x86_64 machine code, returning rax."""
    mem = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    mem.write(code)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    fn = ctypes.CFUNCTYPE(ctypes.c_long)(addr)
    fn._mem = mem
    return fn


def main():
    if len(sys.argv) < 3:
        die('usage: run-filtered.py PROGRAM.bin exec|probe|int80|x32 ...')
    prog_path, mode, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == 'probe':
        spec = json.load(open(rest[0]))
        _keep = load(prog_path)
        out = []
        for p in spec:
            keep = []
            args = [arg(a, keep) for a in p.get('args', [])]
            ctypes.set_errno(0)
            ret = libc.syscall(ctypes.c_long(p['nr']), *args)
            out.append({'name': p['name'], 'ret': ret, 'errno': ctypes.get_errno() if ret == -1 else 0})
        sys.stdout.write(json.dumps(out))
        sys.stdout.flush()
    elif mode == 'exec':
        _keep = load(prog_path)
        os.execvp(rest[0], rest)
    elif mode == 'int80':
        fn = machine_code(b'\xb8\x14\x00\x00\x00\xcd\x80\xc3')  # mov eax, 20 (getpid); int 0x80; ret
        _keep = load(prog_path)
        print(fn())
    elif mode == 'x32':
        fn = machine_code(b'\xb8\x27\x00\x00\x40\x0f\x05\xc3')  # mov eax, 0x40000027 (x32 getpid); syscall; ret
        _keep = load(prog_path)
        print(fn())
    else:
        die(f'unknown mode {mode}')


main()
