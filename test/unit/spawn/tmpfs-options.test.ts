import t from 'tap';
import { applyTmpfsOption, type TmpfsFlags } from '../../../lib/spawn/tmpfs-options';

t.test('applyTmpfsOption: mode, ro/rw, exec/noexec, later over earlier; nosuid and nodev accepted; others refused', async (t) => {
  const m: TmpfsFlags = { noexec: true };
  for (const o of ['mode=1777', 'ro', 'exec', 'rw', 'nosuid', 'nodev']) t.ok(applyTmpfsOption(m, o), o);
  t.same(m, { noexec: false, mode: 0o1777, readonly: false });
  t.ok(applyTmpfsOption(m, 'noexec'));
  t.equal(m.noexec, true, 'the later one wins');
  for (const o of ['suid', 'dev', 'mode=8', 'mode=', 'size=1m', 'nr_inodes=5']) t.notOk(applyTmpfsOption(m, o), `${o}: not this function's`);
  t.same(m, { noexec: true, mode: 0o1777, readonly: false }, 'a refused option changes nothing');
});
