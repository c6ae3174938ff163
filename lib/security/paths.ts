// Docker's masked and read-only paths (moby's oci/defaults.go): kernel
// interfaces a container must not read or write.

/** Hidden: files get /dev/null bound over them, directories an empty read-only tmpfs. */
export const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths, each bound onto itself read-only. */
export const DOCKER_READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/**
 * In readonlyPaths: every global entry of /proc (not a pid, not a symlink)
 * covered read-only by the same entry of a second, read-only proc instance;
 * /proc/<pid> stays writable. About 50 binds on this kernel: it costs.
 */
export const PROC_GLOBALS = '/proc/*';

/**
 * Bulkhead's default: the whole /proc mounted read-only, which covers Docker's
 * five and also every global entry, whose mode and owner procfs keeps once for
 * the machine (a chmod inside would persist on the host). Writes to
 * /proc/<pid>/* (oom_score_adj, comm) are refused too; DOCKER_READONLY_PATHS
 * plus PROC_GLOBALS keeps them for the price of the binds.
 */
export const READONLY_PATHS = ['/proc'];
