/**
 * What every browser journey shares: named steps with a failure screenshot, assertions, JSON-RPC to the Hardhat
 * node, time travel and the main navigation. run.ts prints the results; each journey (journeys/*.ts) only calls
 * `step` and the helpers.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { SCREENSHOT_DIR, type ScreenReport } from "./screens.ts";
import type { Stack } from "./stack.ts";

export const STEP_TIMEOUT_MS = 30_000;

export interface StepResult {
  step: string;
  ok: boolean;
  error?: string;
}

export const results: StepResult[] = [];
export const screens: ScreenReport[] = [];

/** The page a failing step leaves a screenshot of (web/e2e/screenshots/failure.png). */
let activePage: Page | undefined;
export function setActivePage(page: Page | undefined): void {
  activePage = page;
}

export async function step(name: string, fn: () => Promise<void>): Promise<void> {
  process.stdout.write(`  … ${name}\r`);
  try {
    await fn();
    results.push({ step: name, ok: true });
    console.log(`  ✓ ${name}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    results.push({ step: name, ok: false, error: message });
    console.log(`  ✗ ${name}\n      ${message.split("\n").slice(0, 6).join("\n      ")}`);
    await activePage
      ?.screenshot({ path: join(SCREENSHOT_DIR, "failure.png"), fullPage: true })
      .catch(() => {});
    throw error;
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

export async function rpc(
  stack: Pick<Stack, "rpcUrl">,
  method: string,
  params: unknown[] = [],
): Promise<unknown> {
  const res = await fetch(stack.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

export async function timeTravel(stack: Pick<Stack, "rpcUrl">, seconds: number): Promise<void> {
  await rpc(stack, "evm_increaseTime", [seconds]);
  await rpc(stack, "evm_mine");
}

/**
 * Waits until the agent's index lists commitment `id` for the page's signed-in owner. A commitment created
 * straight on the chain reaches the agent on its next indexer poll; a dashboard loaded before that lists the
 * owner's commitments without it (until its next refresh).
 */
export async function waitForAgentToList(
  page: Page,
  stack: Pick<Stack, "agentUrl">,
  id: bigint,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await page.evaluate(async (agentUrl) => {
      try {
        const res = await fetch(`${agentUrl}/api/commitments`, { credentials: "include" });
        if (!res.ok) return `HTTP ${res.status}`;
        const body = (await res.json()) as { commitments: { id: string }[] };
        return body.commitments.map((c) => c.id);
      } catch (error) {
        return String(error); // a network failure: asked again until the deadline
      }
    }, stack.agentUrl);
    if (Array.isArray(ids) && ids.includes(id.toString())) return;
    if (Date.now() > deadline) throw new Error(`the agent did not list commitment ${id}: ${String(ids)}`);
    await page.waitForTimeout(250);
  }
}

export function nav(page: Page, name: string) {
  return page.getByRole("navigation", { name: "Main" }).getByRole("link", { name, exact: true });
}

export function localInput(unixSec: number): string {
  // The browser context runs in UTC, so datetime-local values are UTC.
  return new Date(unixSec * 1000).toISOString().slice(0, 16);
}
