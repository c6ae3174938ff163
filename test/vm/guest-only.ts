// The vm tier's files (*.vm.ts, guest-runner.ts) run only inside the UML guest,
// where guest-init.sh sets BULKHEAD_UML_GUEST. Run on the host by mistake (`npx
// tap dist/test/vm`, or one file by name) they would start containerd, runc and
// crun with cgroups on, which on a hybrid host write the supervisor's v1
// hierarchies. This module is each file's first import, so nothing else loads:
// a TAP plan of zero with the reason, and exit. `npx tap dist/test/vm/uml.test.js`
// (or npm test) boots the guest.
if (process.env.BULKHEAD_UML_GUEST !== '1') {
  process.stdout.write('1..0 # SKIP runs only inside the User-Mode Linux guest: npx tap dist/test/vm/uml.test.js boots it\n');
  process.exit(0);
}
export {};
