// Volumes share the engine's error type (NOT_FOUND, CONFLICT, INVALID_PARAMETER).
export { EngineError, notFound, conflict, invalid } from '../util/engine-error';
