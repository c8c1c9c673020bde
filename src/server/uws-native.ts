// uWebSockets.js from the registry silently falls back to a slow pure-Node implementation when
// its native binary fails to load (or when UWS_USE_FALLBACK is set). Serving on that fallback
// is a defect, so start-up refuses it. The native module exports H3App and getParts; the
// fallback does not.
export function isNativeUws(mod: unknown): boolean {
  const m = mod as Record<string, unknown>;
  return typeof m['H3App'] === 'function' && typeof m['getParts'] === 'function';
}

export function assertNativeUws(mod: unknown): void {
  if (!isNativeUws(mod)) {
    throw new Error(
      'uWebSockets.js loaded its slow pure-Node fallback instead of the native binary ' +
      '(unset UWS_USE_FALLBACK, and check that the binary matches this Node.js/glibc: see README "Troubleshooting"). ' +
      'infergate refuses to serve on the fallback.',
    );
  }
}
