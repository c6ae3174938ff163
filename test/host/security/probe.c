/*
 * Escape probes run inside a container by escape.test.ts: each subcommand tries
 * one thing a container must not do and prints "ok" or the errno name.
 * Built static at test time (the busybox rootfs has no C library).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report(long r) {
  if (r < 0) printf("%s\n", strerrorname_np(errno));
  else printf("ok\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const char *c = argv[1];
  if (!strcmp(c, "euid")) return printf("%d\n", geteuid()), 0;
  if (!strcmp(c, "mount")) return report(mount("none", "/mnt", "tmpfs", 0, NULL));
  if (!strcmp(c, "unshare-user")) return report(unshare(CLONE_NEWUSER));
  if (!strcmp(c, "unshare-mount")) return report(unshare(CLONE_NEWNS));
  if (!strcmp(c, "keyctl")) return report(syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "escape"));
  if (!strcmp(c, "add_key")) return report(syscall(SYS_add_key, "user", "k", "v", 1, -3 /* KEY_SPEC_SESSION_KEYRING */));
  if (!strcmp(c, "finit_module")) {
    int fd = open("/bin/probe", O_RDONLY);
    return report(syscall(SYS_finit_module, fd, "", 0));
  }
  if (!strcmp(c, "settime")) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return report(clock_settime(CLOCK_REALTIME, &ts));
  }
  if (!strcmp(c, "ptrace") && argc > 2) return report(ptrace(PTRACE_ATTACH, atoi(argv[2]), 0, 0));
  if (!strcmp(c, "ptrace-exec-race") && argc > 2) {
    /* For argv[2] seconds, PTRACE_SEIZE each of the next pids of this pid
     * namespace as they appear (an exec from outside joins it), which works
     * only on a dumpable process (or with CAP_SYS_PTRACE over its memory): prints
     * "caught" once it stops one that has not called execve yet (its cmdline
     * is still the spawning node's), else "none <attached after exec>". */
    time_t end = time(NULL) + atoi(argv[2]);
    pid_t next = getpid() + 1;
    int after = 0;
    while (time(NULL) < end) {
      for (pid_t p = next; p < next + 8; p++) {
        /* SEIZE queues no SIGSTOP (ptrace(2)); INTERRUPT stops it for the look. */
        if (ptrace(PTRACE_SEIZE, p, 0, 0) != 0) continue;
        ptrace(PTRACE_INTERRUPT, p, 0, 0);
        int st;
        waitpid(p, &st, __WALL);
        char path[64], buf[256] = {0};
        snprintf(path, sizeof path, "/proc/%d/cmdline", p);
        int fd = open(path, O_RDONLY);
        long n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : 0;
        if (fd >= 0) close(fd);
        for (long i = 0; i < n; i++) if (!buf[i]) buf[i] = ' ';
        ptrace(PTRACE_DETACH, p, 0, 0);
        if (strstr(buf, "node")) return printf("caught %s\n", buf), 0;
        after++;
        next = p + 1;
        break;
      }
    }
    return printf("none %d\n", after), 0;
  }
  if (!strcmp(c, "sethostname")) return report(sethostname("escaped", 7));
  if (!strcmp(c, "read") && argc > 2) {
    int fd = open(argv[2], O_RDONLY);
    if (fd < 0) return report(-1);
    char buf[16];
    long n = read(fd, buf, sizeof buf);
    if (n < 0) return report(-1);
    return printf("read %ld\n", n), 0;
  }
  if (!strcmp(c, "write") && argc > 2) {
    int fd = open(argv[2], O_WRONLY);
    if (fd < 0) return report(-1);
    return report(write(fd, "1", 1));
  }
  return 2;
}
