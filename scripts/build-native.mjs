// Builds the native addon (build/Release/infergate_native.node) with cmake-js, offline.
//
// Which ONNX Runtime it links, in order:
//   1. INFERGATE_ORT_ROOT=<dir>: an official ORT release (CPU or GPU) or any install with
//      <dir>/include[/onnxruntime]/onnxruntime_c_api.h and <dir>/lib/libonnxruntime.so*;
//   2. the system's libonnxruntime-dev (/usr/include/onnxruntime + its libonnxruntime.so);
//   3. default: headers from Debian trixie's libonnxruntime-dev (unpacked project-locally in
//      .deps/ort-headers) and the library onnxruntime-node ships (ORT 1.30, CPU).
// The addon gets an $ORIGIN-relative rpath to that library's folder, so no LD_LIBRARY_PATH is
// ever needed. build/Release/ort-location.json records the choice.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { debFetch } from './deb-fetch.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'build');
const addonDir = join(outDir, 'Release');
const log = (msg) => console.log(`[build-native] ${msg}`);

function findLib(dir) {
  if (!existsSync(dir)) return undefined;
  // Prefer the unversioned dev link, then the soname link, then any versioned file.
  const names = readdirSync(dir).filter((n) => /^libonnxruntime\.so(\.\d+)*$/.test(n)).sort((a, b) => a.length - b.length);
  return names.length > 0 ? join(dir, names[0]) : undefined;
}

function locateOrt() {
  const envRoot = process.env.INFERGATE_ORT_ROOT;
  if (envRoot) {
    const base = resolve(envRoot);
    const include = [join(base, 'include', 'onnxruntime'), join(base, 'include')].find((d) =>
      existsSync(join(d, 'onnxruntime_c_api.h')),
    );
    const lib = findLib(join(base, 'lib')) ?? findLib(join(base, 'lib64'));
    if (!include || !lib) {
      throw new Error(
        `INFERGATE_ORT_ROOT=${envRoot}: expected include/[onnxruntime/]onnxruntime_c_api.h and lib/libonnxruntime.so* (found include: ${include ?? 'no'}, lib: ${lib ?? 'no'})`,
      );
    }
    return { source: 'INFERGATE_ORT_ROOT', include, lib };
  }
  if (existsSync('/usr/include/onnxruntime/onnxruntime_c_api.h')) {
    const lib = ['/usr/lib/x86_64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'].map(findLib).find(Boolean);
    if (lib) return { source: 'system', include: '/usr/include/onnxruntime', lib };
    log('system ORT headers found but no libonnxruntime.so; using onnxruntime-node instead');
  }
  const headersRoot = join(root, '.deps', 'ort-headers');
  const include = join(headersRoot, 'usr', 'include', 'onnxruntime');
  if (!existsSync(join(include, 'onnxruntime_c_api.h'))) {
    log('fetching ONNX Runtime headers (Debian trixie libonnxruntime-dev) into .deps/ort-headers');
    debFetch({ suite: 'trixie', packages: ['libonnxruntime-dev'], destDir: headersRoot });
  }
  const lib = join(root, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', 'linux', 'x64', 'libonnxruntime.so.1');
  if (!existsSync(lib)) {
    throw new Error(`onnxruntime-node's library is missing (${lib}); is onnxruntime-node installed? Or set INFERGATE_ORT_ROOT.`);
  }
  return { source: 'onnxruntime-node', include, lib };
}

const ort = locateOrt();
const libDir = dirname(ort.lib);
// Inside the project (onnxruntime-node): $ORIGIN-relative, so the checkout can move. Outside it
// (INFERGATE_ORT_ROOT, system): the absolute folder, which does not move with the project.
const rpath = libDir.startsWith(root + sep) ? `$ORIGIN/${relative(addonDir, libDir) || '.'}` : libDir;
log(`ORT (${ort.source}): headers ${ort.include}, library ${ort.lib}, rpath ${rpath}`);

const parallel = String(Math.max(1, Number(process.env.INFERGATE_BUILD_JOBS ?? 2)));
const cmakeJs = join(root, 'node_modules', 'cmake-js', 'bin', 'cmake-js');
const common = ['-O', outDir, '--log-level', 'warn'];
// Configure every time: `cmake-js build` alone keeps a cached configuration, so a changed ORT
// location would be ignored. Re-configuring is cheap; unchanged objects are not rebuilt.
execFileSync(process.execPath, [cmakeJs, 'configure', ...common,
  `--CDORT_INCLUDE_DIR=${ort.include}`, `--CDORT_LIB=${ort.lib}`, `--CDORT_RPATH=${rpath}`], { cwd: root, stdio: 'inherit' });
execFileSync(process.execPath, [cmakeJs, 'build', ...common, '-p', parallel], { cwd: root, stdio: 'inherit' });

mkdirSync(addonDir, { recursive: true });
writeFileSync(
  join(addonDir, 'ort-location.json'),
  JSON.stringify({ source: ort.source, include: ort.include, library: ort.lib, rpath }, null, 2) + '\n',
);
log(`built ${relative(root, join(addonDir, 'infergate_native.node'))}`);
