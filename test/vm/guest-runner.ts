// Lean runner inside the UML guest: node starts once (about a second there) and
// loads every *.vm.js of the vm tier into one tap root, which prints one TAP
// stream. Running each file under tap's own runner costs its loaders per file.
import './guest-only';
import * as fs from 'node:fs';
import * as path from 'node:path';

const only = process.env.BULKHEAD_VM_ONLY;
const files = fs
  .readdirSync(__dirname)
  .filter((f) => f.endsWith('.vm.js'))
  .filter((f) => !only || only.split(',').some((o) => f.startsWith(o)))
  .sort();
for (const f of files) require(path.join(__dirname, f));
