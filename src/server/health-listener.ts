// An optional second listener (--health-port) that answers the two health endpoints over
// Node's own HTTP parser. The uWebSockets.js build in use never hands an HTTP/1.0 request (nor
// an HTTP/1.1 one without Host) to JavaScript: the connection is held until uWS's idle timeout
// (docs/http-edge.md). HAProxy's `option httpchk` and ApacheBench speak HTTP/1.0, so a check
// against the main port times out; against this port it gets a proper answer (and the
// connection closes after it, as HTTP/1.0 wants unless keep-alive is asked for).
// Only GET and HEAD of /v2/health/live and /v2/health/ready; everything else is a 404.
import { createServer, type Server } from 'node:http';

export interface HealthListener {
  port: number;
  close(): void;
}

export function startHealthListener(host: string, port: number, health: { isLive(): boolean; isReady(): boolean }): Promise<HealthListener> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const probe = path === '/v2/health/live' ? health.isLive : path === '/v2/health/ready' ? health.isReady : undefined;
    let status = 404;
    if (probe && (req.method === 'GET' || req.method === 'HEAD')) status = probe.call(health) ? 200 : 503;
    else if (probe) status = 405;
    res.writeHead(status, { 'Content-Length': '0', ...(status === 405 ? { Allow: 'GET, HEAD' } : {}) });
    res.end();
  });
  // A health check is one small request: slow or idle clients are not kept.
  server.headersTimeout = 5_000;
  server.requestTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`could not listen on ${host}:${port} for --health-port: ${e.message}`)));
    server.listen(port, host, () => {
      const address = server.address();
      resolve({
        port: typeof address === 'object' && address !== null ? address.port : port,
        close() {
          server.close();
          server.closeAllConnections();
        },
      });
    });
  });
}
