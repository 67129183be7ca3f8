/**
 * Listens with an app built by `createApp`, with Node's own server timeouts set as a backstop to the
 * per-request timeout (slow headers and slow bodies are cut off even before a handler runs), and returns
 * a `close` for graceful shutdown on SIGTERM: stop accepting, let in-flight requests finish within a grace
 * period, then drop whatever is left.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { Config } from "../config.ts";
import type { Logger } from "../logger.ts";
import { answerClientError } from "./clientErrors.ts";

export interface StartServerParameters {
  app: Express;
  config: Config;
  logger: Logger;
  /** Overrides `config.port` (0 picks a free port, for tests). */
  port?: number;
  /** Overrides `config.host` (the internal listener binds `config.internal.host`). */
  host?: string;
  /** Names the listener in the log line (default "agent"). */
  name?: string;
}

export interface StartServerReturnType {
  server: Server;
  /** `http://host:port` actually bound. */
  url: string;
  /** Graceful shutdown: waits up to `graceMs` (default 10 s) for in-flight requests. */
  close(graceMs?: number): Promise<void>;
}

export async function startServer({
  app,
  config,
  logger,
  port,
  host,
  name = "agent",
}: StartServerParameters): Promise<StartServerReturnType> {
  const server = app.listen(port ?? config.port, host ?? config.host);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  server.on("clientError", answerClientError);
  server.requestTimeout = config.http.requestTimeoutMs + 5_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  server.keepAliveTimeout = 5_000;
  const address = server.address() as AddressInfo;
  const bound = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${bound}:${address.port}`;
  logger.info({ url }, `${name} listening`);

  return {
    server,
    url,
    close: (graceMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close((error) => {
          clearTimeout(force);
          if (error !== undefined) reject(error);
          else resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
