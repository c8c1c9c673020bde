// Fetches Debian packages by name into a project-local folder without touching the system's
// apt configuration: a private sources list + state dir, `apt-get download`, then `dpkg -x`.
// The mirror URI is read from the machine's own apt configuration (we never write a host here).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

function mirrorUri() {
  const candidates = [];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of readdirSync(dir)) candidates.push(join(dir, f));
  candidates.push('/etc/apt/sources.list');
  for (const f of candidates) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    // deb822 format: "URIs: <uri>" next to a Debian suite; one-line format: "deb <uri> <suite> ...".
    for (const m of text.matchAll(/^URIs:\s*(\S+)/gm)) if (!/security|nodesource|google/.test(m[1])) return m[1];
    for (const m of text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(bookworm|trixie|stable)\b/gm)) return m[1];
  }
  throw new Error('deb-fetch: no Debian mirror found in /etc/apt; cannot fetch packages');
}

/**
 * Downloads and unpacks `packages` from Debian `suite` into `destDir` (created).
 * Returns destDir. Idempotent: skips when `destDir/.done-<suite>` lists the same packages.
 */
export function debFetch({ suite, packages, destDir }) {
  destDir = resolve(destDir);
  const stamp = join(destDir, `.done-${suite}`);
  const want = packages.join(' ');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return destDir;
  const work = join(destDir, '.apt');
  const lists = join(work, 'lists');
  const debs = join(work, 'debs');
  mkdirSync(join(lists, 'partial'), { recursive: true });
  mkdirSync(debs, { recursive: true });
  const sourceList = join(work, 'sources.list');
  writeFileSync(sourceList, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirrorUri()} ${suite} main\n`);
  const opts = [
    `-oDir::Etc::SourceList=${sourceList}`,
    '-oDir::Etc::SourceParts=/dev/null',
    `-oDir::State::Lists=${lists}`,
    `-oDir::Cache=${join(work, 'cache')}`,
    '-oAPT::Architecture=amd64',
    '-oDebug::NoLocking=1',
    '-qq',
  ];
  mkdirSync(join(work, 'cache', 'archives', 'partial'), { recursive: true });
  execFileSync('apt-get', [...opts, 'update'], { stdio: ['ignore', 'ignore', 'inherit'] });
  execFileSync('apt-get', [...opts, 'download', ...packages], { cwd: debs, stdio: ['ignore', 'ignore', 'inherit'] });
  for (const f of readdirSync(debs)) if (f.endsWith('.deb')) execFileSync('dpkg', ['-x', join(debs, f), destDir]);
  writeFileSync(stamp, want);
  return destDir;
}
