// /images (Engine API v1.43, "Image"), over the ImageSource seam: list and
// inspect answer from it; pull, push, tag, remove, load, save and prune wait
// for lib/image and answer 501 saying so (a name that is no image: 404).
import type { Ctx } from '../context';
import type { ApiState } from '../state';
import { HttpError } from '../errors';
import { noSuchImage, type ImageRecord } from '../images';
import { goArch } from './system';

function summary(i: ImageRecord) {
  return { Id: i.Id, ParentId: '', RepoTags: i.RepoTags, RepoDigests: [], Created: i.Created, Size: i.Size, SharedSize: -1, VirtualSize: i.Size, Labels: {}, Containers: -1 };
}

export function list(ctx: Ctx, s: ApiState): void {
  ctx.json(200, s.images.list().map(summary));
}

export function inspect(ctx: Ctx, s: ApiState): void {
  const i = s.images.resolve(ctx.params.name!);
  if (!i) throw noSuchImage(ctx.params.name!);
  ctx.json(200, {
    Id: i.Id,
    RepoTags: i.RepoTags,
    RepoDigests: [],
    Parent: '',
    Comment: `root filesystem directory ${i.rootfs} (bulkheadd --rootfs-image)`,
    Created: new Date(i.Created * 1000).toISOString(),
    DockerVersion: '',
    Author: '',
    Config: { ...i.Config, Labels: null },
    Architecture: goArch(),
    Os: 'linux',
    Size: i.Size,
    GraphDriver: { Name: 'overlay2', Data: null },
    RootFS: { Type: 'layers', Layers: [] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  });
}

/** Endpoints that need an image store: a known name answers 501, an unknown one 404 as Docker would. */
export function notYet(what: string) {
  return (ctx: Ctx, s: ApiState): void => {
    const ref = ctx.params.name ?? ctx.query.get('fromImage') ?? '';
    if (ref && !s.images.resolve(ref) && what !== 'pull' && what !== 'load') throw noSuchImage(ref);
    if (what === 'pull') throw new HttpError(404, `pull access denied for ${ref || '(none)'}: bulkheadd has no image store or registry client yet; start bulkheadd with --rootfs-image NAME=DIR to name a root filesystem directory`);
    throw new HttpError(501, `image ${what} is not implemented by bulkheadd yet (it comes with lib/image)`);
  };
}
