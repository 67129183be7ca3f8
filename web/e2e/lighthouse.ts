/**
 * Lighthouse performance and accessibility scores of the first screen, mobile (default throttling) and
 * desktop, written to docs/web-quality.md with the first-screen bundle size. Builds the app, serves it with
 * `vite preview` on a free port and drives Debian's Chromium (CHROME_PATH, default /usr/bin/chromium).
 *
 *   node web/e2e/lighthouse.ts            (goal: performance >= 90, accessibility >= 95)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import lighthouse, { desktopConfig } from "lighthouse";
import { firstScreenSize } from "../scripts/bundleSize.ts";
import { freePort, REPO_ROOT, WEB_ROOT } from "./stack.ts";

const CHROME_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";

function exec(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
    child.on("exit", (code) =>
      code === 0 ? ok() : fail(new Error(`${command} ${args.join(" ")} exited ${code}`)),
    );
  });
}

function daemon(command: string, args: string[], cwd: string): ChildProcess {
  return spawn(command, args, { cwd, stdio: "ignore", detached: true });
}

function kill(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  }
}

async function waitForUrl(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}

interface Scores {
  performance: number;
  accessibility: number;
  lcpMs: number;
  tbtMs: number;
  cls: number;
}

async function audit(url: string, port: number, desktop: boolean): Promise<Scores> {
  const result = await lighthouse(
    url,
    { port, output: "json", logLevel: "error", onlyCategories: ["performance", "accessibility"] },
    desktop ? desktopConfig : undefined,
  );
  if (result === undefined) throw new Error("lighthouse returned nothing");
  const { categories, audits } = result.lhr;
  const score = (x: number | null | undefined) => Math.round((x ?? 0) * 100);
  return {
    performance: score(categories.performance?.score),
    accessibility: score(categories.accessibility?.score),
    lcpMs: Math.round(audits["largest-contentful-paint"]?.numericValue ?? 0),
    tbtMs: Math.round(audits["total-blocking-time"]?.numericValue ?? 0),
    cls: Number((audits["cumulative-layout-shift"]?.numericValue ?? 0).toFixed(3)),
  };
}

const dist = mkdtempSync(join(tmpdir(), "ra-lh-"));
const children: ChildProcess[] = [];
try {
  await exec("npx", ["vite", "build", "--outDir", dist, "--emptyOutDir"], WEB_ROOT);
  const webPort = await freePort();
  const url = `http://127.0.0.1:${webPort}/`;
  children.push(
    daemon("npx", ["vite", "preview", "--outDir", dist, "--port", String(webPort), "--strictPort"], WEB_ROOT),
  );
  await waitForUrl(url, 30_000);
  const debugPort = await freePort();
  const profile = mkdtempSync(join(tmpdir(), "ra-lh-profile-"));
  children.push(
    daemon(
      CHROME_PATH,
      [
        "--headless=new",
        "--no-sandbox",
        `--remote-debugging-port=${debugPort}`,
        `--user-data-dir=${profile}`,
        "about:blank",
      ],
      WEB_ROOT,
    ),
  );
  await waitForUrl(`http://127.0.0.1:${debugPort}/json/version`, 30_000);
  const mobile = await audit(url, debugPort, false);
  const desktop = await audit(url, debugPort, true);
  const bundle = firstScreenSize(dist);
  const kb = (bundle.gzipBytes / 1000).toFixed(1);
  const row = (name: string, s: Scores) =>
    `| ${name} | ${s.performance} | ${s.accessibility} | ${s.lcpMs} | ${s.tbtMs} | ${s.cls} |`;
  const doc = `# Web app quality

Measured by \`node web/e2e/lighthouse.ts\` (Lighthouse 13, Debian Chromium, headless) on the first screen served
by \`vite preview\`. Goals: performance >= 90, accessibility >= 95, first-screen JavaScript <= 250 kB gzip.

| Profile | Performance | Accessibility | LCP (ms) | TBT (ms) | CLS |
| --- | --- | --- | --- | --- | --- |
${row("Mobile (simulated throttling)", mobile)}
${row("Desktop", desktop)}

First-screen JavaScript (entry chunk and its static imports, gzip -9): **${kb} kB**
(\`node web/scripts/bundleSize.ts\`; the four screens are lazy-loaded chunks).

Accessibility in the browser tests (\`node web/e2e/run.ts\`): axe-core runs on every screen at 375 px and
1280 px and fails the run on any serious or critical violation.
`;
  const docPath = join(REPO_ROOT, "docs", "web-quality.md");
  writeFileSync(docPath, doc);
  await exec("npx", ["prettier", "--write", docPath], REPO_ROOT);
  console.log(doc);
  rmSync(profile, { recursive: true, force: true });
  const below =
    mobile.performance < 90 ||
    mobile.accessibility < 95 ||
    desktop.performance < 90 ||
    desktop.accessibility < 95;
  if (below) console.warn("lighthouse: below the goal (performance >= 90, accessibility >= 95)");
} finally {
  for (const c of children.reverse()) kill(c);
  rmSync(dist, { recursive: true, force: true });
}
