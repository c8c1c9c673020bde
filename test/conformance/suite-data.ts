// The backend suite's data and the committed reference outcomes, shared by the in-process
// conformance test (onnx-backend.test.ts) and the through-the-gateway one (gateway-backend.test.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const knownFailuresPath = join(repoRoot, 'test', 'conformance', 'known-failures.json');

/**
 * `failures`: cases the reference fails on every run of this suite on this kind of machine.
 * `unstable`: curated by hand, kept by regeneration; their reference outcome is not asserted.
 *   kind 'environment': depends on the machine (e.g. an installed locale); when the reference
 *   passes, the addon must pass too. kind 'random': unseeded random ops whose output matches
 *   the expected values only by chance; the addon's output is not compared.
 */
export interface UnstableCase { kind: 'environment' | 'random'; reason: string }
export interface KnownFailures {
  description: string; suite: string; reference: string; cases: number;
  failures: Record<string, string>; unstable: Record<string, UnstableCase>;
}
type DebFetch = (o: { suite: string; packages: string[]; destDir: string }) => string;

/** Fetches Debian bookworm's libonnx-testdata into .deps/onnx-testdata (once); returns data/node. */
export async function fetchTestData(): Promise<string> {
  // deb-fetch.mjs is plain ESM outside the TypeScript tree: import it by its on-disk URL.
  const mod = (await import(pathToFileURL(join(repoRoot, 'scripts', 'deb-fetch.mjs')).href)) as { debFetch: DebFetch };
  const dest = mod.debFetch({ suite: 'bookworm', packages: ['libonnx-testdata'], destDir: join(repoRoot, '.deps', 'onnx-testdata') });
  return join(dest, 'usr', 'share', 'libonnx-testdata', 'data', 'node');
}

export function readKnownFailures(): KnownFailures {
  return JSON.parse(readFileSync(knownFailuresPath, 'utf8')) as KnownFailures;
}
