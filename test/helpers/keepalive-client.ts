// A raw HTTP/1.1 keep-alive client on node:net, for drain tests: one connection, one request at
// a time in a closed loop (the next is written as soon as the last answer is read). It counts
// what it wrote and what was answered, so that a request lost to a reset or a close shows as
// `lost`, which fetch-based clients would hide behind retries and reconnects.
import net from 'node:net';

export interface Answer { status: number; code: string | undefined; connectionClose: boolean }

export interface LoopStats {
  sent: number;
  answered: number;
  /** Requests written whose answer never came (the connection ended first). */
  lost: number;
  answers: Answer[];
  /** How the connection ended: after an answer with Connection: close, closed by the server
   *  while idle (no request outstanding), or with a request outstanding ('lost'). */
  ended: 'connection-close' | 'idle-close' | 'lost' | 'stopped';
  error: string | undefined;
}

/** Runs the loop until the server closes the connection or `stop()` is called (then the last
 *  answer is awaited). `request` is the full request bytes (head and body). */
export function keepAliveLoop(port: number, request: Buffer): { done: Promise<LoopStats>; stop: () => void; connected: Promise<void> } {
  const stats: LoopStats = { sent: 0, answered: 0, lost: 0, answers: [], ended: 'stopped', error: undefined };
  const sock = net.connect({ host: '127.0.0.1', port });
  let buf = Buffer.alloc(0);
  let outstanding = false;
  let stopping = false;
  let sawClose = false;
  const connected = new Promise<void>((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  const send = (): void => {
    if (stopping || sawClose) return;
    outstanding = true;
    stats.sent++;
    sock.write(request);
  };
  const done = new Promise<LoopStats>((resolve) => {
    sock.on('connect', send);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.byteLength < end + 4 + length) return;
        buf = buf.subarray(end + 4 + length);
        const connectionClose = /\r\nconnection: *close/i.test(head);
        stats.answers.push({ status: Number(head.slice(9, 12)), code: /\r\nx-infergate-error: *(\S+)/i.exec(head)?.[1], connectionClose });
        stats.answered++;
        outstanding = false;
        if (connectionClose) sawClose = true;
        if (stopping || sawClose) sock.end();
        else send();
      }
    });
    sock.on('error', (e: NodeJS.ErrnoException) => { stats.error = e.code ?? e.message; });
    sock.on('close', () => {
      if (outstanding) {
        stats.lost++;
        stats.ended = 'lost';
      } else if (sawClose) stats.ended = 'connection-close';
      else if (!stopping) stats.ended = 'idle-close';
      resolve(stats);
    });
  });
  return {
    done,
    connected,
    stop: () => {
      stopping = true;
      if (!outstanding) sock.end();
    },
  };
}

/** A POST with a JSON body as raw HTTP/1.1 bytes. */
export function rawPost(path: string, json: string): Buffer {
  const body = Buffer.from(json);
  return Buffer.concat([Buffer.from(`POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.byteLength}\r\n\r\n`), body]);
}
