// One entry point for everything `npm ci` must do after packages are in place:
//   1. ONNX Runtime C/C++ headers (Debian's libonnxruntime-dev, project-local) unless the
//      user points INFERGATE_ORT_ROOT at an ORT release (include/ + lib/);
//   2. the native addon (cmake-js, offline via node-api-headers);
//   3. the TypeScript build;
//   4. the demo model repository (seeded, generated, never committed).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const step = (msg) => console.log(`[infergate setup] ${msg}`);

step('native addon');
run(process.execPath, [join(root, 'scripts/build-native.mjs')]);
step('typescript');
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
// The client's type declarations (import { InferClient } from 'infergate/client' in TypeScript).
run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.client.json']);
step('demo models');
const gen = join(root, 'dist/scripts/gen-demo-models.js');
if (existsSync(gen)) run(process.execPath, [gen, join(root, 'models')]);
step('done');
