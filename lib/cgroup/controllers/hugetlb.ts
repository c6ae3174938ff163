// hugetlb controller (Documentation/admin-guide/cgroup-v2.rst, "HugeTLB"): one
// hugetlb.<size>.max per huge page size the kernel supports (2MB, 1GB on x86-64).
import { shown } from '../../util/shown';
import { parseSize } from '../../util/size';
import type { Controller, FileWrite, Size } from './types';

/** Huge page size as the kernel names it ('2MB', '1GB', '64KB') -> bytes of such pages. */
export type HugetlbLimits = Record<string, Size>;

const PAGE_SIZE = /^\d+(KB|MB|GB)$/;

function files(limits: HugetlbLimits): FileWrite[] {
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    throw new TypeError(`hugetlb: expected an object like { '2MB': '64m' }, got ${shown(limits)}`);
  }
  const out: FileWrite[] = [];
  for (const [size, value] of Object.entries(limits)) {
    if (!PAGE_SIZE.test(size)) throw new TypeError(`hugetlb.${size}: expected a huge page size like 2MB or 1GB as the key`);
    if (value === undefined) continue;
    // The kernel rounds down to whole huge pages.
    out.push([`hugetlb.${size}.max`, String(parseSize(`hugetlb.${size}`, value))]);
  }
  return out;
}

export const hugetlb: Controller<HugetlbLimits> = { name: 'hugetlb', files };
