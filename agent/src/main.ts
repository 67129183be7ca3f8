/**
 * The agent process: parse the environment once, wire the real dependencies, listen, and shut down cleanly
 * on SIGTERM/SIGINT. A bad configuration stops startup with one clear line.
 *
 *   node agent/src/main.ts            (from the repository root; see .env.example for every variable)
 */
import { startTelemetry } from "./telemetry/startTelemetry.ts";

// Tracing and error reporting first, and the rest of the agent imported after them: the instrumentations patch
// Express, pg and ioredis as those load (docs/operations.md, "Traces and error reports").
const telemetry = await startTelemetry(process.env);
const { assembleAgent } = await import("./assembleAgent.ts");
const { systemClock } = await import("./clock.ts");
const { ConfigError, loadConfig } = await import("./config.ts");
const { startServer } = await import("./http/startServer.ts");
const { createLogger } = await import("./logger.ts");
const { Closer, CloserClosedError } = await import("./lifecycle/closer.ts");

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`agent: invalid configuration: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

const logger = createLogger({
  level: config.logLevel,
  base: { service: "agent" },
  mixin: telemetry.logMixin,
});

// Closers run in reverse order of start. Signal handlers come first, so a SIGTERM during boot (PGlite and other
// libraries add signal listeners of their own, which disables Node's default exit) still stops the process.
const closer = new Closer({
  onError: (name, error) => logger.error({ err: error, component: name }, "error while shutting down"),
});
async function shutdown(reason: string, code: number): Promise<void> {
  if (closer.closing) return;
  logger.info({ reason }, "shutting down");
  await closer.close();
  process.exit(code);
}
/**
 * The first SIGTERM/SIGINT stops the agent cleanly, which can take a while (open connections get up to 10 s, the
 * store waits for the statements in flight). A second one while that runs exits at once with code 1, as a second
 * Ctrl-C is expected to: the data is safe (PGlite and PostgreSQL recover a stop mid-write from their write-ahead
 * log), only the answers in flight are lost.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (!closer.closing) {
    void shutdown(signal, 0);
    return;
  }
  logger.warn({ signal }, "second signal while shutting down: exiting without waiting");
  process.exit(1);
}
// Runs last: spans and error reports of the shutdown itself are exported too.
closer.add("telemetry", () => telemetry.close(5_000));
process.on("SIGTERM", onSignal);
process.on("SIGINT", onSignal);

try {
  const agent = await assembleAgent({
    config,
    clock: systemClock,
    logger,
    // PGlite's thread died: nothing can be stored any more; stop with code 1 so a supervisor restarts the agent.
    onFatal: () => void shutdown("database thread exited", 1),
  });
  if (!closer.closing) {
    closer.add("agent", () => agent.close());
    const server = await startServer({ app: agent.app, config, logger });
    closer.add("http", () => server.close(10_000));
    // /metrics and /health?deep=1 listen apart from the public port (http/internalApp.ts).
    const internal = await startServer({
      app: agent.internalApp,
      config,
      logger,
      port: config.internal.port,
      host: config.internal.host,
      name: "internal listener",
    });
    closer.add("internal http", () => internal.close(2_000));
    // A promise some library (or the agent) started and never handled must not end a replica that is serving:
    // Node's default exits on it (ioredis's resubscription after a Redis outage did, docs/reliability.md). The
    // rejection is logged as the bug it is; start-up failures still end the process (above, and the catch below).
    process.on("unhandledRejection", (reason) =>
      logger.error(
        { err: reason, event: "unhandled_rejection" },
        "unhandled promise rejection; still serving",
      ),
    );
    agent.startBackground();
    logger.info(
      { url: server.url, internalUrl: internal.url, oracle: agent.oracle ?? null },
      "agent listening",
    );
  }
} catch (error) {
  // CloserClosedError: a signal came during start-up; the shutdown under way closes the rest and exits.
  if (!(error instanceof CloserClosedError)) {
    const message = error instanceof Error ? error.message : String(error);
    logger.fatal({ err: error }, `agent failed to start: ${message}`);
    console.error(`agent: failed to start: ${message}`);
    await shutdown("startup failure", 1);
  }
}
