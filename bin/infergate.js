#!/usr/bin/env -S node --max-semi-space-size=64
// (The V8 flag: see src/cli/node-flags.ts. `node bin/infergate.js` skips the shebang; pass it there.)
// The `infergate` command. The TypeScript build (npm ci runs it) writes dist/.
import { existsSync } from 'node:fs';
const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('infergate: dist/ is missing; run `npm ci` (or `npm run build`) in the checkout first');
  process.exit(1);
}
const { runCli } = await import(main.href);
// Exit explicitly: after a drain, idle keep-alive sockets must not keep the process around.
// (stdout/stderr writes to pipes and files are synchronous on Linux, so nothing is lost.)
process.exit(await runCli(process.argv.slice(2)));
