// docker run's tmpfs options other than size, as `bulkhead run --tmpfs` and the
// engine's HostConfig.Tmpfs both read them (moby daemon/oci_linux.go): a later
// option over an earlier one; nosuid and nodev are what spawn's tmpfs always is.
// Size stays with each caller: the CLI takes 1.5g, the Engine API k/m/g integers.

export interface TmpfsFlags {
  mode?: number;
  readonly?: boolean;
  noexec?: boolean;
}

/** Applies one option (mode=OCTAL, ro, rw, exec, noexec, nosuid, nodev) to `m`; false for any other. */
export function applyTmpfsOption(m: TmpfsFlags, opt: string): boolean {
  const [k, v] = opt.split('=');
  if (k === 'mode' && v && /^[0-7]{1,4}$/.test(v)) m.mode = parseInt(v, 8);
  else if (opt === 'ro' || opt === 'rw') m.readonly = opt === 'ro';
  else if (opt === 'exec' || opt === 'noexec') m.noexec = opt === 'noexec';
  else return opt === 'nosuid' || opt === 'nodev';
  return true;
}
