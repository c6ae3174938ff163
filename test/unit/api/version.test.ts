// API versioning: prefixes, the bounds and dockerd's wording.
import t from 'tap';
import { stripVersion, compareVersions, API_VERSION, MIN_API_VERSION } from '../../../lib/api/version';

t.equal(API_VERSION, '1.43');
t.equal(MIN_API_VERSION, '1.41');
t.same(stripVersion('/v1.43/containers/json'), { version: '1.43', path: '/containers/json' });
t.same(stripVersion('/v1.41/_ping'), { version: '1.41', path: '/_ping' });
t.same(stripVersion('/containers/json'), { version: '1.43', path: '/containers/json' }, 'no prefix: the current version');
t.same(stripVersion('/v1.43'), { version: '1.43', path: '/' });
t.throws(() => stripVersion('/v1.44/info'), { statusCode: 400, message: 'client version 1.44 is too new. Maximum supported API version is 1.43' });
t.throws(() => stripVersion('/v1.24/info'), { statusCode: 400, message: /^client version 1.24 is too old. Minimum supported API version is 1.41/ });
t.ok(compareVersions('1.9', '1.10') < 0, 'numeric, not lexical');
t.equal(compareVersions('1.43', '1.43'), 0);
