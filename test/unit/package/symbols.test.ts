import t from 'tap';
import { compareVersions, tooNew, versionedSymbols } from '../../host/package/symbols';

// Lines as binutils 2.40 prints them for an addon built against glibc 2.36.
const DUMP = `
build/Release/bulkhead.node:     file format elf64-x86-64

DYNAMIC SYMBOL TABLE:
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.2.5) close
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.28) fcntl64
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.32) sigabbrev_np
0000000000000000      DF *UND*\t0000000000000000 (GLIBCXX_3.4.21) _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE9_M_createERmm
0000000000000000      DF *UND*\t0000000000000000 (GLIBCXX_3.4.29) _ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE7reserveEv
0000000000000000      DF *UND*\t0000000000000000 (CXXABI_1.3.9) _ZdlPvm
0000000000000000      DF *UND*\t0000000000000000 (GLIBC_PRIVATE) __libc_secure_getenv
0000000000000000  w   D  *UND*\t0000000000000000  Base        __gmon_start__
0000000000012340 g    DF .text\t0000000000000020  Base        napi_register_module_v1
`;

t.test('versioned symbols are read from objdump -T', async (t) => {
  const v = versionedSymbols(DUMP);
  t.equal(v.length, 7);
  t.same(v[2], { library: 'GLIBC', version: '2.32', symbol: 'sigabbrev_np' });
  t.same(v[5], { library: 'CXXABI', version: '1.3.9', symbol: '_ZdlPvm' });
});

t.test('versions compare by number, not by text', async (t) => {
  t.equal(compareVersions('2.9', '2.28'), -1);
  t.equal(compareVersions('2.28', '2.28'), 0);
  t.equal(compareVersions('3.4.29', '3.4.25'), 1);
  t.equal(compareVersions('1.3', '1.3.11'), -1);
});

t.test('what glibc 2.28 and GCC 8 lack is flagged, and only that', async (t) => {
  t.same(tooNew(DUMP), [
    'sigabbrev_np (GLIBC_2.32)',
    '_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE7reserveEv (GLIBCXX_3.4.29)',
    '__libc_secure_getenv (GLIBC_PRIVATE)',
  ]);
  t.same(tooNew('0000000000000000      DF *UND*\t0000000000000000 (GLIBC_2.17) close\n'), []);
});
