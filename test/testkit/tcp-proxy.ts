import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 between Warden and PostgreSQL, for outages on demand: `cut()` resets every
 * connection through it and refuses new ones (as a server that went away does), `restore()` accepts
 * again. Only this proxy's connections are affected, not other users of the same server.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private refusing = false;
  /** While set, nothing is forwarded and nothing is closed: a silent network partition. */
  private silent = false;
  /** Each client connection and its upstream. */
  private readonly pairs = new Map<net.Socket, net.Socket>();
  /** Client connections held through a partition; true once their client sent something meanwhile. */
  private readonly held = new Map<net.Socket, boolean>();
  /** Connections accepted since start (tests check that Warden reconnected). */
  accepted = 0;

  private constructor(
    private readonly target: { host: string; port: number },
    private port = 0,
  ) {
    this.server = net.createServer((client) => this.onConnection(client));
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.listen();
    return proxy;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  /** `url` with its host and port replaced by the proxy's. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  private onConnection(client: net.Socket): void {
    if (this.refusing) return void client.resetAndDestroy();
    // During a partition a connection attempt gets no answer at all.
    if (this.silent) return void this.hold(client);
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client).add(upstream);
    this.pairs.set(client, upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
      this.pairs.delete(client);
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Reset every connection and refuse new ones. The listening port is closed, so connects get ECONNREFUSED. */
  async cut(): Promise<void> {
    this.refusing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.resetAndDestroy();
    this.sockets.clear();
    await closed;
  }

  /**
   * A silent partition: every connection stays open and nothing passes, in either direction, and no
   * error reaches either end (no FIN, no RST), as when a network path drops packets.
   */
  partition(): void {
    this.silent = true;
    for (const [client, upstream] of this.pairs) {
      client.unpipe();
      upstream.unpipe();
      upstream.pause();
      // The server's side ends at `heal` without its client hearing of it.
      upstream.removeAllListeners('close').removeAllListeners('error').on('error', () => {});
      this.hold(client);
    }
  }

  /**
   * The partition ends and the server lost its side of every connection meanwhile (it restarted, or
   * timed them out): new connections work again; an old one is reset when its client sends something
   * (or sent something during the partition), as the server's kernel would answer; one whose client
   * never sends is never told.
   */
  heal(): void {
    this.silent = false;
    for (const upstream of this.pairs.values()) upstream.destroy();
    for (const [client, sent] of this.held) if (sent) client.resetAndDestroy();
  }

  private hold(client: net.Socket): void {
    this.held.set(client, false);
    client.removeAllListeners('data');
    client.on('error', () => {}).on('close', () => this.held.delete(client));
    client.on('data', () => (this.silent ? this.held.set(client, true) : client.resetAndDestroy()));
    client.resume();
  }

  /** Accept connections again, on the same port. */
  async restore(): Promise<void> {
    this.refusing = false;
    await this.listen();
  }

  async stop(): Promise<void> {
    this.refusing = true;
    for (const s of [...this.sockets, ...this.held.keys()]) s.destroy();
    this.held.clear();
    this.sockets.clear();
    await new Promise<void>((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}
