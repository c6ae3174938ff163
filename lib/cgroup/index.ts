// The cgroup v2 library's public surface (re-exported by lib/index.ts).
export { Cgroup, type CreateOptions, type KillOptions, type WaitOptions } from './cgroup';
export { planLimits, type Limits, type CpuLimits, type CpusetLimits, type HugetlbLimits, type IoLimits, type IoDeviceLimits, type MemoryLimits, type PidsLimits, type Size } from './controllers';
export { discoverCgroup, type CgroupHost } from './discover';
export { ControllerUnavailableError } from './enable';
export { CgroupWatcher, type CgroupWatcherEvents, type CounterEvent } from './events';
export { CgroupError, type CgroupOp } from './io';
export type { CgroupStats, CpuStats, IoStats, MemoryEvents, MemoryStats, PidsStats, Pressure, PressureLine } from './stats';
export { parseSize } from '../util/size';
export { PressureWatch, triggerLine, type PressureEvent, type PressureTriggerOptions } from './pressure';
