// Lists a Triton-style model repository without loading anything:
//   <repo>/<model>/config.json            optional (see config.ts)
//   <repo>/<model>/<version>/model.onnx   version: a positive integer without leading zeros
// applies each model's version policy, and reports per model either its config and the
// version files to load, or one error. A broken model never stops the scan of the others;
// only a repository that cannot be read at all rejects.
//
// Ignored: hidden entries (".git", Kubernetes' "..data" config-map links), plain files at the
// repository level (README.md), files beside the version directories (labels, docs).
// Directories that are not version numbers are ignored with a warning (a "v2" is likely a typo),
// except warmup/ (model_warmup's data files).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError, type ModelConfig, type VersionPolicy, parseConfigJsonText, resolveModelConfig } from './config.js';
import { missingVersions } from './routing.js';
import { maxBatchSizeSource, type AutoCompleteOptions } from './auto-complete.js';

export interface ModelVersionFile {
  version: number;
  /** Absolute path of <repo>/<model>/<version>/model.onnx. */
  path: string;
}

export interface ScannedModelOk {
  name: string;
  /** Absolute path of <repo>/<model>. */
  dir: string;
  config: ModelConfig;
  /** The layer that sets max_batch_size (for auto-complete and its log line); undefined when
   *  none does, and auto-complete may set it from the ONNX file. */
  maxBatchSizeSource: string | undefined;
  /** Selected by the version policy, ascending. Never empty. */
  versions: ModelVersionFile[];
  /** Things skipped that an operator may want to know about (one line each). */
  warnings: string[];
}

export interface ScannedModelError {
  name: string;
  dir: string;
  /** One line naming the model and what is wrong with it. */
  error: string;
}

export type ScannedModel = ScannedModelOk | ScannedModelError;

export interface RepoScan {
  /** Absolute path of the repository. */
  repository: string;
  /** Every model directory, sorted by name. */
  models: ScannedModel[];
  /** Repository-level entries that are not model directories (plain files). */
  ignored: string[];
  /** Keys of ScanOptions.overrides naming no model directory (likely a typo in a flag). */
  unusedOverrides: string[];
}

export interface ScanOptions {
  /** Server-wide defaults (ServeConfig.modelDefaults), below each config.json. */
  serverDefaults?: unknown;
  /** Per-model overrides by model name (ServeConfig.modelOverrides), above each config.json. */
  overrides?: Readonly<Record<string, unknown>>;
  /** Auto-complete of max_batch_size from the ONNX file (default: the settings rows'). */
  autoComplete?: AutoCompleteOptions;
}

export const MODEL_FILE_NAME = 'model.onnx';
export const CONFIG_FILE_NAME = 'config.json';

const MODEL_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const VERSION_RE = /^[1-9][0-9]{0,14}$/;

/**
 * Undefined when `name` may name a model; otherwise why not. Names reach file paths (and come
 * from URLs in explicit model control), so only a safe character set passes: no separators,
 * no "..", no leading dot.
 */
export function checkModelName(name: string): string | undefined {
  if (MODEL_NAME_RE.test(name) && !name.includes('..')) return undefined;
  return `model name ${JSON.stringify(name)} is not allowed (letters, digits, "_", "-", "."; `
    + 'at most 128 characters; no leading "." and no "..")';
}

/** The versions a policy selects from those present (ascending), or why it cannot. */
export function selectVersions(available: readonly number[], policy: VersionPolicy): { versions: number[] } | { error: string } {
  const asc = [...available].sort((a, b) => a - b);
  if (policy.kind === 'all') return { versions: asc };
  if (policy.kind === 'latest') return { versions: asc.slice(Math.max(0, asc.length - policy.numVersions)) };
  const missing = policy.versions.filter((v) => !asc.includes(v));
  if (missing.length > 0) {
    return { error: `version_policy.specific lists version${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, `
      + `not present with a ${MODEL_FILE_NAME} (available: ${asc.length > 0 ? asc.join(', ') : 'none'})` };
  }
  return { versions: [...policy.versions].sort((a, b) => a - b) };
}

async function isDir(path: string): Promise<boolean> {
  try { return (await stat(path)).isDirectory(); } catch { return false; }
}
async function isFile(path: string): Promise<boolean> {
  try { return (await stat(path)).isFile(); } catch { return false; }
}

/** Scans the whole repository. Rejects (ConfigError) only when it is not a readable directory. */
export async function scanRepository(dir: string, opts: ScanOptions = {}): Promise<RepoScan> {
  const repository = resolve(dir);
  let names: string[];
  try {
    if (!(await stat(repository)).isDirectory()) throw new ConfigError(`model repository ${repository} is not a directory`);
    names = (await readdir(repository)).filter((n) => !n.startsWith('.')).sort();
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`model repository ${repository} cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const kinds = await Promise.all(names.map((n) => isDir(join(repository, n))));
  const modelNames = names.filter((_, i) => kinds[i]);
  const models = await Promise.all(modelNames.map((n) => scanModel(repository, n, opts)));
  const unusedOverrides = Object.keys(opts.overrides ?? {}).filter((n) => !modelNames.includes(n)).sort();
  return { repository, models, ignored: names.filter((_, i) => !kinds[i]), unusedOverrides };
}

/**
 * Scans one model (also what explicit model control calls to (re)load a model by name).
 * Never rejects: every problem becomes the model's error.
 */
export async function scanModel(repositoryDir: string, name: string, opts: ScanOptions = {}): Promise<ScannedModel> {
  const repository = resolve(repositoryDir);
  const nameError = checkModelName(name);
  // An unsafe name never reaches a path join.
  if (nameError !== undefined) return { name, dir: '', error: nameError };
  const dir = join(repository, name);
  try {
    return await scanModelDir(dir, name, opts);
  } catch (e) {
    const error = e instanceof ConfigError ? e.message
      : `${name}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))})`;
    return { name, dir, error };
  }
}

async function scanModelDir(dir: string, name: string, opts: ScanOptions): Promise<ScannedModel> {
  if (!(await isDir(dir))) return { name, dir, error: `${name}: no model directory ${dir}` };
  const entries = (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
  const warnings: string[] = [];

  const configPath = join(dir, CONFIG_FILE_NAME);
  const configSource = `${name}/${CONFIG_FILE_NAME}`;
  let config: unknown;
  if (entries.includes(CONFIG_FILE_NAME)) {
    if (!(await isFile(configPath))) return { name, dir, error: `${configSource}: is not a file` };
    config = parseConfigJsonText(await readFile(configPath, 'utf8'), configSource);
  }
  const layers = { config, serverDefaults: opts.serverDefaults, override: opts.overrides?.[name] };
  const cfg = resolveModelConfig({ modelName: name, configSource, ...layers });
  const mbsSource = maxBatchSizeSource(layers, { override: `--model-override ${name}`, config: configSource, serverDefaults: 'the server default (--max-batch-size)' });

  const available: number[] = [];
  let versionDirs = 0;
  for (const entry of entries) {
    // warmup/ holds model_warmup's input files (Triton's place for them), not a version.
    if (entry === CONFIG_FILE_NAME || entry === 'warmup' || !(await isDir(join(dir, entry)))) continue;
    if (!VERSION_RE.test(entry)) {
      warnings.push(`${name}/${entry}: ignored (version directories are positive integers without leading zeros)`);
      continue;
    }
    versionDirs++;
    if (await isFile(join(dir, entry, MODEL_FILE_NAME))) available.push(Number(entry));
    else warnings.push(`${name}/${entry}: no ${MODEL_FILE_NAME}; version ${entry} skipped`);
  }
  if (versionDirs === 0) {
    return { name, dir, error: `${name}: no version directories (expected ${name}/<version>/${MODEL_FILE_NAME})` };
  }
  if (available.length === 0) return { name, dir, error: `${name}: no version directory holds a ${MODEL_FILE_NAME}` };
  const picked = selectVersions(available, cfg.versionPolicy);
  if ('error' in picked) return { name, dir, error: `${name}: ${picked.error}` };
  const unrouted = cfg.routing && missingVersions(cfg.routing, picked.versions.map(String));
  if (unrouted) return { name, dir, error: `${name}: ${unrouted}` };
  return {
    name, dir, config: cfg, warnings, maxBatchSizeSource: mbsSource,
    versions: picked.versions.map((version) => ({ version, path: join(dir, String(version), MODEL_FILE_NAME) })),
  };
}
