export { build, type BuildOptions, type BuildResult } from './build';
export { BuildError, type BuildErrorCode } from './errors';
export { parseDockerfile, type Dockerfile, type Instruction, type Stage } from './parse/dockerfile';
