// Public API of the `bulkhead` package.
export { collectInfo, type Info, type Missing } from './info/collect';
export { NativeLoadError } from './native/load';
export { BulkheadError, IsolationError } from './errors';
export { spawn, childSteps, ExitError, Subprocess, type SpawnResult, type SpawnOptions, type Encoding, type Mount, type Namespaces, type IdMapping, type StdioOption, type DeviceMapping } from './spawn/index';
export { DOCKER_READONLY_PATHS, MASKED_PATHS, PROC_GLOBALS, READONLY_PATHS } from './security/paths';
export { Cgroup, CgroupError, CgroupWatcher, ControllerUnavailableError, discoverCgroup, parseSize, type CgroupHost, type Limits, type MemoryLimits, type CpuLimits, type CpusetLimits, type PidsLimits, type IoLimits, type IoDeviceLimits, type HugetlbLimits, type CgroupStats, type CreateOptions, type KillOptions, type CgroupWatcherEvents, PressureWatch, type PressureEvent, type PressureTriggerOptions } from './cgroup/index';
export type { CgroupUsage } from './spawn/index';
export { Engine, EngineError, DirectoryRootfs, formatLogEntry, type EngineOptions, type ContainerConfig, type HostConfig, type ContainerInspect, type ContainerSummary, type ListFilters, type LogEntry, type LogsOptions, type WaitCondition, type WaitResult, type RootfsSource, type ContainerStats, type TopResult } from './engine/index';
export { VolumeStore, type Volume, type VolumeCreateOptions, type VolumeFilters } from './volume/index';
export { DeviceProgramError, DEFAULT_DEVICE_RULES, type DeviceRule } from './cgroup/devices/index';
export { reclaimGroups, type ReclaimResult } from './cgroup/reclaim';
export * as network from './network/index';
export { fromOciSpec, OciSpecError, type FromOciResult, type OciHook, type OciHooks } from './oci/spec';
