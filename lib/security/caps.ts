// Capabilities a container keeps: Docker's default set, changed by capAdd and
// capDrop as `docker run --cap-add/--cap-drop` do.
import { nearest } from '../util/nearest';
import { CAPABILITY_NAMES } from '../caps/names';

/** moby's oci/caps/defaults.go: the 14 capabilities of a default container. */
export const DOCKER_DEFAULT_CAPS = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
] as const;

/** "CAP_SYS_ADMIN", "sys_admin" and "SYS_ADMIN" all name SYS_ADMIN; unknown names are a RangeError. */
export function capName(option: string, raw: unknown): string {
  if (typeof raw !== 'string') throw new TypeError(`spawn: option ${option} must be capability names, got ${JSON.stringify(raw)}`);
  const name = raw.toUpperCase().replace(/^CAP_/, '');
  if (name === 'ALL' || (CAPABILITY_NAMES as readonly string[]).includes(name)) return name;
  const near = nearest(name, [...CAPABILITY_NAMES]);
  throw new RangeError(`spawn: option ${option} has an unknown capability ${JSON.stringify(raw)}${near ? `; did you mean "${near}"?` : ''}`);
}

/**
 * The kept set, in capability-number order: default + add - drop, where ALL means
 * every capability. With `available` (the caller's own bounding set; nothing
 * outside it can be granted, capabilities(7)), ALL means all of those, and a cap
 * named in capAdd that is not among them is a RangeError.
 */
export function resolveCaps(capAdd: string[] = [], capDrop: string[] = [], available?: ReadonlySet<string>): string[] {
  const add = capAdd.map((c, i) => capName(`capAdd[${i}]`, c));
  const drop = capDrop.map((c, i) => capName(`capDrop[${i}]`, c));
  let kept = new Set<string>(drop.includes('ALL') ? [] : DOCKER_DEFAULT_CAPS);
  if (add.includes('ALL')) kept = new Set(CAPABILITY_NAMES);
  else for (const c of add) kept.add(c);
  // As in Docker, an explicit add wins over a drop of ALL; a named drop wins over ALL added.
  for (const c of drop) if (c !== 'ALL') kept.delete(c);
  if (drop.includes('ALL')) for (const c of add) if (c !== 'ALL') kept.add(c);
  if (available) {
    add.forEach((c, i) => {
      if (c !== 'ALL' && !available.has(c)) {
        throw new RangeError(`spawn: option capAdd[${i}] asks for ${c}, which this process's own bounding set lacks, so no child can be given it`);
      }
    });
    for (const c of kept) if (!available.has(c)) kept.delete(c);
  }
  return CAPABILITY_NAMES.filter((c) => kept.has(c));
}

export const capNumbers = (names: string[]): number[] => names.map((n) => (CAPABILITY_NAMES as readonly string[]).indexOf(n));
