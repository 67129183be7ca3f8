/**
 * "Loading the config loads the config": importing `src/config.ts` (what parsing the environment needs) must
 * not load the subsystems it configures (the coach, the HTTP server, queues, mail, the model client), only the
 * schemas that live beside them. Counted in a fresh Node process with a module load hook.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect } from "chai";

const AGENT = path.resolve(import.meta.dirname, "..");

const PROBE = `
import { registerHooks } from "node:module";
const loaded = new Set();
registerHooks({ load(url, context, next) { loaded.add(url); return next(url, context); } });
const { loadConfig } = await import(process.argv[1]);
loadConfig({});
const files = [...loaded].filter((url) => url.startsWith("file:"));
const packages = new Set(files.filter((url) => url.includes("/node_modules/")).map((url) => {
  const parts = url.split("/node_modules/").pop().split("/");
  return parts[0].startsWith("@") ? parts[0] + "/" + parts[1] : parts[0];
}));
console.log(JSON.stringify({ own: files.filter((url) => !url.includes("/node_modules/")).map((url) => url.slice(url.indexOf("/src/") + 5)), packages: [...packages].sort() }));
`;

describe("config module graph", () => {
  it("parsing the config loads only config modules, none of the runtime it configures", function () {
    this.timeout(30_000);
    const run = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", PROBE, path.join(AGENT, "src/config.ts")],
      { cwd: AGENT, encoding: "utf8", env: { ...process.env, LOG_LEVEL: "silent" } },
    );
    expect(run.status, run.stderr).to.equal(0);
    const { own, packages } = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as {
      own: string[];
      packages: string[];
    };
    for (const heavy of [
      "express",
      "bullmq",
      "openai",
      "nodemailer",
      "ioredis",
      "pg",
      "drizzle-orm",
      "pino",
    ]) {
      expect(packages, heavy).not.to.include(heavy);
    }
    expect(own).to.include("config.ts");
    expect(
      own.some((file) => file.startsWith("http/") || file.startsWith("store/")),
      own.join(", "),
    ).to.equal(false);
    // 11 modules of our own when this test was written (62+ before the split); a few more is fine, a subsystem is not.
    expect(own.length, own.join(", ")).to.be.at.most(20);
  });
});
