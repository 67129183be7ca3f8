/**
 * A TCP proxy in front of one upstream (PostgreSQL, Redis or the RPC gate) whose outage can be switched on and
 * off: `setDown(true)` destroys every live connection and resets each new one the moment it arrives (the client
 * sees ECONNRESET, as when a service or a network path dies); `setDown(false)` lets new connections through again.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { listenLocal } from "./listenLocal.ts";

export interface TcpProxy {
  /** 127.0.0.1 port clients connect to. */
  port: number;
  isDown(): boolean;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(upstream: { host: string; port: number }): Promise<TcpProxy> {
  let down = false;
  const live = new Set<Socket>();
  const server: Server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    const target = connect(upstream.port, upstream.host);
    live.add(client);
    live.add(target);
    const drop = () => {
      live.delete(client);
      live.delete(target);
      client.destroy();
      target.destroy();
    };
    client.on("error", drop);
    target.on("error", drop);
    client.on("close", drop);
    target.on("close", drop);
    client.pipe(target);
    target.pipe(client);
  });
  const port = await listenLocal(server, "the proxy");
  return {
    port,
    isDown: () => down,
    setDown(value) {
      down = value;
      if (down) {
        for (const socket of live) {
          if (!socket.destroyed) socket.resetAndDestroy();
        }
        live.clear();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of live) socket.destroy();
        live.clear();
        server.close(() => resolve());
      }),
  };
}
