// /containers/{id}/exec and /exec/{id}/... : the engine has no exec yet (a
// process entering a running container needs a setns seam in the addon).
// Answered 501 with that said, after the container itself is checked (404).
import type { Ctx } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';

const MSG = 'exec is not implemented by bulkheadd yet: the engine cannot enter a running container (no setns seam in the addon)';

export function create(ctx: Ctx, s: ApiState): void {
  s.engine.containers.inspect(ctx.params.id!);
  throw new HttpError(501, MSG);
}

export function other(): void {
  throw new HttpError(501, MSG);
}
