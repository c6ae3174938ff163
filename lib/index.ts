// Public API of the `bulkhead` package.
export { collectInfo, type Info, type Missing } from './info/collect';
export { discoverCgroup, type CgroupHost } from './cgroup/discover';
export { NativeLoadError } from './native/load';
