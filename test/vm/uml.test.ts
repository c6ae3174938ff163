// The vm tier: runs inside User-Mode Linux, a real 6.1 kernel with a pure
// cgroup v2 hierarchy. See boot.ts.
import * as path from 'node:path';
import t from 'tap';
import { requirementMissing } from '../helpers/tier';
import { vmUnavailable } from './boot';

const why = vmUnavailable();
if (why) {
  requirementMissing(`vm tier: ${why}`);
} else {
  t.spawn(process.execPath, [path.join(__dirname, 'boot.js')], { timeout: 0 }, 'vm tier (User-Mode Linux guest)');
}
