// The PATH a container gets when its environment names none.

/** Docker's default PATH (moby's oci/defaults). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
