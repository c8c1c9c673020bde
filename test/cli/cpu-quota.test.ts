// CPU quota detection (src/cli/cpu-quota.ts) over fake cgroup trees, v1 and v2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuotaCores, type ReadText } from '../../src/cli/cpu-quota.js';

const fs = (files: Record<string, string>): ReadText => (path) => files[path];

test('cgroup v2: no quota anywhere is undefined', () => {
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': '0::/app\n', '/sys/fs/cgroup/app/cpu.max': 'max 100000\n', '/sys/fs/cgroup/cpu.max': 'max 100000' })), undefined);
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': '0::/\n' })), undefined, 'no cpu.max file at all');
});

test('cgroup v2: a quota on the process cgroup or any ancestor counts; the tightest wins', () => {
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': '150000 100000\n' })), 1.5);
  assert.equal(cpuQuotaCores(fs({
    '/proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
    '/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000',
    '/sys/fs/cgroup/kubepods/pod1/cpu.max': '50000 100000',
    '/sys/fs/cgroup/kubepods/cpu.max': '400000 100000',
  })), 0.5);
});

test('cgroup v1: cfs_quota_us -1 is none; a quota over its period gives cores', () => {
  const self = '4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/\n';
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': self, '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '-1\n' })), undefined);
  assert.equal(cpuQuotaCores(fs({
    '/proc/self/cgroup': self,
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '200000\n',
    '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
  })), 2);
  // Mounted as plain "cpu" (some distributions), with the default period.
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': '2:cpu:/svc\n', '/sys/fs/cgroup/cpu/svc/cpu.cfs_quota_us': '25000' })), 0.25);
});

test('no cgroup information (not Linux) is undefined; garbage lines are ignored', () => {
  assert.equal(cpuQuotaCores(fs({})), undefined);
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': 'garbage\n\n1:name=systemd:/\n' })), undefined);
  assert.equal(cpuQuotaCores(fs({ '/proc/self/cgroup': '0::/\n', '/sys/fs/cgroup/cpu.max': 'nonsense' })), undefined);
});

test('this machine: runs without throwing', () => {
  const q = cpuQuotaCores();
  assert.ok(q === undefined || q > 0);
});
