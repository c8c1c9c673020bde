// Request-size limits of `infergate serve` beyond --max-body-bytes: what one KServe JSON body (or
// binary-extension JSON header) may hold, checked before the decoder allocates for it, and the
// size above which such JSON is checked and parsed off the HTTP thread. Server-wide (group
// 'server'), in their own table so that the listener's table stays about the listener.
import { defineTable } from './types.js';

export const LIMIT_SETTINGS = defineTable('server', {
  maxInputs: {
    flag: 'max-inputs', kind: { type: 'int', min: 1, max: 65536 }, default: 256, unit: 'tensors',
    help: 'Input tensors (and requested outputs) per request, in every wire format.',
  },
  maxJsonElements: {
    flag: 'max-json-elements', kind: { type: 'int', min: 1, max: 1 << 30 }, default: 16 * 1024 * 1024, unit: 'values', decision: '015',
    help: 'JSON values (array elements and object members) in one request body, and tensor elements given as JSON data.',
  },
  maxJsonStringBytes: {
    flag: 'max-json-string-bytes', kind: { type: 'bytes', min: 1, max: 1 << 30 }, default: 1024 * 1024, unit: 'bytes', decision: '015',
    help: 'UTF-8 bytes of one JSON string (a BYTES element, a name, an id, a parameter).',
  },
  maxJsonDepth: {
    flag: 'max-json-depth', kind: { type: 'int', min: 4, max: 1024 }, default: 32, unit: 'levels', decision: '015',
    help: 'Nesting of arrays and objects in one JSON body; objects may sit only where a KServe request has them.',
  },
  jsonOffloadBytes: {
    flag: 'json-offload-bytes', kind: { type: 'bytes', min: 0, max: 1 << 30 }, default: 64 * 1024, unit: 'bytes', decision: '015',
    help: 'JSON bodies (and binary-extension headers) larger than this are checked and parsed on a decode thread, not the HTTP thread.',
  },
});
