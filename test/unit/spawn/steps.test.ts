// The child's step names come from one list (native/spawn/plan.h's
// BULKHEAD_CHILD_STEPS): the addon exports them in wire order, and the steps
// lib/spawn treats specially are among them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { childSteps, INDEXED_STEPS, PARENT_STEPS } from '../../../lib/spawn/steps';

t.test('the addon exports the steps of plan.h, in order', async (t) => {
  const header = fs.readFileSync(path.resolve(__dirname, '../../../../native/spawn/plan.h'), 'utf8');
  const list = /#define BULKHEAD_CHILD_STEPS\(X\)([\s\S]*?)\n\n/.exec(header)?.[1] ?? '';
  const names = [...list.matchAll(/X\(\w+, "([^"]+)"\)/g)].map((m) => m[1]);
  t.ok(names.length > 20, 'the list was found in plan.h');
  t.same(childSteps(), names, 'same names, same order');
  t.equal(new Set(childSteps()).size, childSteps().length, 'no name twice');
  t.notOk(/kStep\w+\s*[,=]/.test(header.replace(/kStepCount/g, '')), 'no second hand-written enum');
});

t.test('every step lib/spawn names is a step', async (t) => {
  for (const s of INDEXED_STEPS) t.ok(childSteps().includes(s), s);
  for (const s of PARENT_STEPS) t.notOk(childSteps().includes(s), `${s} is the parent's own`);
});
