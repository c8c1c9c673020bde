// The bearer token that guards model control (load / unload): `--admin-token` or
// INFERGATE_ADMIN_TOKEN. Compared in constant time: both sides are hashed to 32 bytes first, so
// neither the length nor a common prefix of a guess shows in the time of the comparison.
import { createHash, timingSafeEqual } from 'node:crypto';
import { err, type InferError } from '../core/errors.js';

export const WWW_AUTHENTICATE = 'Bearer realm="infergate"';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** A check of the Authorization header: undefined when it carries the token, else the 401.
 *  Without a configured token nothing is let in (model control fails closed). */
export function bearerCheck(token: string | undefined): (authorization: string | undefined) => InferError | undefined {
  const want = token === undefined || token === '' ? undefined : digest(token);
  return (authorization) => {
    if (want === undefined) return err('IG_UNAUTHORIZED', 'model control needs an admin token, and none is configured (--admin-token or INFERGATE_ADMIN_TOKEN)');
    const m = /^bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!m) return err('IG_UNAUTHORIZED', 'model control needs "Authorization: Bearer <admin token>"');
    return timingSafeEqual(digest(m[1]!), want) ? undefined : err('IG_UNAUTHORIZED', 'the admin token is not valid');
  };
}
