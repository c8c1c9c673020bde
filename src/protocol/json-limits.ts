// Limits on one KServe JSON body (or binary-extension JSON header), checked BEFORE the parser
// allocates anything for it. JSON.parse of hostile text allocates per value: 63 MB of `{}`
// became 2 GiB of objects and blocked the event loop for 9 s (issue 16). scanJson() walks the
// bytes once, allocating nothing, and refuses a body whose shape could not be a KServe request
// within the limits: too many values, a string too long, nesting too deep, or an object where a
// KServe request has none (inside tensor data). Only a body that passes goes to JSON.parse, whose
// allocation is then bounded by the limits (see docs/decisions/015 for the multiple of the body).
//
// Which bodies are scanned: those larger than scanAboveBytes. A smaller body bounds the parser's
// allocation by its own size, and the request checks (max inputs, tensor elements, BYTES string
// bytes: kserve-request.ts) apply to every body, scanned or not.
import { err } from '../core/errors.js';
import { LIMIT_SETTINGS } from '../core/settings/index.js';

export interface JsonLimits {
  /** Input tensors, and requested outputs, per request. */
  maxInputs: number;
  /** JSON values (array elements and object members) per body; tensor elements per input. */
  maxElements: number;
  /** Bytes of one JSON string as sent (escapes count as written). */
  maxStringBytes: number;
  /** Nesting of arrays and objects. */
  maxDepth: number;
  /** Bodies larger than this are scanned before JSON.parse (0 = every body). */
  scanAboveBytes: number;
}

export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxInputs: LIMIT_SETTINGS.maxInputs.default,
  maxElements: LIMIT_SETTINGS.maxJsonElements.default,
  maxStringBytes: LIMIT_SETTINGS.maxJsonStringBytes.default,
  maxDepth: LIMIT_SETTINGS.maxJsonDepth.default,
  scanAboveBytes: LIMIT_SETTINGS.jsonOffloadBytes.default,
});

/** The deepest nesting at which a KServe request has an object: the request (0), its
 *  parameters (1), inputs[i] and outputs[i] (2), their parameters (3). Tensor data never holds
 *  one, so `[{},{},...]` is refused at its first `{`, before any value is built. */
const MAX_OBJECT_DEPTH = 3;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const LBRACKET = 0x5b;
const RBRACE = 0x7d;
const RBRACKET = 0x5d;
const COMMA = 0x2c;

/**
 * Checks `bytes` (UTF-8 JSON) against `limits` without allocating; throws IG_BAD_REQUEST naming
 * the limit. Not a validator: malformed JSON that stays within the limits passes, and JSON.parse
 * rejects it afterwards. Values are counted as containers opened plus commas outside strings
 * (within one per container of the true count).
 */
export function scanJson(bytes: Uint8Array, limits: JsonLimits, what: string): void {
  const n = bytes.length;
  const { maxElements, maxStringBytes, maxDepth } = limits;
  let depth = 0;
  let values = 0;
  for (let i = 0; i < n; i++) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      const start = i + 1;
      const stop = Math.min(n, start + maxStringBytes + 1);
      let j = start;
      while (j < stop) {
        const d = bytes[j]!;
        if (d === QUOTE) break;
        j += d === BACKSLASH ? 2 : 1;
      }
      if (j - start > maxStringBytes) {
        throw err('IG_BAD_REQUEST', `${what}: a JSON string at byte ${i} is longer than ${maxStringBytes} bytes (--max-json-string-bytes)`);
      }
      i = j;
    } else if (c === COMMA) {
      if (++values > maxElements) tooMany(what, maxElements);
    } else if (c === LBRACKET || c === LBRACE) {
      if (c === LBRACE && depth > MAX_OBJECT_DEPTH) {
        throw err('IG_BAD_REQUEST',
          `${what}: a JSON object at byte ${i} is nested ${depth} levels deep; a KServe request has objects only at the top, ` +
          'in parameters, inputs and outputs (tensor data holds numbers, booleans or strings)');
      }
      if (++depth > maxDepth) throw err('IG_BAD_REQUEST', `${what}: JSON nesting exceeds ${maxDepth} levels (--max-json-depth)`);
      if (++values > maxElements) tooMany(what, maxElements);
    } else if (c === RBRACKET || c === RBRACE) {
      if (depth > 0) depth--;
    }
  }
}

function tooMany(what: string, max: number): never {
  throw err('IG_BAD_REQUEST', `${what} holds more than ${max} JSON values (--max-json-elements)`);
}
