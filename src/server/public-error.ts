// What an error may tell a client. Messages are written for operators and some carry text from
// below (ONNX Runtime's load errors name the model file, a file system error names its path,
// an unexpected exception might carry a stack). Everything a response says goes through here:
// the model repository's absolute path becomes "<repository>" (so the model-relative rest
// still helps), any other absolute file path becomes "<path>", and stack frames are dropped.
import { InferError, toInferError } from '../core/errors.js';

/** Absolute file paths of two or more segments, also as file:// URLs. Routes (/v2/..., the
 *  only absolute paths a client itself sends) are left alone. */
const ABSOLUTE_PATH_RE = /(?:file:\/\/)?(?<![\w.~>-])\/(?!v2\/)(?:[\w.@+~-]+\/)+[\w.@+~-]*/g;
/** "    at fn (file:line:col)" lines of a V8 stack. */
const STACK_FRAME_RE = /\n\s*at [^\n]*/g;

export class Redactor {
  readonly #roots: readonly string[];

  /** `repositoryDir`: the absolute model repository path, shown as "<repository>". */
  constructor(repositoryDir: string | undefined) {
    // Longest first; the trailing slash is optional in messages.
    this.#roots = repositoryDir ? [repositoryDir.replace(/\/+$/, '')].filter((r) => r.length > 1) : [];
  }

  text(s: string): string {
    // Nothing to redact without a '/' (paths, the repository) or a newline (stack frames):
    // most messages, and every refusal under overload.
    if (s.indexOf('/') < 0 && s.indexOf('\n') < 0) return s;
    let out = s.replace(STACK_FRAME_RE, '');
    for (const root of this.#roots) out = out.split(root).join('<repository>');
    return out.replace(ABSOLUTE_PATH_RE, '<path>');
  }

  /** The error as a client may see it (the same object when nothing had to go). */
  error(e: unknown): InferError {
    const ie = toInferError(e);
    const message = this.text(ie.message);
    if (message === ie.message) return ie;
    return new InferError(ie.code, message, ie.retryAfterS === undefined ? {} : { retryAfterS: ie.retryAfterS });
  }
}
