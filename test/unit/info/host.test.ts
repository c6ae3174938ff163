import t from 'tap';
import { cpuCount, cpuModel, distroName, memTotal } from '../../../lib/info/host';

t.test('cpuinfo: x86 model name and logical CPUs; arm64 without a model is null', async (t) => {
  const x86 = 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz\n';
  t.equal(cpuModel(x86), 'Intel(R) Xeon(R) CPU @ 2.20GHz');
  t.equal(cpuCount(x86), 2);
  const arm = 'processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n';
  t.equal(cpuModel(arm), null);
  t.equal(cpuCount(arm), 2);
  t.equal(cpuCount(''), 0);
});

t.test('meminfo: MemTotal in kB is bytes', async (t) => {
  t.equal(memTotal('MemTotal:        8040192 kB\nMemFree:         1000 kB\n'), 8040192 * 1024);
  t.equal(memTotal('MemFree: 1 kB\n'), null);
});

t.test('os-release: PRETTY_NAME, else NAME and VERSION_ID; quotes and escapes', async (t) => {
  t.equal(distroName('NAME="Debian GNU/Linux"\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
  t.equal(distroName("NAME='Alpine Linux'\nVERSION_ID=3.20.0\n"), 'Alpine Linux 3.20.0');
  t.equal(distroName('# comment\nPRETTY_NAME="a \\"quoted\\" name"\n'), 'a "quoted" name');
  t.equal(distroName(''), null);
});
