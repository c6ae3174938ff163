// bulkheadd's options: dockerd's names, BULKHEAD_ROOT, refusals naming the option.
import * as os from 'node:os';
import t from 'tap';
import { parseDaemonArgs } from '../../../lib/daemon/options';

const o = parseDaemonArgs(['-H', 'unix:///tmp/x.sock', '--data-root=/tmp/r', '-G', 'staff', '--pidfile', '/tmp/p', '--rootfs-image', `busybox=${os.tmpdir()}`, '--log-level', 'debug'], {});
t.match(o, { socket: '/tmp/x.sock', root: '/tmp/r', group: 'staff', pidfile: '/tmp/p', debug: true, images: [{ name: 'busybox', dir: os.tmpdir() }] });
t.equal(parseDaemonArgs([], { BULKHEAD_ROOT: '/srv/b' }).root, '/srv/b');
t.equal(parseDaemonArgs([], {}).socket, '/run/bulkhead.sock');
t.throws(() => parseDaemonArgs(['-H', 'tcp://0.0.0.0:2375'], {}), /only unix:\/\/PATH/);
t.throws(() => parseDaemonArgs(['--rootfs-image', 'busybox'], {}), /NAME=DIR/);
t.throws(() => parseDaemonArgs(['--rootfs-image', 'Busy=/tmp'], {}), /invalid image name/);
t.throws(() => parseDaemonArgs(['--rootfs-image', 'b=/no/such'], {}), /not a directory/);
t.throws(() => parseDaemonArgs(['--bogus'], {}), /unknown option "--bogus"/);
t.throws(() => parseDaemonArgs(['--shutdown-timeout', '1.5'], {}), /whole seconds/);
t.equal(parseDaemonArgs([], {}).maxBuildContext, 4 * 1024 ** 3, 'POST /build unpacks up to 4 GiB by default');
t.equal(parseDaemonArgs(['--max-build-context', '512k'], {}).maxBuildContext, 512 * 1024);
t.equal(parseDaemonArgs(['--max-build-context=3G'], {}).maxBuildContext, 3 * 1024 ** 3);
t.equal(parseDaemonArgs(['--max-build-context', '1000'], {}).maxBuildContext, 1000);
t.throws(() => parseDaemonArgs(['--max-build-context', '1.5m'], {}), /--max-build-context: expected bytes/);
