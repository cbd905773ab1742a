import net from 'node:net';

/** What the wire carried: protocol round trips and the frontend messages that matter for planning. */
export type WireCounts = {
  /** Client flushes answered by the server: the client sent, then waited for bytes back. Pipelined messages count once. */
  roundTrips: number;
  /** Parse messages: statements PostgreSQL parses and plans (a prepared statement executed again sends none). */
  parses: number;
  /** Execute messages plus simple Query messages: statements run, BEGIN and COMMIT included. */
  statements: number;
};

/** BENCH_WIRE_TRACE=1 prints every frontend message and every reply turn (to see what a round trip holds). */
const trace = process.env.BENCH_WIRE_TRACE === '1';

const zero = (): WireCounts => ({ roundTrips: 0, parses: 0, statements: 0 });

/**
 * A TCP proxy in front of PostgreSQL that counts what one server's connections exchange, past the
 * start-up and authentication of each connection (until the server's first ReadyForQuery). A round trip
 * is a turn of the conversation: client bytes followed by server bytes, however many messages each
 * side sent in between, so a driver that pipelines is credited for it. Assumes no TLS between the
 * benchmark server and the proxy (postgres.js's default without sslmode).
 */
export async function startWireCounter(target: { host: string; port: number }): Promise<{ port: number; counts(): WireCounts; close(): Promise<void> }> {
  const total = zero();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    sockets.add(client).add(upstream);
    let ready = false;
    let awaitingReply = false;
    // Frontend framing: the start-up message has no type byte; every later message is type + int32 length.
    let clientBuf = Buffer.alloc(0);
    let startupSeen = false;
    let serverBuf = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      if (ready) awaitingReply = true;
      clientBuf = Buffer.concat([clientBuf, chunk]);
      for (;;) {
        if (!startupSeen) {
          if (clientBuf.length < 4) break;
          const len = clientBuf.readInt32BE(0);
          if (clientBuf.length < len) break;
          clientBuf = clientBuf.subarray(len);
          startupSeen = true;
          continue;
        }
        if (clientBuf.length < 5) break;
        const len = clientBuf.readInt32BE(1);
        if (clientBuf.length < len + 1) break;
        const type = String.fromCharCode(clientBuf[0]);
        if (ready) {
          if (trace) process.stderr.write(`wire ${type} ${type === 'P' || type === 'Q' ? clientBuf.subarray(5, Math.min(len + 1, 90)).toString('utf8').replace(/\0/g, ' ') : ''}\n`);
          if (type === 'P') total.parses++;
          if (type === 'E' || type === 'Q') total.statements++;
        }
        clientBuf = clientBuf.subarray(len + 1);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (awaitingReply) {
        if (trace) process.stderr.write('wire ← reply\n');
        total.roundTrips++;
        awaitingReply = false;
      }
      if (ready) return;
      serverBuf = Buffer.concat([serverBuf, chunk]);
      while (serverBuf.length >= 5) {
        const len = serverBuf.readInt32BE(1);
        if (serverBuf.length < len + 1) break;
        if (serverBuf[0] === 0x5a /* Z: ReadyForQuery */) ready = true;
        serverBuf = serverBuf.subarray(len + 1);
      }
      if (ready) serverBuf = Buffer.alloc(0);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    counts: () => ({ ...total }),
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const diffCounts = (after: WireCounts, before: WireCounts): WireCounts => ({
  roundTrips: after.roundTrips - before.roundTrips,
  parses: after.parses - before.parses,
  statements: after.statements - before.statements,
});
