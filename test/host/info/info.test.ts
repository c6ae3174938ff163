// `bulkhead info` against this host's real kernel: each fact checked against an
// independent source (statfs, /proc, the v2 hierarchy's own files).
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { needRoot } from '../../helpers/tier';

const CLI = path.resolve(__dirname, '..', '..', '..', 'lib', 'cli', 'main.js');
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

/** The filesystem type of a path as statfs(2) reports it, through coreutils stat. */
const fsType = (p: string) => execFileSync('stat', ['-f', '-c', '%T', p], { encoding: 'utf8' }).trim();

if (needRoot()) {
  const res = cli('info', '--json');
  const info = JSON.parse(res.stdout);

  t.test('cgroup mode matches the mounts', async (t) => {
    t.equal(res.status, 0);
    const top = fsType('/sys/fs/cgroup');
    const expected = top === 'cgroup2fs' ? 'unified' : fs.existsSync('/sys/fs/cgroup/unified') && fsType('/sys/fs/cgroup/unified') === 'cgroup2fs' ? 'hybrid' : 'legacy';
    t.equal(info.cgroup.mode, expected, `statfs says ${expected}`);
    if (expected === 'hybrid') t.equal(info.cgroup.mountpoint, '/sys/fs/cgroup/unified');
    const offered = fs.readFileSync(path.join(info.cgroup.mountpoint, 'cgroup.controllers'), 'utf8').trim();
    t.same(info.cgroup.controllers, offered ? offered.split(' ') : [], 'only what the v2 root offers');
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8').match(/^0::(.*)$/m)?.[1];
    t.equal(info.cgroup.current, own, 'current cgroup as /proc/self/cgroup has it (same cgroup as the child)');
    for (const c of info.cgroup.v1Controllers) t.notOk(info.cgroup.controllers.includes(c), `${c} is not claimed for v2`);
  });

  t.test('on a hybrid host, each limit controller held by v1 is a missing line saying where', { skip: info.cgroup.mode !== 'hybrid' && 'host is not hybrid' }, async (t) => {
    for (const c of ['memory', 'cpu', 'pids', 'io']) {
      if (info.cgroup.controllers.includes(c)) continue;
      const m = info.missing.find((x: { feature: string }) => x.feature === `cgroup ${c}`);
      t.ok(m, `${c} listed as missing`);
      t.match(m?.detail, new RegExp(`${c} is bound to the cgroup v1 hierarchy at /sys/fs/cgroup/`));
    }
    const human = cli('info');
    t.match(human.stdout, /^Cgroup mode +hybrid$/m);
    t.match(human.stdout, /^Missing:\n {2}- cgroup /m);
  });

  t.test('probes: clone3, pidfd, CLONE_INTO_CGROUP and capabilities are the kernel\'s', async (t) => {
    const [maj, min] = info.kernel.release.split('.').map(Number);
    const modern = maj > 5 || (maj === 5 && min >= 7);
    t.equal(info.clone3.available, modern, 'clone3 since 5.3, CLONE_INTO_CGROUP since 5.7');
    t.equal(info.clone3.intoCgroup, modern);
    t.equal(info.clone3.pidfd, modern);
    const capEff = BigInt('0x' + fs.readFileSync('/proc/self/status', 'utf8').match(/^CapEff:\s*([0-9a-f]+)$/m)?.[1]);
    let bits = 0;
    for (let b = 0n; b < 64n; b++) if ((capEff >> b) & 1n) bits++;
    t.equal(info.capabilities.effective.length, bits, 'as many names as CapEff bits');
    t.ok(info.capabilities.effective.includes('SYS_ADMIN'), 'root has CAP_SYS_ADMIN');
    t.equal(info.kernel.release, fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim());
    t.equal(info.overlayfs, /\toverlay$/m.test(fs.readFileSync('/proc/filesystems', 'utf8')));
    t.equal(info.userNamespaces.maxUserNamespaces, Number(fs.readFileSync('/proc/sys/user/max_user_namespaces', 'utf8')));
    t.ok(info.host.cores >= 1 && info.host.memoryBytes > 0, 'host facts from /proc and /etc/os-release');
  });
}
