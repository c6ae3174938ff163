// Seccomp through spawn(): the default profile is loaded (Seccomp: 2), and a
// Docker-format JSON file or an object profile replaces it, end to end.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { spawn, type SpawnOptions } from '../../../lib/index';
import { withBusyboxRoot } from '../../helpers/tier';

withBusyboxRoot((rootfs) => {
  const base: SpawnOptions = { rootfs, env: { PATH: '/bin' }, reject: false };
  const sh = async (script: string, opts: SpawnOptions = {}) => spawn('/bin/sh', ['-c', script], { ...base, ...opts });

  t.test('the default profile is in force; seccomp: false removes it', async (t) => {
    t.match((await sh('grep Seccomp: /proc/self/status')).stdout, /Seccomp:\s+2/);
    t.match((await sh('grep Seccomp: /proc/self/status', { seccomp: false })).stdout, /Seccomp:\s+0/);
  });

  t.test('a Docker JSON profile file and an object profile', async (t) => {
    // Everything allowed but mkdir/mkdirat, which fail with EACCES (13).
    const profile = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }],
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulkhead-seccomp-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'profile.json');
    fs.writeFileSync(file, JSON.stringify(profile));
    for (const seccomp of [file, profile]) {
      const r = await sh('mkdir /tmp/x 2>&1; echo rc=$?; touch /tmp/y && echo touched', { seccomp });
      t.match(r.stdout, /Permission denied/, `${typeof seccomp}: mkdir refused with EACCES`);
      t.match(r.stdout, /touched/, `${typeof seccomp}: the rest allowed`);
    }
    t.throws(() => spawn('/bin/true', [], { ...base, seccomp: { defaultAction: 'SCMP_ACT_BOGUS' } }), { message: /defaultAction/ });
    t.throws(() => spawn('/bin/true', [], { ...base, seccomp: path.join(dir, 'missing.json') }), /missing\.json/);
  });
});
