// Typed build errors. Each names where: the Dockerfile line and column for
// syntax and instruction errors, the step for a failing RUN. The CLI prints the
// message as one line and exits 1, as `docker build` does.

export type BuildErrorCode =
  | 'ESYNTAX' // the Dockerfile cannot be parsed (line:col)
  | 'EINSTRUCTION' // an unknown instruction, or one with bad arguments or flags
  | 'ESTAGE' // a stage that does not exist (--target, --from, FROM)
  | 'ERUN' // a RUN step exited non-zero
  | 'ECONTEXT' // the build context cannot be read, or a source is outside it
  | 'EABORTED'; // cancelled through the AbortSignal

export class BuildError extends Error {
  constructor(
    readonly code: BuildErrorCode,
    message: string,
    readonly line?: number,
    readonly column?: number,
    options?: { cause?: unknown; exitCode?: number; output?: string[] },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BuildError';
    if (options?.exitCode !== undefined) this.exitCode = options.exitCode;
    if (options?.output !== undefined) this.output = options.output;
  }
  /** ERUN: the command's exit code. */
  exitCode?: number;
  /** ERUN: the last lines of its output. */
  output?: string[];
}
