// Which `bulkhead run` flags need which cgroup v2 controller, and what to tell a
// user whose host gives that controller to cgroup v1 (a hybrid or legacy host).

export const CONTROLLER_FLAGS: Record<string, string[]> = {
  memory: ['--memory', '--memory-swap', '--memory-reservation'],
  cpu: ['--cpus', '--cpu-shares'],
  cpuset: ['--cpuset-cpus'],
  pids: ['--pids-limit'],
  io: ['--device-read-bps', '--device-write-bps'],
};

/** What to do when a flag's controller is missing from the v2 hierarchy. */
export function controllerAdvice(flags: string[]): string {
  return `run on a cgroup v2 host, boot with systemd.unified_cgroup_hierarchy=1, or drop ${flags.join(', ')}`;
}

/** One line: which flags need what, why the host lacks it, and what to do. */
export function controllerMessage(controller: string, reason: string, given: string[]): string {
  const flags = given.length ? given : (CONTROLLER_FLAGS[controller] ?? [`the ${controller} limit`]);
  return `bulkhead run: ${flags.join(', ')} ${flags.length > 1 ? 'need' : 'needs'} the cgroup v2 ${controller} controller, but ${reason}: ${controllerAdvice(flags)}`;
}
