// Go's zero values, as a Go client (the docker CLI, compose) sends every field
// of a struct it fills: a field that holds one was not set by the user, and
// any other value is a setting that must be applied or refused, never dropped.
import { isObj } from './is-obj';

/** Go's zero value for a field of any type: null, "", 0, false, [], or an object of zero values. */
export function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.values(v).every(isZero);
  return false;
}
