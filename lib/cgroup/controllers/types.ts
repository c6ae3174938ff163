// The contract every controller module fulfils (the shape of youki's
// libcgroups v2 controllers): a name, and a pure files() that validates one
// limits object and says which interface files to write with what, in order.

/** An interface file of the group (relative name, e.g. memory.max) and the one write(2) it gets. */
export type FileWrite = [file: string, data: string];

export type ControllerName = 'cpu' | 'cpuset' | 'io' | 'memory' | 'pids' | 'hugetlb';

export interface Controller<L> {
  name: ControllerName;
  /** Throws RangeError/TypeError naming the field for a bad value; writes nothing. */
  files(limits: L): FileWrite[];
}

/** A size in bytes: a number, or a string like '64m', '1.5g', '512k', '100' or 'max'. */
export type Size = number | string;
