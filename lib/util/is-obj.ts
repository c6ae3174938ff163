// The one test every parser of JSON input (config.json, the Engine API's
// bodies, spawn()'s options) makes before reading fields: a plain object, not
// null and not an array, whose fields are then checked one by one.

/** Whether a value is an object with fields: not null, not an array. */
export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
