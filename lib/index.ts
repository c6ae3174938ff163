// Public API of the `bulkhead` package.
export { collectInfo, type Info, type Missing } from './info/collect';
export { NativeLoadError } from './native/load';
export { IsolationError } from './errors';
export { spawn, ExitError, Subprocess, type SpawnResult, type SpawnOptions, type Mount, type Namespaces, type IdMapping, type StdioOption } from './spawn/index';
export { Cgroup, CgroupError, CgroupWatcher, ControllerUnavailableError, discoverCgroup, parseSize, type CgroupHost, type Limits, type MemoryLimits, type CpuLimits, type CpusetLimits, type PidsLimits, type IoLimits, type IoDeviceLimits, type HugetlbLimits, type CgroupStats, type CreateOptions, type KillOptions, type CgroupWatcherEvents, PressureWatch, type PressureEvent, type PressureTriggerOptions } from './cgroup/index';
export type { CgroupUsage } from './spawn/index';
export { Images, type ImagesOptions, type ImageSummary, type ImageRootfs } from './image/images';
export { ImageError, type ImageErrorCode } from './image/errors';
export { parseReference, formatReference, familiarName, type Reference } from './image/reference/parse';
export type { ImageRecord, LayerRecord, Platform } from './image/store/store';
export type { PullOptions, PullProgress } from './image/registry/pull';
export type { PushOptions } from './image/registry/push';
