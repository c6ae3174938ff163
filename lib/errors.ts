// Error classes of the public API. A failure in the child before execve, or in
// the parent while setting it up, is an IsolationError saying which step, which
// syscall and which path.

export interface IsolationErrorFields {
  code: string;
  errno?: number;
  syscall: string;
  step: string;
  path?: string;
}

export class IsolationError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly syscall: string;
  readonly step: string;
  readonly path?: string;
  constructor(message: string, fields: IsolationErrorFields) {
    super(message);
    this.name = 'IsolationError';
    this.code = fields.code;
    this.errno = fields.errno;
    this.syscall = fields.syscall;
    this.step = fields.step;
    this.path = fields.path;
  }
}
