// COPY and ADD: sources resolved in the context (or --from a stage's or image's
// root) by lib/build/context, hashed for the cache, and copied into the step's
// root with Docker's destination rules.
import { BuildError } from './errors';
import type { Instruction } from './parse/dockerfile';
import type { Env } from './parse/words';
import type { StepState } from './state';

export interface CopyContext {
  dir: string;
  dockerfile: string;
}

export interface CopyPlan {
  createdBy: string;
  contentHash: string;
  apply(rootfs: string): Promise<void>;
}

export async function copyStep(_ctx: CopyContext, ins: Instruction, _state: StepState, _vars: Env, _escape: string, _from: (name: string) => Promise<StepState>): Promise<CopyPlan> {
  throw new BuildError('EINSTRUCTION', `Dockerfile:${ins.line}:${ins.column}: ${ins.keyword} is not supported yet`, ins.line, ins.column);
}
