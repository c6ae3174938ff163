// API versioning as dockerd does it (api/server/middleware/version.go): paths
// with or without a /vX.Y prefix; a prefix above API_VERSION or below
// MIN_API_VERSION is refused with 400 and Docker's wording. The endpoints,
// request and response shapes follow the Engine API v1.43 (moby
// api/swagger.yaml at that version); a newer client (docker 28 speaks 1.50)
// negotiates down to it from /_ping's API-Version header.
import { HttpError } from './errors';

export const API_VERSION = '1.43';
export const MIN_API_VERSION = '1.41';

/** Compares two "major.minor" versions: <0, 0, >0. */
export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am !== bm ? am! - bm! : an! - bn!;
}

/** Splits "/v1.43/containers/json" into its version and the path; checks the version. */
export function stripVersion(pathname: string): { version: string; path: string } {
  const m = /^\/v([0-9]+\.[0-9]+)(\/.*)?$/.exec(pathname);
  if (!m) return { version: API_VERSION, path: pathname };
  const version = m[1]!;
  if (compareVersions(version, API_VERSION) > 0) throw new HttpError(400, `client version ${version} is too new. Maximum supported API version is ${API_VERSION}`);
  if (compareVersions(version, MIN_API_VERSION) < 0) {
    throw new HttpError(400, `client version ${version} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
  }
  return { version, path: m[2] ?? '/' };
}
