// The router: one-segment and rest-of-path parameters, 404 against 405, HEAD as GET.
import t from 'tap';
import { Router } from '../../../lib/api/router';

const r = new Router<string>().add('GET', '/containers/{id}/json', 'inspect').add('DELETE', '/containers/{id}', 'rm').add('GET', '/images/{name*}/json', 'image');
t.same(r.match('GET', '/containers/abc/json'), { handler: 'inspect', params: { id: 'abc' } });
t.same(r.match('HEAD', '/containers/abc/json'), { handler: 'inspect', params: { id: 'abc' } });
t.same(r.match('GET', '/images/library/busybox:1.36/json'), { handler: 'image', params: { name: 'library/busybox:1.36' } }, 'image names keep their slashes');
t.same(r.match('DELETE', '/containers/a%20b'), { handler: 'rm', params: { id: 'a b' } });
t.same(r.match('POST', '/containers/abc/json'), { miss: 405 });
t.same(r.match('GET', '/nope'), { miss: 404 });
t.same(r.match('GET', '/containers/a/b/json'), { miss: 404 }, 'a container id is one segment');
