// The workloads of the limit benchmarks (benchmarks/limits.ts), built static
// with cc at run time and copied into the busybox rootfs, so that they run in a
// container with Bulkhead's full defaults. Each reports on stdout, one line per
// event, with CLOCK_MONOTONIC nanoseconds: the clock of process.hrtime() in the
// node that started it (no time namespace), so both sides can be compared.
//
//   bench-helper hog CHUNK_KB STOP_MB   touch anonymous memory CHUNK_KB at a time up to
//                                       STOP_MB (0: until killed); before each chunk:
//                                       "m NS TOUCHED_BYTES MEMORY_CURRENT"; at the end
//                                       "done NS TOUCHED_BYTES"
//   bench-helper forks MAX              fork children that wait, until a fork fails or
//                                       MAX succeeded: "forks N ERRNO_NAME"; then kill
//                                       and reap them
//   bench-helper io read|write DEV MIB BS_KB
//                                       O_DIRECT reads or writes of DEV, BS_KB a call,
//                                       MIB in all: "io BYTES START_NS END_NS"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void out(const char *line) {
  size_t len = strlen(line), off = 0;
  while (off < len) {
    ssize_t n = write(1, line + off, len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      _exit(3);
    }
    off += (size_t)n;
  }
}

static long long memory_current(void) {
  char buf[64];
  int fd = open("/sys/fs/cgroup/memory.current", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  return atoll(buf);
}

static int hog(long chunk_kb, long stop_mb) {
  size_t chunk = (size_t)chunk_kb * 1024;
  size_t stop = (size_t)stop_mb * 1024 * 1024;
  size_t touched = 0;
  long page = sysconf(_SC_PAGESIZE);
  char line[128];
  for (;;) {
    if (stop && touched >= stop) break;
    char *p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      snprintf(line, sizeof line, "error mmap %s\n", strerror(errno));
      out(line);
      return 1;
    }
    snprintf(line, sizeof line, "m %lld %zu %lld\n", now_ns(), touched, memory_current());
    out(line);
    for (size_t i = 0; i < chunk; i += (size_t)page) p[i] = 1;
    touched += chunk;
  }
  snprintf(line, sizeof line, "done %lld %zu\n", now_ns(), touched);
  out(line);
  return 0;
}

static int forks(long max) {
  pid_t *kids = calloc((size_t)max, sizeof *kids);
  long n = 0;
  int err = 0;
  while (n < max) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      for (;;) pause();
    }
    kids[n++] = pid;
  }
  char line[128];
  snprintf(line, sizeof line, "forks %ld %s\n", n, err ? strerrorname_np(err) : "none");
  out(line);
  for (long i = 0; i < n; i++) kill(kids[i], SIGKILL);
  for (long i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
  return 0;
}

static int io(const char *dir, const char *dev, long mib, long bs_kb) {
  int writing = strcmp(dir, "write") == 0;
  int fd = open(dev, (writing ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
  char line[160];
  if (fd < 0) {
    snprintf(line, sizeof line, "error open %s %s\n", dev, strerror(errno));
    out(line);
    return 1;
  }
  size_t bs = (size_t)bs_kb * 1024, total = (size_t)mib * 1024 * 1024, done = 0;
  void *buf;
  if (posix_memalign(&buf, 4096, bs) != 0) return 1;
  memset(buf, 0x5a, bs);
  long long t0 = now_ns();
  while (done < total) {
    ssize_t n = writing ? pwrite(fd, buf, bs, (off_t)done) : pread(fd, buf, bs, (off_t)done);
    if (n <= 0) {
      snprintf(line, sizeof line, "error %s at %zu: %s\n", dir, done, n < 0 ? strerror(errno) : "end of device");
      out(line);
      return 1;
    }
    done += (size_t)n;
  }
  long long t1 = now_ns();
  snprintf(line, sizeof line, "io %zu %lld %lld\n", done, t0, t1);
  out(line);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 4 && strcmp(argv[1], "hog") == 0) return hog(atol(argv[2]), atol(argv[3]));
  if (argc >= 3 && strcmp(argv[1], "forks") == 0) return forks(atol(argv[2]));
  if (argc >= 6 && strcmp(argv[1], "io") == 0) return io(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
  fprintf(stderr, "usage: bench-helper hog CHUNK_KB STOP_MB | forks MAX | io read|write DEV MIB BS_KB\n");
  return 2;
}
