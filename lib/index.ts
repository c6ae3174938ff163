// Public API of the `bulkhead` package.
export { collectInfo, type Info, type Missing } from './info/collect';
export { discoverCgroup, type CgroupHost } from './cgroup/discover';
export { NativeLoadError } from './native/load';
export { IsolationError } from './errors';
export { spawn, ExitError, Subprocess, type SpawnResult, type SpawnOptions, type Mount, type Namespaces, type IdMapping, type StdioOption } from './spawn/index';
