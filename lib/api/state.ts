// What every handler shares: the engine, the image seam, the daemon's options,
// and the recent events (for /events?since=).
import type { Engine } from '../engine/index';
import type { ImageSource } from './images';

export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

export interface ApiState {
  engine: Engine;
  images: ImageSource;
  /** Names/versions reported by /version and /info. */
  name: string;
  version: string;
  /** The request body cap in bytes. */
  bodyLimit: number;
  /** The largest build context (POST /build) unpacked, in bytes after decompression. */
  buildContextLimit: number;
  /** The last events, oldest first (bounded). */
  events: DockerEvent[];
  /** Execs created through the API, by id (Docker's create/start split). */
  execs: Map<string, import('./handlers/exec').ApiExec>;
  /** The daemon's own warnings for /info. */
  warnings: string[];
  /** Builds in progress (POST /build): aborted and awaited at shutdown. */
  builds: Set<{ abort: () => void; done: Promise<void> }>;
  /** Emits 'event' with each DockerEvent as it happens. */
  bus: import('node:events').EventEmitter;
}
