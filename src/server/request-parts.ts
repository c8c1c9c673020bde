// Small readers of request parts for the routes in app.ts: URL parameters and the repository
// index's body.
import type uWS from 'uWebSockets.js';
import { err } from '../core/errors.js';

/** Triton's repository index body: {"ready": true} lists only ready versions. */
export function readyOnly(body: Uint8Array): boolean {
  if (body.byteLength === 0) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch (e) {
    throw err('IG_BAD_JSON', `repository index body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return typeof parsed === 'object' && parsed !== null && (parsed as { ready?: unknown }).ready === true;
}

/** URL parameter `i`, percent-decoded (as sent when it is not valid percent-encoding). */
export function param(req: uWS.HttpRequest, i: number): string {
  const raw = req.getParameter(i) ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
