// The addon's surface, as native/addon.cc registers it.

/** true when the feature worked, else the errno code that refused it. */
export type ProbeOutcome = true | string;

export interface CloneProbe {
  clone3: ProbeOutcome;
  pidfdOpen: ProbeOutcome;
  /** null when no cgroup directory was given to probe with. */
  intoCgroup: ProbeOutcome | null;
}

export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface NativeBinding {
  probeClone(options: { cgroupDir?: string }): CloneProbe;
  capabilities(): CapabilitySets;
}
