// A/B split and shadow traffic of one model name: which version answers a request that names no
// version, and which version gets a copy of it. Pure: no IO, no clock; randomness is injected.
//
// Split: the arms' weights lay out [0, total) in config order; a request's point in it comes from
// a stable hash of its route key (X-Infergate-Route-Key header or the "route_key" request
// parameter), so one caller always sees the same arm, or from `random` when it brings no key.
// Because arms keep their order, moving weight between two neighbouring arms (90/10 -> 80/20)
// moves only the callers at the boundary: the treatment group grows, nobody in it leaves.
import { bad, checkObject, isPlainObject, NON_NEG_INT, POS_INT, type Fields } from './config-checks.js';

export interface RoutingArm {
  version: string;
  weight: number;
}

export interface RoutingConfig {
  /** Arms in config order; at least one with weight > 0. */
  split: RoutingArm[];
  /** Receives a copy of each routed request; its answer is compared, then dropped. */
  shadow?: { version: string };
}

/** config.json's form: versions as integers, as version_policy writes them. */
export interface RoutingConfigJson {
  split: { version: number; weight: number }[];
  shadow?: { version: number };
}

export const ROUTE_KEY_HEADER = 'x-infergate-route-key';
export const ROUTE_KEY_PARAMETER = 'route_key';
const MAX_WEIGHT = 1_000_000;

/** 32-bit FNV-1a over the UTF-16 code units, then murmur3's finaliser: FNV alone leaves the high
 *  bits of short, similar keys ("member-1", "member-2") correlated, and the high bits decide. */
export function stableHash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The arm a request goes to: by its key's hash when it has one, else by `random()` in [0, 1). */
export function pickVersion(split: readonly RoutingArm[], key: string | undefined, random: () => number = Math.random): string {
  let total = 0;
  for (const a of split) total += a.weight;
  const unit = key !== undefined && key !== '' ? stableHash32(key) / 2 ** 32 : random();
  const point = unit * total;
  let acc = 0;
  for (const a of split) {
    acc += a.weight;
    if (point < acc) return a.version;
  }
  // Rounding at the top end: the last arm with weight.
  for (let i = split.length - 1; i >= 0; i--) if (split[i]!.weight > 0) return split[i]!.version;
  return split[0]!.version;
}

/** The route key of a request: the header's value, else the parameter's. */
export function routeKeyOf(headerKey: string | undefined, parameters: Readonly<Record<string, string | number | boolean>>): string | undefined {
  if (headerKey !== undefined && headerKey !== '') return headerKey;
  const p = parameters[ROUTE_KEY_PARAMETER];
  return p === undefined || typeof p === 'boolean' ? undefined : String(p);
}

/** Validates config.json's routing (or a routing control request's body). */
export function checkRouting(v: unknown, src: string, path: string): RoutingConfigJson {
  const ARM: Fields = { version: POS_INT, weight: { ...NON_NEG_INT, expected: `an integer in 0..${MAX_WEIGHT}`, parse: (x) => {
    const n = NON_NEG_INT.parse(x);
    return typeof n === 'number' && n <= MAX_WEIGHT ? n : NON_NEG_INT.parse(-1);
  } } };
  const o = checkObject(v, src, path, { split: 'custom', shadow: 'custom' }, (k, val, p) => {
    if (k === 'shadow') {
      const s = checkObject(val, src, p, { version: POS_INT });
      if (s.version === undefined) bad(src, `${p}.version`, 'a positive integer', undefined);
      return s;
    }
    if (!Array.isArray(val) || val.length === 0) bad(src, p, 'a non-empty array of {version, weight}', val);
    return val.map((arm: unknown, i) => {
      const a = checkObject(arm, src, `${p}[${i}]`, ARM);
      for (const f of ['version', 'weight']) if (a[f] === undefined) bad(src, `${p}[${i}].${f}`, ARM[f] !== 'custom' ? ARM[f]!.expected : '', undefined);
      return a;
    });
  }) as unknown as RoutingConfigJson;
  if (o.split === undefined) bad(src, `${path}.split`, 'a non-empty array of {version, weight}', undefined);
  const versions = o.split.map((a) => a.version);
  if (new Set(versions).size !== versions.length) bad(src, `${path}.split`, 'arms with distinct versions', versions);
  if (!o.split.some((a) => a.weight > 0)) bad(src, `${path}.split`, 'arms of which at least one has a weight > 0', o.split.map((a) => a.weight));
  return o;
}

export function toRouting(j: RoutingConfigJson): RoutingConfig {
  const r: RoutingConfig = { split: j.split.map((a) => ({ version: String(a.version), weight: a.weight })) };
  if (j.shadow !== undefined) r.shadow = { version: String(j.shadow.version) };
  return r;
}

export function routingJson(r: RoutingConfig): RoutingConfigJson {
  const j: RoutingConfigJson = { split: r.split.map((a) => ({ version: Number(a.version), weight: a.weight })) };
  if (r.shadow !== undefined) j.shadow = { version: Number(r.shadow.version) };
  return j;
}

/** Why `r` cannot be served by `versions` (the loaded ones), or undefined when it can. */
export function missingVersions(r: RoutingConfig, versions: readonly string[]): string | undefined {
  const named = [...r.split.map((a) => a.version), ...(r.shadow ? [r.shadow.version] : [])];
  const missing = [...new Set(named.filter((v) => !versions.includes(v)))];
  if (missing.length === 0) return undefined;
  return `routing names version${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, not served `
    + `(serving: ${versions.join(', ') || 'none'}; version_policy decides which versions are served)`;
}

/** `isPlainObject` re-exported for the control route's body check. */
export { isPlainObject };
