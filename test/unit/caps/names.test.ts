import t from 'tap';
import { CAPABILITY_NAMES, capabilityNames } from '../../../lib/caps/names';

t.test('capability bits map to their names', async (t) => {
  t.equal(CAPABILITY_NAMES.length, 41, 'CAP_CHECKPOINT_RESTORE is 40, the last');
  t.same(capabilityNames(0n), []);
  t.same(capabilityNames(1n | (1n << 21n)), ['CHOWN', 'SYS_ADMIN']);
  t.same(capabilityNames(1n << 50n), ['CAP_50'], 'unknown bits are kept by number');
});
