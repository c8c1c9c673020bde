import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GATEWAY_NODE_FLAGS, missingNodeFlags } from '../../src/cli/node-flags.js';

test('missing V8 flags are reported, whether given on the command line or in NODE_OPTIONS', () => {
  assert.deepEqual(missingNodeFlags([], ''), [...GATEWAY_NODE_FLAGS]);
  assert.deepEqual(missingNodeFlags(['--max-semi-space-size=32'], ''), []);
  assert.deepEqual(missingNodeFlags([], '--inspect --max_semi_space_size=128'), []);
  assert.deepEqual(missingNodeFlags(['--max-old-space-size=64'], '--max-semi'), [...GATEWAY_NODE_FLAGS]);
});
