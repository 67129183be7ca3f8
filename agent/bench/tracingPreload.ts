/**
 * `node --import ./agent/bench/tracingPreload.ts agent/bench/http.bench.ts`: the HTTP bench with tracing on, as
 * `main.ts` starts it (the SDK and its instrumentations before Express loads), exporting to
 * BENCH_OTLP_ENDPOINT. The bench's load-generating child (`--load`) is left untraced.
 */
import { startTracing } from "../src/telemetry/tracing.ts";

const endpoint = process.env.BENCH_OTLP_ENDPOINT;
if (endpoint !== undefined && process.argv[2] !== "--load") {
  await startTracing({ endpoint, serviceName: "http-bench", environment: "bench" });
}
