// The scale-out script's HAProxy configuration: the settings that make failover lossless are
// there (ready checks over HTTP/1.1 with a Host header, L7 retries with buffered bodies, every
// replica listed), and HAProxy itself accepts the file (`haproxy -c`) where it is installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findHaproxy, haproxyConfig } from '../../bench/scale/haproxy.js';

const cfg = haproxyConfig(18000, [18001, 18002, 18003]);

test('the proxy checks readiness over HTTP/1.1 and retries idempotent infers elsewhere', () => {
  assert.match(cfg, /bind 127\.0\.0\.1:18000/);
  assert.deepEqual([...cfg.matchAll(/server r\d 127\.0\.0\.1:(\d+)/g)].map((m) => m[1]), ['18001', '18002', '18003']);
  assert.match(cfg, /http-check send meth GET uri \/v2\/health\/ready ver HTTP\/1\.1 hdr Host localhost/);
  assert.match(cfg, /retry-on conn-failure empty-response 503/);
  assert.match(cfg, /option http-buffer-request/, 'a POST can only be resent when its body was buffered');
  assert.match(cfg, /option redispatch/);
});

const haproxy = findHaproxy();
test('HAProxy accepts the configuration (haproxy -c)', { skip: haproxy ? false : 'haproxy is not installed here (apt-get install -y haproxy)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'infergate-haproxy-'));
  try {
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, cfg);
    const out = execFileSync(haproxy!, ['-c', '-f', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    assert.match(out, /Configuration file is valid/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
