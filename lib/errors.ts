// Error classes of the public API. Every failure Bulkhead reports at run time is
// a BulkheadError whose `code` always means one kind of thing: an errno name
// (ENOENT, EPERM, ...) when a system call failed, an ERR_BULKHEAD_* name when
// Bulkhead itself decided (a non-zero exit, a timeout). Where a step, a path or
// a system call applies it is set; `cause` holds the underlying error.
//
// Bad input is not a BulkheadError: it is a built-in TypeError or RangeError,
// as Node's own API throws, with `code` ERR_INVALID_ARG_TYPE/ERR_INVALID_ARG_VALUE
// and `option` naming the option. A caller's bug is not a run-time failure to
// handle, and `instanceof TypeError` keeps meaning what it means everywhere else.

export interface BulkheadErrorFields {
  code: string;
  errno?: number;
  syscall?: string;
  /** The child's step (execve, mount, ...) or the parent's (rootfs, cgroup, uid_map). */
  step?: string;
  path?: string;
  cause?: unknown;
}

export class BulkheadError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly step?: string;
  readonly path?: string;
  constructor(message: string, fields: BulkheadErrorFields) {
    super(message, fields.cause !== undefined ? { cause: fields.cause } : undefined);
    this.name = 'BulkheadError';
    this.code = fields.code;
    if (fields.errno !== undefined) this.errno = fields.errno;
    if (fields.syscall !== undefined) this.syscall = fields.syscall;
    if (fields.step !== undefined) this.step = fields.step;
    if (fields.path !== undefined) this.path = fields.path;
  }
}

export interface IsolationErrorFields extends BulkheadErrorFields {
  syscall: string;
  step: string;
}

/** A failure in the child before execve, or in the parent while setting it up. */
export class IsolationError extends BulkheadError {
  declare readonly syscall: string;
  declare readonly step: string;
  constructor(message: string, fields: IsolationErrorFields) {
    super(message, fields);
    this.name = 'IsolationError';
  }
}

/**
 * A short, never-throwing rendering of any value for an error message: BigInt,
 * Symbol, circular objects, null-prototype objects, throwing getters and
 * Proxies included.
 */
export function describe(v: unknown, max = 120): string {
  let s: string;
  try {
    switch (typeof v) {
      case 'string':
        s = JSON.stringify(v);
        break;
      case 'bigint':
        s = `${v}n`;
        break;
      case 'symbol':
        s = v.toString();
        break;
      case 'function':
        s = `[function ${v.name || 'anonymous'}]`;
        break;
      case 'undefined':
        s = 'undefined';
        break;
      case 'number':
        s = Object.is(v, -0) ? '-0' : String(v);
        break;
      default:
        s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' ? x.toString() : x)) ?? 'undefined';
    }
  } catch {
    try {
      s = Array.isArray(v) ? `[array of ${v.length}]` : `[${Object.prototype.toString.call(v).slice(8, -1).toLowerCase()}]`;
    } catch {
      s = '[unprintable]';
    }
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}

/** A TypeError for a bad option: `code` ERR_INVALID_ARG_TYPE, `option` its name. */
export function optionTypeError(prefix: string, option: string, want: string, got: unknown): TypeError {
  return Object.assign(new TypeError(`${prefix}: option ${option} must be ${want}, got ${describe(got)}`), { code: 'ERR_INVALID_ARG_TYPE', option });
}

/** A RangeError for a bad option value: `code` ERR_INVALID_ARG_VALUE, `option` its name. */
export function optionRangeError(prefix: string, option: string, why: string, got: unknown): RangeError {
  return Object.assign(new RangeError(`${prefix}: option ${option} ${why}, got ${describe(got)}`), { code: 'ERR_INVALID_ARG_VALUE', option });
}
