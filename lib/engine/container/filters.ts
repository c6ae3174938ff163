// docker ps filters with Docker's meanings (daemon/list.go): values of one key
// are alternatives (OR) except label, whose values must all match; keys combine
// with AND. Unknown keys and bad values are refused.
import type { ContainerRecord, Status } from './record';
import { invalid } from '../../util/engine-error';

export type ListFilters = Partial<Record<'status' | 'label' | 'name' | 'id' | 'ancestor' | 'exited', string[]>>;

const KEYS = ['status', 'label', 'name', 'id', 'ancestor', 'exited'];
const STATUSES: Status[] = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export type Matcher = (r: ContainerRecord) => boolean;

export function compileFilters(filters: ListFilters | undefined): Matcher {
  if (filters === undefined) return () => true;
  if (typeof filters !== 'object' || filters === null) throw invalid(`invalid filters: ${JSON.stringify(filters)}`);
  const tests: Matcher[] = [];
  for (const [key, raw] of Object.entries(filters)) {
    if (!KEYS.includes(key)) throw invalid(`invalid filter '${key}'`);
    const values = Array.isArray(raw) ? raw : [raw];
    if (values.length === 0) continue;
    if (values.some((v) => typeof v !== 'string')) throw invalid(`invalid filter '${key}': values must be strings`);
    switch (key) {
      case 'status':
        for (const v of values) if (!STATUSES.includes(v as Status)) throw invalid(`invalid filter 'status=${v}'`);
        tests.push((r) => values.includes(r.State.Status));
        break;
      case 'label':
        tests.push((r) =>
          values.every((v) => {
            const i = v.indexOf('=');
            const labels = r.Config.Labels ?? {};
            return i < 0 ? v in labels : labels[v.slice(0, i)] === v.slice(i + 1);
          }),
        );
        break;
      case 'name': {
        // Docker matches names as regular expressions against "/name".
        const res = values.map((v) => {
          try {
            return new RegExp(v);
          } catch {
            throw invalid(`invalid filter 'name=${v}': not a regular expression`);
          }
        });
        tests.push((r) => res.some((re) => re.test(r.Name)));
        break;
      }
      case 'id':
        tests.push((r) => values.some((v) => r.Id.startsWith(v)));
        break;
      case 'ancestor':
        tests.push((r) => values.some((v) => v === r.Config.Image || v === r.Config.Rootfs));
        break;
      case 'exited': {
        const codes = values.map((v) => {
          if (!/^-?\d+$/.test(v)) throw invalid(`invalid filter 'exited=${v}'`);
          return Number(v);
        });
        tests.push((r) => r.State.Status === 'exited' && codes.includes(r.State.ExitCode));
        break;
      }
    }
  }
  return (r) => tests.every((t) => t(r));
}
