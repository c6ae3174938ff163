// Making controllers available to a new group: a controller is usable in a
// group when its parent lists it in cgroup.subtree_control, and a parent can
// only list controllers its own cgroup.controllers offers, so enabling walks
// down from the deepest ancestor that has it (Documentation/admin-guide/cgroup-v2.rst,
// "Enabling and Disabling").
import * as path from 'node:path';
import { missingControllerReason, type CgroupLayout } from './layout';
import { CgroupError, readCg, writeCg } from './io';
import { parseIds } from './stats';

/** A controller Bulkhead needs and the v2 hierarchy cannot offer here. */
export class ControllerUnavailableError extends CgroupError {
  readonly controller: string;
  readonly reason: string;
  constructor(controller: string, where: string, reason: string, purpose: string) {
    super(`cgroup: cannot ${purpose}: ${reason} (Bulkhead looked in ${where})`, { code: 'ENOTSUP', op: 'read', path: where });
    this.name = 'ControllerUnavailableError';
    this.controller = controller;
    this.reason = reason;
  }
}

const list = (file: string): string[] => readCg(file).trim().split(/\s+/).filter(Boolean);

/** mountpoint, ..., dir: the groups from the root of the hierarchy down to dir. */
export function chainTo(mountpoint: string, dir: string): string[] {
  const rel = path.relative(mountpoint, dir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new TypeError(`cgroup: ${dir} is not inside the cgroup v2 hierarchy at ${mountpoint}`);
  const chain = [mountpoint];
  for (const part of rel.split(path.sep).filter(Boolean)) chain.push(path.join(chain[chain.length - 1], part));
  return chain;
}

/**
 * Makes each controller available to the children of parent, enabling it in
 * cgroup.subtree_control from the deepest ancestor that offers it down to parent.
 * Throws ControllerUnavailableError when even the root does not offer it.
 */
export function enableControllers(layout: CgroupLayout & { mountpoint: string }, parent: string, controllers: readonly string[]): void {
  if (controllers.length === 0) return;
  const chain = chainTo(layout.mountpoint, parent);
  const rootFile = path.join(layout.mountpoint, 'cgroup.controllers');
  const offered = list(rootFile);
  for (const c of controllers) {
    if (!offered.includes(c)) {
      throw new ControllerUnavailableError(c, rootFile, missingControllerReason(layout, c), `set ${c} limits`);
    }
  }
  // Per group, the controllers to add: one write of "+a +b" each.
  const plan = new Map<string, string[]>();
  for (const c of controllers) {
    if (list(path.join(parent, 'cgroup.subtree_control')).includes(c)) continue;
    // The first group of the chain whose subtree_control lacks c; from there down, enable it.
    let start = chain.length - 1;
    while (start > 0 && !list(path.join(chain[start - 1], 'cgroup.subtree_control')).includes(c)) start--;
    for (const g of chain.slice(start)) plan.set(g, [...(plan.get(g) ?? []), c]);
  }
  for (const g of chain) {
    const add = plan.get(g);
    if (!add) continue;
    if (g !== layout.mountpoint) {
      // The no-internal-processes rule: only the root, or a group without processes
      // of its own, may enable domain controllers for its children (cgroup-v2.rst,
      // "No Internal Process Constraint"); say so before the kernel's bare EBUSY.
      // Threaded ones (cpu, pids) the kernel would enable, but that turns the group
      // into a thread root whose domain children, like the one being created,
      // cannot take processes ("Threads"), so they are refused here too.
      const pids = parseIds(readCg(path.join(g, 'cgroup.procs')));
      if (pids.length > 0) {
        const shownPids = pids.slice(0, 5).join(', ') + (pids.length > 5 ? ', ...' : '');
        throw new CgroupError(
          `cgroup: cannot enable ${add.join(', ')} for the children of ${g}: it has processes of its own (${shownPids}), and cgroup v2's no-internal-processes rule lets only groups without processes enable controllers; move them into a leaf group first, or create under an empty parent ({ parent })`,
          { code: 'EBUSY', op: 'write', path: path.join(g, 'cgroup.subtree_control'), data: add.map((c) => `+${c}`).join(' ') },
        );
      }
    }
    writeCg(path.join(g, 'cgroup.subtree_control'), add.map((c) => `+${c}`).join(' '));
  }
}
