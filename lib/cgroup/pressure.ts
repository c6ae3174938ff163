// PSI triggers on a group: "tell me when tasks here stalled on cpu, memory or io
// for more than stallUs within any windowUs" (Documentation/accounting/psi.rst).
// The addon holds the armed file on libuv's loop (POLLPRI); no timer polls.
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import { native } from '../native/load';
import type { PressureTrigger } from '../native/types';

export interface PressureTriggerOptions {
  resource: 'cpu' | 'memory' | 'io';
  /** some: at least one task stalled; full: all non-idle tasks stalled at once (default some). */
  kind?: 'some' | 'full';
  /** Stall time that fires the trigger, in microseconds. */
  stallUs: number;
  /** The tracking window, from 500 ms to 10 s, in microseconds. */
  windowUs: number;
}

export interface PressureEvent {
  resource: 'cpu' | 'memory' | 'io';
  kind: 'some' | 'full';
  stallUs: number;
  windowUs: number;
}

/** Validates the options and gives the line the kernel takes: "some 150000 1000000". */
export function triggerLine(o: PressureTriggerOptions): string {
  if (!['cpu', 'memory', 'io'].includes(o?.resource)) throw new TypeError(`pressure.resource: expected "cpu", "memory" or "io", got ${JSON.stringify(o?.resource)}`);
  const kind = o.kind ?? 'some';
  if (kind !== 'some' && kind !== 'full') throw new TypeError(`pressure.kind: expected "some" or "full", got ${JSON.stringify(o.kind)}`);
  // psi.rst: the window is 500 ms to 10 s; the threshold lies within it.
  if (!Number.isInteger(o.windowUs) || o.windowUs < 500_000 || o.windowUs > 10_000_000) {
    throw new RangeError(`pressure.windowUs: expected microseconds from 500000 to 10000000, got ${JSON.stringify(o.windowUs)}`);
  }
  if (!Number.isInteger(o.stallUs) || o.stallUs <= 0 || o.stallUs > o.windowUs) {
    throw new RangeError(`pressure.stallUs: expected microseconds from 1 to windowUs (${o.windowUs}), got ${JSON.stringify(o.stallUs)}`);
  }
  return `${kind} ${o.stallUs} ${o.windowUs}`;
}

export class PressureWatch extends EventEmitter<{ pressure: [PressureEvent]; close: [] }> {
  private readonly trigger!: PressureTrigger;

  constructor(groupDir: string, o: PressureTriggerOptions) {
    super();
    const line = triggerLine(o);
    const event: PressureEvent = { resource: o.resource, kind: o.kind ?? 'some', stallUs: o.stallUs, windowUs: o.windowUs };
    const file = path.join(groupDir, `${o.resource}.pressure`);
    try {
      this.trigger = new (native().PressureTrigger)(file, line, (what) => {
        if (what === 'pressure') this.emit('pressure', event);
        else this.emit('close');
      });
    } catch (err) {
      // Without CAP_SYS_RESOURCE in the initial user namespace the kernel takes only
      // unprivileged triggers, whose window is a whole multiple of 2 s (psi.rst).
      if ((err as NodeJS.ErrnoException).code === 'EINVAL' && o.windowUs % 2_000_000 !== 0) {
        throw new RangeError(`pressure.windowUs: the kernel refused ${o.windowUs} (EINVAL writing ${file}): triggers of processes without CAP_SYS_RESOURCE in the initial user namespace need a window of 2, 4, 6, 8 or 10 s`);
      }
      throw err;
    }
  }

  /** Disarms the trigger (closing its file is what removes it in the kernel). */
  close(): void {
    this.trigger.close();
    this.emit('close');
  }

  /** Lets node exit while armed. */
  unref(): this {
    this.trigger.unref();
    return this;
  }
}
