// lib/network: bridges, veths, IPAM, NAT and ports, name resolution.
export { connect, createNetwork, ensureDefaultNetwork, inspectNetwork, listNetworks, pruneNetworks, reclaim, removeNetwork, resyncRules, validateConnect, defaultBridge, DEFAULT_NETWORK, NetworkError } from './network';
export type { ConnectOptions, CreateOptions, Endpoint, NetworkInfo } from './network';
export { parsePublish } from './ports/parse';
export type { PortBinding } from './state/records';
export { spawnOnNetwork, type SpawnOnNetwork } from './spawn';
export { NetlinkError } from './netlink/socket';
export { NftError } from './nat/nft';
