// WWW-Authenticate challenges (RFC 7235) as registries send them.
import t from 'tap';
import { parseChallenge } from '../../../lib/image/registry/auth';

t.same(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'), {
  scheme: 'bearer',
  params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
});
t.same(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
t.same(parseChallenge('Bearer realm=http://127.0.0.1:1/t, service=x'), { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/t', service: 'x' } });
t.equal(parseChallenge(''), null);
