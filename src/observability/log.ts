// The process's one logger: pino, writing one JSON object per line to stderr (what a log
// collector on Kubernetes or systemd expects), or a short human line per event when stderr is a
// terminal or `--log-format pretty` asks (formatted here: pino-pretty would pull in a dozen
// packages for what these 30 lines do).
//
// What is logged (and what is not): the start-up configuration, model loads and unloads with
// their timings, every 5xx with its request id and reason (request-log.ts), 4xx at debug, and
// lifecycle events (drain, signals). Never a line per successful request: at tens of thousands
// of requests a second that would cost more than the request, and /metrics counts them.
//
// Writes are synchronous: lines are rare (never per successful request), and a line written
// just before process.exit must not be lost in a buffer.
import { pino, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'auto' | 'json' | 'pretty';
/** Structured fields of one line (model, version, loadMs, requestId, code, ...). */
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** False when lines of this level are dropped, so callers can skip building their fields. */
  enabled?(level: Exclude<LogLevel, 'silent'>): boolean;
}

export interface LoggerOptions {
  /** auto (default): pretty when the destination is stderr and stderr is a terminal, else JSON. */
  format?: LogFormat;
  /** Where each finished line goes (default: stderr, synchronously). For tests and embedding. */
  write?: (line: string) => void;
}

/** A JSON line -> `HH:MM:SS.mmm LEVEL msg key=value ...` for a person at a terminal. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, ...rest } = o;
  const clock = typeof time === 'string' ? time.slice(11, 23) : '';
  const extra = Object.entries(rest).map(([k, v]) => ` ${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join('');
  return `${clock} ${String(level).padEnd(5)} ${String(msg ?? '')}${extra}\n`;
}

export function createLogger(level: LogLevel, opts: LoggerOptions = {}): Logger {
  const toStderr = opts.write === undefined;
  const pretty = opts.format === 'pretty' || ((opts.format ?? 'auto') === 'auto' && toStderr && process.stderr.isTTY === true);
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const destination = { write: pretty ? (line: string) => write(prettyLine(line)) : write };
  const p: PinoLogger = pino({
    level,
    // No pid/hostname on every line: the collector (Kubernetes, journald) adds where it ran.
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names ("level":"error"), not pino's numbers: what people grep and alert on.
    formatters: { level: (label) => ({ level: label }) },
  }, destination);
  const at = (l: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: LogFields): void => {
    if (fields === undefined) p[l](msg);
    else p[l](fields, msg);
  };
  return {
    debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'),
    enabled: (l) => p.isLevelEnabled(l),
  };
}
