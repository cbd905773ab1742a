import type http from 'node:http';
import net from 'node:net';
import type { Socket } from 'node:net';
import { logger } from '../lib/logger';

export type Drain = {
  readonly draining: boolean;
  /** The server's request listener: `handler` while serving, a 503 for requests that begin after draining started. */
  listener(handler: http.RequestListener): http.RequestListener;
  /**
   * Stop accepting connections and let the open ones finish within `deadlineMs`; resolves true when every
   * connection ended on its own, false when some were still open at the deadline and were destroyed.
   */
  drain(opts: { deadlineMs: number; idleCloseMs: number }): Promise<boolean>;
};

/**
 * Graceful drain of one HTTP server. Node's `server.close()` destroys every connection it considers
 * idle at once, and a keep-alive client may have just sent its next request on one of them: that
 * request is reset unanswered (or, with `socket.end()` as Apollo's drain plugin does it, read and
 * executed after the socket stopped accepting writes, so a committed mutation never gets its
 * response). Here instead:
 *
 * - requests already received finish, their responses carry `Connection: close`;
 * - a request that begins on an open connection while draining is read to its end and answered
 *   503 with `Connection: close` and `Retry-After`, never executed, so retrying it is always safe;
 * - connections idle at the start are closed after `idleCloseMs` (a client busy on one sends its next
 *   request within that time and gets the 503 instead of a reset); whatever is left at the
 *   deadline is destroyed.
 */
export function createDrain(server: http.Server): Drain {
  let draining = false;
  let idlePassDone = false;
  const pending = new Set<http.ServerResponse>();
  // Sockets handed over to the WebSocket server: no longer the HTTP server's to close at the deadline.
  const upgraded = new Set<Socket>();
  server.on('upgrade', (_req: http.IncomingMessage, socket: Socket) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });

  const closeIdle = () => server.closeIdleConnections();
  const refuse = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body =
      req.url?.startsWith('/readyz') === true
        ? { status: 'draining' }
        : { errors: [{ message: 'The server is shutting down; retry the request', extensions: { code: 'SERVICE_UNAVAILABLE' } }] };
    const answer = () => {
      const text = JSON.stringify(body);
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close', 'retry-after': '1' });
      res.end(text);
    };
    // Read the body first: closing a socket with unread request bytes makes the kernel send a reset,
    // which the client may see before the 503.
    if (req.complete) answer();
    else req.on('end', answer).on('error', () => req.socket.destroy()).resume();
  };

  return {
    get draining() {
      return draining;
    },
    listener: (handler) => (req, res) => {
      if (draining) return refuse(req, res);
      pending.add(res);
      res.once('close', () => {
        pending.delete(res);
        // A response started before draining, sent with keep-alive: its socket is idle now.
        if (draining && idlePassDone) setImmediate(closeIdle);
      });
      handler(req, res);
    },
    async drain({ deadlineMs, idleCloseMs }) {
      draining = true;
      for (const res of pending) if (!res.headersSent) res.setHeader('connection', 'close');
      // net.Server's close, not http.Server's: stop accepting without destroying the idle keep-alive
      // connections right away (see above).
      const closed = new Promise<void>((resolve) => net.Server.prototype.close.call(server, () => resolve()));
      let graceful = true;
      const idle = setTimeout(() => {
        idlePassDone = true;
        closeIdle();
      }, idleCloseMs);
      const deadline = setTimeout(() => {
        graceful = false;
        logger.warn('shutdown deadline reached: closing connections still open', { requests: pending.size });
        server.closeAllConnections();
        for (const socket of upgraded) socket.destroy();
      }, deadlineMs);
      await closed;
      clearTimeout(idle);
      clearTimeout(deadline);
      return graceful;
    },
  };
}
