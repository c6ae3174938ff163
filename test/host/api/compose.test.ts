// docker-compose 1.29 (Debian's, through docker-py) against bulkheadd: a
// two-service project with a named volume, environment, network_mode none and
// host: up -d, ps, logs, stop, down -v, and nothing left behind; and a project
// on compose's default network, where one service reaches the other by its
// service name and down removes the network.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { withBusyboxRoot, requirementMissing } from '../../helpers/tier';
import { composeIn, composeMissing, dockerMissing, startDaemon } from '../../helpers/daemon';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PROJECT = `version: "3.8"
services:
  web:
    image: busybox
    command: sh -c 'echo "web says $$GREETING"; echo from-web > /data/msg; exec sleep 1000'
    environment:
      GREETING: bonjour
    network_mode: none
    volumes:
      - shared:/data
  worker:
    image: busybox
    command: sh -c 'while [ ! -f /data/msg ]; do sleep 0.1; done; echo "worker read $$(cat /data/msg)"; exec sleep 1000'
    network_mode: host
    volumes:
      - shared:/data
volumes:
  shared:
`;

// No network_mode: compose makes <project>_default and puts both services on it, each with its service name as an alias.
const NETWORKED = `version: "3.8"
services:
  api:
    image: busybox
    command: sh -c 'mkdir -p /www && echo "hello from api" > /www/index.html && exec httpd -f -p 80 -h /www'
  client:
    image: busybox
    command: sh -c 'until printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 api 80 | grep -q hello; do sleep 0.2; done; echo "client got $$(printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 2 api 80 | tail -n 1)"; exec sleep 1000'
    depends_on: [api]
`;


function main(rootfs: string) {
  t.test('compose: up -d, ps, logs, stop, down -v', async (t) => {
    const d = await startDaemon(t, rootfs);
    const dir = path.join(d.dir, 'demo');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), PROJECT);
    const compose = composeIn(d, dir);
    const up = await compose(['up', '-d']);
    t.equal(up.code, 0, up.out);
    t.match(up.out, /Creating volume "demo_shared" with default driver/);
    const ps = await compose(['ps']);
    t.match(ps.out, /demo_web_1\s.*\sUp/);
    t.match(ps.out, /demo_worker_1\s.*\sUp/);
    let logs = '';
    for (let i = 0; i < 50 && !/worker read from-web/.test(logs); i++) {
      await sleep(200);
      logs = (await compose(['logs'])).out;
    }
    t.match(logs, /web_1\s+\| web says bonjour/, 'environment reached the service');
    t.match(logs, /worker_1\s+\| worker read from-web/, 'the named volume is shared by both services');
    const labels = (await d.docker(['inspect', '-f', '{{index .Config.Labels "com.docker.compose.service"}} {{.HostConfig.NetworkMode}}', 'demo_web_1', 'demo_worker_1'])).stdout;
    t.equal(labels, 'web none\nworker host\n');
    // docker-compose exec (-T: no tty, the test has none) runs in the service's container.
    // The short sleep: docker-py reads the 101 answer through a buffered file and then takes
    // the raw socket, so output arriving in the same read as the answer's head is lost on its side.
    const ex = await compose(['exec', '-T', 'worker', 'sh', '-c', 'sleep 0.3; cat /data/msg']);
    t.equal(ex.code, 0, ex.out);
    t.match(ex.out, /^from-web$/m, 'compose exec ran in the worker');
    t.equal((await compose(['exec', '-T', 'web', 'sh', '-c', 'exit 4'])).code, 4, 'compose exec ends with the status');
    const stop = await compose(['stop', '-t', '1']);
    t.equal(stop.code, 0, stop.out);
    t.match((await compose(['ps'])).out, /demo_web_1\s.*Exit/);
    const down = await compose(['down', '-v']);
    t.equal(down.code, 0, down.out);
    t.match(down.out, /Removing volume demo_shared/);
    t.equal((await d.docker(['ps', '-aq'])).stdout, '', 'no container left');
    t.equal((await d.docker(['volume', 'ls', '-q'])).stdout, '', 'no volume left');
  });

  t.test('compose: the project\'s default network, a service reached by its name, down removes the network', async (t) => {
    const d = await startDaemon(t, rootfs);
    const dir = path.join(d.dir, 'netdemo');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), NETWORKED);
    const compose = composeIn(d, dir);
    const up = await compose(['up', '-d']);
    t.equal(up.code, 0, up.out);
    t.match(up.out, /Creating network "netdemo_default" with the default driver/);
    const net = JSON.parse((await d.docker(['network', 'inspect', 'netdemo_default'])).stdout)[0];
    t.match(net, { Driver: 'bridge', Labels: { 'com.docker.compose.project': 'netdemo', 'com.docker.compose.network': 'default' } });
    let logs = '';
    for (let i = 0; i < 50 && !/client got /.test(logs); i++) {
      await sleep(200);
      logs = (await compose(['logs', 'client'])).out;
    }
    t.match(logs, /client_1\s+\| client got hello from api/, 'the client reached the api by its service name');
    const inspect = JSON.parse((await d.docker(['inspect', 'netdemo_api_1'])).stdout)[0];
    t.equal(inspect.HostConfig.NetworkMode, 'netdemo_default');
    t.ok(inspect.NetworkSettings.Networks.netdemo_default.Aliases.includes('api'), 'the service name is an alias');
    const down = await compose(['down', '-t', '1']);
    t.equal(down.code, 0, down.out);
    t.match(down.out, /Removing network netdemo_default/);
    t.equal((await d.docker(['network', 'ls', '-q', '--filter', 'name=netdemo'])).stdout, '', 'the network is gone');
    t.notOk(fs.existsSync(`/sys/class/net/${net.Options['com.docker.network.bridge.name']}`), 'and its bridge');
    t.equal((await d.docker(['ps', '-aq'])).stdout, '', 'no container left');
  });
}

const missing = dockerMissing() ?? composeMissing();
if (missing) requirementMissing(missing);
else withBusyboxRoot(main);
