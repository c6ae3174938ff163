// The engine's public surface (re-exported by lib/index.ts).
export { Engine, DEFAULT_ROOT, type EngineOptions, type RecoveryReport } from './engine';
export { Containers, type WaitCondition, type WaitResult, type CreateResult } from './containers';
export { Networks } from './networks';
export { parseDetachKeys } from './attach/keys';
export type { AttachIO, AttachSession } from './attach/attach';
export { EngineError, type EngineErrorCode } from '../util/engine-error';
export type { ContainerConfig, HostConfig, RestartPolicy, LogConfig } from './container/config';
export type { ContainerRecord, State, Status, MountPoint } from './container/record';
export type { ContainerInspect, ContainerSummary } from './container/inspect';
export type { ExecConfig } from './exec/config';
export type { ExecInspect, ExecSession } from './exec/exec';
export type { ListFilters } from './container/filters';
export type { ContainerStats } from './container/stats';
export type { TopResult } from './container/top';
export type { LogEntry, LogsOptions } from './logs/read';
export { formatLogEntry } from './logs/read';
export { DirectoryRootfs, type RootfsSource, type WritableLayer } from './rootfs';
