export { VolumeStore, VOLUME_NAME_RE, type Volume, type VolumeCreateOptions, type VolumeFilters } from './store';
export { parseDriverOpts, type TmpfsOptions } from './options';
export { fillFromRoot } from './copy';
