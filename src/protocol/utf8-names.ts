// UTF-8 bytes of the strings the FlatBuffers encoders write: names (model, tensor, parameter
// names; cached, they repeat on every message) and one-off strings (ids, messages).
const utf8Encoder = new TextEncoder();
/** Bounded so that callers' ids, should they ever come through here, cannot grow it. */
const nameCache = new Map<string, Uint8Array>();
const NAME_CACHE_MAX = 4096;

/** UTF-8 bytes of `s`. TextEncoder costs about 1 us per call from JS, so short ASCII strings
 *  (nearly all names and ids) are encoded by hand. */
export function utf8(s: string): Uint8Array {
  const n = s.length;
  if (n <= 256) {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[i] = c;
    }
    if (i === n) return out;
  }
  return utf8Encoder.encode(s);
}

/** UTF-8 bytes of a repeating name, cached. The caller must not modify them. */
export function nameBytes(s: string): Uint8Array {
  let u = nameCache.get(s);
  if (u === undefined) {
    u = utf8(s);
    if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
    nameCache.set(s, u);
  }
  return u;
}
