/**
 * Quorum journey (issue 15), on a stack of its own: a vault with three oracles and threshold 2, one agent per
 * oracle (Hardhat accounts #17, #18, #19; oracle 3's agent runs the gasless relayer with account #15 as operator),
 * and the staker #16:
 * - the staker signs in to every oracle (one signature each);
 * - oracle 3 goes down, and oracle 2 misses one of three uploads of window 1 (its copy is blocked in the
 *   browser): the Claims page shows each oracle's verdict (met, met, unreachable) and, with no relayer reachable,
 *   "Claim before <deadline>"; the wallet claim gathers a 2-of-3 quorum over an explicit shared evidence set:
 *   milestone 1 Released, balance up;
 * - windows 2 and 3 met: "Claim all" releases both in one transaction;
 * - oracle 3 comes back with its relayer: the gasless claim of window 4 releases it and the staker's balance
 *   grows by exactly the share (no gas paid).
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import {
  type Address,
  createPublicClient,
  encodeFunctionData,
  formatEther,
  type Hex,
  http,
  parseEther,
  type PublicClient,
  toHex,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { gpxRun } from "../gpx.ts";
import { assert, nav, rpc, STEP_TIMEOUT_MS, screens, setActivePage, step, timeTravel } from "../harness.ts";
import { type QuorumStack, startQuorumStack } from "../quorumStack.ts";
import { checkScreen } from "../screens.ts";
import { installTestWallet } from "../testWallet.ts";
import type { Journey } from "./index.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const STAKER = mnemonicToAccount(MNEMONIC, { addressIndex: 16 }).address;
const BENEFICIARY = mnemonicToAccount(MNEMONIC, { addressIndex: 14 }).address;
const RULES = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 2, minMinutes: 1, activities: ["run"] },
  evidence: "device",
};
const DAY = 86_400;

/** Moves the chain to `target` (unix s) and gives the agents' clocks (refreshed every second) time to follow. */
async function travelTo(stack: QuorumStack, chain: PublicClient, target: number) {
  const block = await chain.getBlock();
  await timeTravel(stack, target - Number(block.timestamp));
  await new Promise((r) => setTimeout(r, 2_500));
}
const SHARE = parseEther("0.01");

async function milestoneState(chain: PublicClient, stack: QuorumStack, id: bigint, index: number) {
  return chain.readContract({
    address: stack.vault,
    abi: commitmentVaultAbi,
    functionName: "milestoneState",
    args: [id, BigInt(index)],
  });
}

let fileCount = 0;
/** GPX runs of 90 s starting at the given unix times (each its own file; distinct pace, so distinct content). */
function runFiles(starts: number[]): string[] {
  return starts.map((start) => {
    fileCount++;
    const file = join(tmpdir(), `ra-e2e-quorum-${process.pid}-${fileCount}.gpx`);
    writeFileSync(
      file,
      gpxRun({ start: new Date(start * 1000), durationSec: 90, speedMps: 2.8 + fileCount * 0.03 }),
    );
    return file;
  });
}

async function upload(page: Page, files: string[], id: bigint, milestone: number) {
  await nav(page, "Workouts").click();
  await page.getByLabel("Choose files").setInputFiles(files);
  const counted = page.getByText(`Counts for commitment #${id}, milestone ${milestone}.`);
  await page.waitForFunction(
    (n) =>
      document.querySelectorAll('[data-testid="upload-results"] [data-testid="oracle-copies"]').length >= n,
    files.length,
    { timeout: 90_000 },
  );
  const n = await counted.count();
  if (n !== files.length) {
    const text = ((await page.getByTestId("upload-results").textContent()) ?? "").replace(/\s+/g, " ");
    throw new Error(`${n} of ${files.length} files count for milestone ${milestone}: ${text.slice(0, 600)}`);
  }
}

function row(page: Page, id: bigint, milestone: number) {
  return page.getByTestId("verdict-row").filter({ hasText: `#${id} · ${milestone}` });
}

async function openClaims(page: Page) {
  await nav(page, "Claims").click();
  await page.getByRole("heading", { name: "Claims and oracles" }).waitFor();
}

async function run(stack: QuorumStack, browser: Browser): Promise<void> {
  const chain = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) }) as PublicClient;
  const pageErrors: string[] = [];
  let id = 0n;
  let start = 0;

  await step("a commitment of 4 daily windows on a vault with 3 oracles, threshold 2", async () => {
    let rulesHash: Hex = "0x";
    for (const o of stack.oracles) {
      const res = await fetch(`${o.url}/api/rules`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ rules: RULES }),
      });
      assert(res.ok, `oracle ${o.n}: POST /api/rules answered ${res.status}`);
      rulesHash = ((await res.json()) as { rulesHash: Hex }).rulesHash;
    }
    const threshold = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "threshold",
    });
    assert(threshold === 2, `threshold ${threshold}`);
    const block = await chain.getBlock();
    start = Math.ceil((Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000)) + 120) / 60) * 60;
    const amount = SHARE * 4n;
    const hash = (await rpc(stack, "eth_sendTransaction", [
      {
        from: STAKER,
        to: stack.vault,
        value: toHex(amount),
        data: encodeFunctionData({
          abi: commitmentVaultAbi,
          functionName: "createCommitment",
          args: [
            {
              token: "0x0000000000000000000000000000000000000000",
              amount,
              start: BigInt(start),
              period: DAY,
              milestones: 4,
              grace: DAY,
              beneficiary: BENEFICIARY,
              rulesHash,
            },
          ],
        }),
      },
    ])) as Hex;
    const receipt = await chain.waitForTransactionReceipt({ hash });
    assert(receipt.status === "success", "createCommitment reverted");
    id = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "commitmentCount",
    });
    await travelTo(stack, chain, start + 3 * 3600);
  });

  const context = await browser.newContext({
    timezoneId: "UTC",
    locale: "en-GB",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  await installTestWallet(context, { account: STAKER as Address, rpcUrl: stack.rpcUrl });
  const page = await context.newPage();
  setActivePage(page);
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await step("the staker signs in to all three oracles, one signature each", async () => {
    await page.goto(stack.webUrl);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByRole("button", { name: "E2E Test Wallet" }).click();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await openClaims(page);
    await page.getByRole("button", { name: "Sign in to 2 oracles" }).click();
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('[data-testid="oracle-row"]')].filter(
          (r) => r.getAttribute("data-signed-in") === "true",
        ).length === 3,
      undefined,
      { timeout: 60_000 },
    );
  });

  await step("oracle 3 goes down; oracle 2 misses the first of three uploads of window 1", async () => {
    await stack.oracles[2]?.stop();
    const o2 = stack.oracles[1]?.url as string;
    let blocked = 0;
    await page.route(`${o2}/api/workouts/upload`, (route) =>
      blocked++ === 0 ? route.abort("connectionrefused") : route.continue(),
    );
    await upload(page, runFiles([start + 600, start + 2400, start + 4200]), id, 1);
    await page.unroute(`${o2}/api/workouts/upload`);
    const copies = await page.getByTestId("oracle-copies").allTextContents();
    assert(copies[0]?.includes("Oracle 2: not received") === true, `first copy: ${copies[0]}`);
    assert(
      copies.every((c) => c.includes("Oracle 3: not received")),
      `copies: ${copies.join(" | ")}`,
    );
    assert(copies[1]?.includes("Also sent to 1 of 2") === true, `second copy: ${copies[1]}`);
  });

  await step(
    "each oracle's verdict (met, met, unreachable) and the claim-before banner with no relayer up",
    async () => {
      await openClaims(page);
      const r = row(page, id, 1);
      await r.and(page.locator('[data-enough="true"]')).waitFor({ timeout: 60_000 });
      const verdicts = await r
        .locator("td[data-verdict]")
        .evaluateAll((tds) => tds.map((td) => td.getAttribute("data-verdict")));
      assert(
        JSON.stringify(verdicts) === JSON.stringify(["met", "met", "unreachable"]),
        `verdicts ${verdicts}`,
      );
      const banner = page.getByTestId("claim-banner").filter({ hasText: `commitment #${id}, milestone 1` });
      await banner.waitFor();
      assert(((await banner.textContent()) ?? "").includes("Claim before"), "no claim-before text");
      await checkScreen(page, "claims-quorum-verdicts", screens);
    },
  );

  await step(
    "the wallet claim gathers 2 of 3 over a shared evidence set: milestone 1 Released, balance up",
    async () => {
      const before = await chain.getBalance({ address: STAKER });
      await page.getByRole("button", { name: `Claim #${id} milestone 1` }).click();
      await page.getByTestId("claim-done").waitFor({ timeout: 90_000 });
      assert((await milestoneState(chain, stack, id, 0)) === 1, "milestone 1 is not Released");
      const gained = (await chain.getBalance({ address: STAKER })) - before;
      assert(
        gained > SHARE - parseEther("0.001") && gained < SHARE,
        `balance grew ${formatEther(gained)} ETH`,
      );
    },
  );

  await step("windows 2 and 3 met: Claim all releases both in one transaction", async () => {
    await travelTo(stack, chain, start + 2 * DAY + 3 * 3600);
    await upload(page, runFiles([start + DAY + 600, start + DAY + 2400]), id, 2);
    await upload(page, runFiles([start + 2 * DAY + 600, start + 2 * DAY + 2400]), id, 3);
    await openClaims(page);
    const all = page.getByRole("button", { name: "Claim all 2 in one transaction" });
    await all.waitFor({ timeout: 60_000 });
    await all.click();
    await page
      .getByTestId("claim-done")
      .filter({ hasText: "Claimed 2 milestones" })
      .waitFor({ timeout: 90_000 });
    for (const index of [1, 2])
      assert((await milestoneState(chain, stack, id, index)) === 1, `milestone ${index + 1} is not Released`);
  });

  await step(
    "oracle 3 is back with its relayer: the gasless claim of window 4, balance up by exactly the share",
    async () => {
      await stack.oracles[2]?.start();
      await travelTo(stack, chain, start + 3 * DAY + 3 * 3600);
      await page.reload();
      await openClaims(page);
      const signIn = page.getByRole("button", { name: /^Sign in to \d oracles?$/ });
      if (await signIn.isVisible().catch(() => false)) await signIn.click();
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll('[data-testid="oracle-row"]')].filter(
            (r) => r.getAttribute("data-signed-in") === "true",
          ).length === 3,
        undefined,
        { timeout: 60_000 },
      );
      await upload(page, runFiles([start + 3 * DAY + 600, start + 3 * DAY + 2400]), id, 4);
      const before = await chain.getBalance({ address: STAKER });
      await openClaims(page);
      const gasless = page.getByRole("button", { name: `Gasless claim #${id} milestone 4` });
      await gasless.waitFor({ timeout: 60_000 });
      assert(
        (await page.getByTestId("claim-banner").count()) === 0,
        "claim-before banner while a relayer is on",
      );
      await gasless.click();
      await page.getByTestId("gasless-done").waitFor({ timeout: 90_000 });
      const deadline = Date.now() + 60_000;
      while ((await milestoneState(chain, stack, id, 3)) !== 1) {
        assert(Date.now() < deadline, "milestone 4 not Released within 60 s of the gasless claim");
        await new Promise((r) => setTimeout(r, 500));
      }
      const gained = (await chain.getBalance({ address: STAKER })) - before;
      assert(gained === SHARE, `balance grew ${formatEther(gained)} ETH, not exactly the share`);
      await checkScreen(page, "claims-gasless-done", screens);
    },
  );

  await step("no uncaught errors in the page", async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
  await context.close();
}

export const quorumJourney: Journey = {
  name: "quorum: 2 of 3 oracles (one down, one missed an upload), claim all, gasless claim",
  async run(_shared, browser) {
    const log: string[] = [];
    const stack = await startQuorumStack({
      log,
      oracleAccounts: [17, 18, 19],
      threshold: 2,
      relayerOn: [3],
      operatorAccount: 15,
    });
    try {
      await run(stack, browser);
    } catch (error) {
      console.error(`\nlast lines of the quorum stack's output:\n${log.slice(-30).join("\n")}`);
      throw error;
    } finally {
      await stack.stop();
    }
  },
};
