#include "errors.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <string>

namespace bulkhead {

const char* ErrnoName(int err) {
  // A table instead of strerrorname_np (glibc 2.32), so that the addon loads on
  // glibc 2.28 (RHEL 8, Debian 10). Names as errno(3) and <asm-generic/errno.h>
  // spell them; aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) share a value with the
  // name given here.
  switch (err) {
#define NAME(e) \
  case e:       \
    return #e;
    NAME(EPERM) NAME(ENOENT) NAME(ESRCH) NAME(EINTR)
    NAME(EIO) NAME(ENXIO) NAME(E2BIG) NAME(ENOEXEC)
    NAME(EBADF) NAME(ECHILD) NAME(EAGAIN) NAME(ENOMEM)
    NAME(EACCES) NAME(EFAULT) NAME(ENOTBLK) NAME(EBUSY)
    NAME(EEXIST) NAME(EXDEV) NAME(ENODEV) NAME(ENOTDIR)
    NAME(EISDIR) NAME(EINVAL) NAME(ENFILE) NAME(EMFILE)
    NAME(ENOTTY) NAME(ETXTBSY) NAME(EFBIG) NAME(ENOSPC)
    NAME(ESPIPE) NAME(EROFS) NAME(EMLINK) NAME(EPIPE)
    NAME(EDOM) NAME(ERANGE) NAME(EDEADLK) NAME(ENAMETOOLONG)
    NAME(ENOLCK) NAME(ENOSYS) NAME(ENOTEMPTY) NAME(ELOOP)
    NAME(ENOMSG) NAME(EIDRM) NAME(ECHRNG) NAME(EL2NSYNC)
    NAME(EL3HLT) NAME(EL3RST) NAME(ELNRNG) NAME(EUNATCH)
    NAME(ENOCSI) NAME(EL2HLT) NAME(EBADE) NAME(EBADR)
    NAME(EXFULL) NAME(ENOANO) NAME(EBADRQC) NAME(EBADSLT)
    NAME(EBFONT) NAME(ENOSTR) NAME(ENODATA) NAME(ETIME)
    NAME(ENOSR) NAME(ENONET) NAME(ENOPKG) NAME(EREMOTE)
    NAME(ENOLINK) NAME(EADV) NAME(ESRMNT) NAME(ECOMM)
    NAME(EPROTO) NAME(EMULTIHOP) NAME(EDOTDOT) NAME(EBADMSG)
    NAME(EOVERFLOW) NAME(ENOTUNIQ) NAME(EBADFD) NAME(EREMCHG)
    NAME(ELIBACC) NAME(ELIBBAD) NAME(ELIBSCN) NAME(ELIBMAX)
    NAME(ELIBEXEC) NAME(EILSEQ) NAME(ERESTART) NAME(ESTRPIPE)
    NAME(EUSERS) NAME(ENOTSOCK) NAME(EDESTADDRREQ) NAME(EMSGSIZE)
    NAME(EPROTOTYPE) NAME(ENOPROTOOPT) NAME(EPROTONOSUPPORT) NAME(ESOCKTNOSUPPORT)
    NAME(EOPNOTSUPP) NAME(EPFNOSUPPORT) NAME(EAFNOSUPPORT) NAME(EADDRINUSE)
    NAME(EADDRNOTAVAIL) NAME(ENETDOWN) NAME(ENETUNREACH) NAME(ENETRESET)
    NAME(ECONNABORTED) NAME(ECONNRESET) NAME(ENOBUFS) NAME(EISCONN)
    NAME(ENOTCONN) NAME(ESHUTDOWN) NAME(ETOOMANYREFS) NAME(ETIMEDOUT)
    NAME(ECONNREFUSED) NAME(EHOSTDOWN) NAME(EHOSTUNREACH) NAME(EALREADY)
    NAME(EINPROGRESS) NAME(ESTALE) NAME(EUCLEAN) NAME(ENOTNAM)
    NAME(ENAVAIL) NAME(EISNAM) NAME(EREMOTEIO) NAME(EDQUOT)
    NAME(ENOMEDIUM) NAME(EMEDIUMTYPE) NAME(ECANCELED) NAME(ENOKEY)
    NAME(EKEYEXPIRED) NAME(EKEYREVOKED) NAME(EKEYREJECTED) NAME(EOWNERDEAD)
    NAME(ENOTRECOVERABLE) NAME(ERFKILL) NAME(EHWPOISON)
#undef NAME
    default:
      return "EUNKNOWN";
  }
}

const char* SignalName(int sig) {
  // Instead of sigabbrev_np (glibc 2.32), for the same reason; signal(7).
  switch (sig) {
#define NAME(s) \
  case s:       \
    return #s;
    NAME(SIGHUP) NAME(SIGINT) NAME(SIGQUIT) NAME(SIGILL)
    NAME(SIGTRAP) NAME(SIGABRT) NAME(SIGBUS) NAME(SIGFPE)
    NAME(SIGKILL) NAME(SIGUSR1) NAME(SIGSEGV) NAME(SIGUSR2)
    NAME(SIGPIPE) NAME(SIGALRM) NAME(SIGTERM) NAME(SIGSTKFLT)
    NAME(SIGCHLD) NAME(SIGCONT) NAME(SIGSTOP) NAME(SIGTSTP)
    NAME(SIGTTIN) NAME(SIGTTOU) NAME(SIGURG) NAME(SIGXCPU)
    NAME(SIGXFSZ) NAME(SIGVTALRM) NAME(SIGPROF) NAME(SIGWINCH)
    NAME(SIGIO) NAME(SIGPWR) NAME(SIGSYS)
#undef NAME
    default:
      return nullptr;
  }
}

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const char* path) {
  std::string msg = std::string(ErrnoName(err)) + ": " + strerror(err) + ", " + syscall;
  if (path != nullptr) msg += std::string(" '") + path + "'";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("code", Napi::String::New(env, ErrnoName(err)));
  e.Set("syscall", Napi::String::New(env, syscall));
  if (path != nullptr) e.Set("path", Napi::String::New(env, path));
  return e;
}

Napi::Value ThrowErrno(Napi::Env env, int err, const char* syscall, const char* path) {
  ErrnoError(env, err, syscall, path).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace bulkhead
