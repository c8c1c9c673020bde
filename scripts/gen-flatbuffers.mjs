// Regenerates the committed TypeScript for schemas/infergate.fbs.
//
//   node scripts/gen-flatbuffers.mjs               writes src/protocol/generated/infergate-generated.ts
//   node scripts/gen-flatbuffers.mjs --out DIR     writes DIR/infergate-generated.ts (used by the staleness test)
//   node scripts/gen-flatbuffers.mjs --check       exits 1 when the committed file is stale
//
// flatc must be exactly 2.0.8 (Debian bookworm's flatbuffers-compiler): other versions emit
// different code, and the committed file must be reproducible. A `flatc` on PATH is used when
// it is 2.0.8; otherwise the Debian package is fetched project-locally into .deps/flatc.
// `--ts-flat-files` makes one self-contained file (without it flatc 2.0.8 emits extensionless
// relative imports that Node's ESM resolution rejects).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debFetch } from './deb-fetch.mjs';

export const FLATC_VERSION = '2.0.8';
const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const schema = join(root, 'schemas', 'infergate.fbs');
const outName = 'infergate-generated.ts';

function versionOf(bin) {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** Path of a flatc 2.0.8 binary; fetches Debian's package into .deps/flatc when needed. */
export function findFlatc() {
  const onPath = versionOf('flatc');
  if (onPath && onPath.endsWith(` ${FLATC_VERSION}`)) return 'flatc';
  const local = join(root, '.deps', 'flatc', 'usr', 'bin', 'flatc');
  if (!existsSync(local)) {
    debFetch({ suite: 'bookworm', packages: ['flatbuffers-compiler'], destDir: join(root, '.deps', 'flatc') });
  }
  const v = versionOf(local);
  if (!v || !v.endsWith(` ${FLATC_VERSION}`)) {
    throw new Error(`gen-flatbuffers: need flatc ${FLATC_VERSION}, ${local} reports ${v ?? 'nothing'}`);
  }
  return local;
}

/** Runs flatc and returns the post-processed TypeScript source. */
export function generateSource(flatc = findFlatc()) {
  const work = mkdtempSync(join(tmpdir(), 'ig-flatc-'));
  try {
    execFileSync(flatc, ['--ts', '--ts-flat-files', '-o', work, schema], { stdio: ['ignore', 'ignore', 'inherit'] });
    const files = readdirSync(work).filter((f) => f.endsWith('.ts'));
    if (files.length !== 1) throw new Error(`gen-flatbuffers: expected one .ts file from flatc, got ${files.join(', ')}`);
    const src = readFileSync(join(work, files[0]), 'utf8');
    // The runtime package is CommonJS without an "exports" map; Node's ESM loader exposes its
    // named exports through cjs-module-lexer, and TypeScript (NodeNext) types the namespace
    // import the same way, so `import * as flatbuffers from 'flatbuffers'` is kept as flatc
    // writes it. We only check that assumption here so a flatc change cannot slip through.
    if (!src.includes("import * as flatbuffers from 'flatbuffers';")) {
      throw new Error('gen-flatbuffers: flatc output no longer imports flatbuffers as expected');
    }
    const header =
      '// GENERATED from schemas/infergate.fbs by scripts/gen-flatbuffers.mjs ' +
      `(flatc ${FLATC_VERSION} --ts --ts-flat-files). Do not edit; run \`npm run gen:flatbuffers\`.\n`;
    return header + src;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function main(argv) {
  const outIdx = argv.indexOf('--out');
  const outDir = outIdx >= 0 ? argv[outIdx + 1] : join(root, 'src', 'protocol', 'generated');
  if (!outDir) throw new Error('gen-flatbuffers: --out needs a directory');
  const source = generateSource();
  if (argv.includes('--check')) {
    const committed = join(root, 'src', 'protocol', 'generated', outName);
    const current = existsSync(committed) ? readFileSync(committed, 'utf8') : '';
    if (current !== source) {
      console.error(`gen-flatbuffers: ${committed} is stale; run npm run gen:flatbuffers`);
      process.exit(1);
    }
    return;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, outName), source);
  console.log(`gen-flatbuffers: wrote ${join(outDir, outName)}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
