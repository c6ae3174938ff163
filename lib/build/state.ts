// The image a build step leaves: its config (the OCI/Docker image config JSON,
// image-spec config.md) and its layers. Each step's id is the digest of its
// config, as `docker build` prints ` ---> <id>` for every intermediate image.
import { createHash } from 'node:crypto';
import type { ImageConfig, ImageRunConfig } from '../image/manifest';
import type { LayerRecord, Platform } from '../image/store/store';

export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The Config object of an image config, with the fields a Dockerfile sets. */
export interface ContainerConfig extends ImageRunConfig {
  Shell?: string[];
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  ArgsEscaped?: boolean;
}

export interface HistoryEntry {
  created: string;
  created_by: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface BuildConfig extends Omit<ImageConfig, 'config' | 'history'> {
  author?: string;
  config: ContainerConfig;
  history: HistoryEntry[];
}

export interface StepState {
  id: string;
  config: BuildConfig;
  layers: LayerRecord[];
}

export function configBytes(config: BuildConfig): Buffer {
  return Buffer.from(JSON.stringify(config));
}

export function stateOf(config: BuildConfig, layers: LayerRecord[]): StepState {
  return { id: `sha256:${createHash('sha256').update(configBytes(config)).digest('hex')}`, config, layers };
}

export function scratch(platform: Platform): StepState {
  return stateOf(
    {
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: {},
      rootfs: { type: 'layers', diff_ids: [] },
      history: [],
    },
    [],
  );
}

/** A copy of the state's config for the next step to change. */
export function nextConfig(s: StepState): BuildConfig {
  return JSON.parse(JSON.stringify(s.config)) as BuildConfig;
}

/** Env as a map (later entries win, as the kernel's environ would). */
export function envMap(env: string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) m.set(e.slice(0, i), e.slice(i + 1));
    else if (i < 0) m.set(e, '');
  }
  return m;
}

export function setEnv(cfg: ContainerConfig, key: string, value: string): void {
  const env = (cfg.Env ?? []).filter((e) => e.split('=')[0] !== key);
  env.push(`${key}=${value}`);
  cfg.Env = env;
}

export const short = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
