import t from 'tap';
import { parsePublish } from '../../../../lib/network/ports/parse';

t.test('-p forms as docker run reads them', async (t) => {
  t.same(parsePublish('80'), [{ hostIp: '', containerPort: 80, proto: 'tcp' }]);
  t.same(parsePublish('8080:80'), [{ hostIp: '', hostPort: 8080, containerPort: 80, proto: 'tcp' }]);
  t.same(parsePublish('127.0.0.1:8080:80/udp'), [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, proto: 'udp' }]);
  t.same(parsePublish('127.0.0.1::80'), [{ hostIp: '127.0.0.1', containerPort: 80, proto: 'tcp' }]);
  t.same(parsePublish('8000-8001:80-81').map((p) => [p.hostPort, p.containerPort]), [[8000, 80], [8001, 81]]);
});

t.test('bad input names the value', async (t) => {
  t.throws(() => parsePublish('90-80'), { message: /port range 90-80 is backwards/ });
  t.throws(() => parsePublish('70000'), { message: /port "70000" must be 1 to 65535/ });
  t.throws(() => parsePublish('80/sctp'), { message: /protocol "sctp"/ });
  t.throws(() => parsePublish('1.2.3:80:80'), { message: /host address "1.2.3"/ });
  t.throws(() => parsePublish('8000-8002:80-81'), { message: /differ in length/ });
});
