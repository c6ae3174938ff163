// The Docker Engine API server (bulkheadd's HTTP side), usable as a library.
export { createApiServer, type ApiServer, type ApiServerOptions } from './server';
export { API_VERSION, MIN_API_VERSION } from './version';
export { DirectoryImages, parseRootfsImage, type ImageSource, type ImageRecord } from './images';
export { StoreImages, StoreRootfs } from './store-images';
export { frame, demultiplex } from './stream';
