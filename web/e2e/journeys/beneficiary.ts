/**
 * Beneficiary journey (issue 15), on a stack of its own (it mines 1,000,000 blocks and moves the chain's clock
 * by as many seconds, which must not touch the other journeys), with Hardhat accounts #10 (owner), #11
 * (beneficiary) and #12 (a third party who settles missed windows, as a keeper would):
 * - the owner cancels a commitment before its start, after a confirmation: the stake comes back exactly (minus
 *   the cancel's gas, from its receipt);
 * - a commitment with known rules: a GPX run counts in window 1; the dashboard's progress chart (accessible SVG
 *   with a table) shows it against the required line;
 * - its windows end; missed ones are slashed to the beneficiary, who connects, sees the credit, withdraws:
 *   the wallet grows by exactly the credit minus the withdraw's gas, and the credit is 0;
 * - 1,000,000 blocks later (one `hardhat_mine`) with the agent unreachable, the owner's commitment still shows,
 *   read from the vault by id, under a notice saying so.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
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
  zeroAddress,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { gpxRun } from "../gpx.ts";
import { assert, nav, rpc, STEP_TIMEOUT_MS, screens, setActivePage, step, timeTravel } from "../harness.ts";
import { checkScreen } from "../screens.ts";
import { type Stack, startStack } from "../stack.ts";
import { installTestWallet } from "../testWallet.ts";
import type { Journey } from "./index.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const OWNER = mnemonicToAccount(MNEMONIC, { addressIndex: 10 }).address;
const BENEFICIARY = mnemonicToAccount(MNEMONIC, { addressIndex: 11 }).address;
const SETTLER = mnemonicToAccount(MNEMONIC, { addressIndex: 12 }).address;
const RULES = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 1, minMinutes: 1, activities: ["run"] },
  evidence: "device",
};
const MINED_BLOCKS = 1_000_001;

async function send(stack: Stack, chain: PublicClient, from: Address, data: Hex, value = 0n) {
  const hash = (await rpc(stack, "eth_sendTransaction", [
    { from, to: stack.vault, data, value: toHex(value) },
  ])) as Hex;
  const receipt = await chain.waitForTransactionReceipt({ hash });
  assert(receipt.status === "success", `transaction ${hash} reverted`);
  return receipt;
}

async function createCommitment(
  stack: Stack,
  chain: PublicClient,
  p: { amount: bigint; start: bigint; milestones: number; rulesHash: Hex },
): Promise<{ id: bigint; block: bigint }> {
  const receipt = await send(
    stack,
    chain,
    OWNER,
    encodeFunctionData({
      abi: commitmentVaultAbi,
      functionName: "createCommitment",
      args: [
        {
          token: zeroAddress,
          amount: p.amount,
          start: p.start,
          period: 3600,
          milestones: p.milestones,
          grace: 600,
          beneficiary: BENEFICIARY,
          rulesHash: p.rulesHash,
        },
      ],
    }),
    p.amount,
  );
  const id = await chain.readContract({
    address: stack.vault,
    abi: commitmentVaultAbi,
    functionName: "commitmentCount",
  });
  return { id, block: receipt.blockNumber };
}

/** What the account paid in gas for its last transaction to the vault (its receipt: gasUsed × price). */
async function lastGasPaid(chain: PublicClient, from: Address, vault: Address): Promise<bigint> {
  const head = await chain.getBlockNumber();
  for (let n = head; n > head - 10n && n >= 0n; n--) {
    const block = await chain.getBlock({ blockNumber: n, includeTransactions: true });
    const tx = block.transactions.find(
      (t) => t.from.toLowerCase() === from.toLowerCase() && t.to?.toLowerCase() === vault.toLowerCase(),
    );
    if (tx !== undefined) {
      const receipt = await chain.getTransactionReceipt({ hash: tx.hash });
      return receipt.gasUsed * receipt.effectiveGasPrice;
    }
  }
  throw new Error(`no recent transaction from ${from} to the vault`);
}

async function openAs(browser: Browser, stack: Stack, account: Address): Promise<[BrowserContext, Page]> {
  const context = await browser.newContext({
    timezoneId: "UTC",
    locale: "en-GB",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  await installTestWallet(context, { account, rpcUrl: stack.rpcUrl });
  const page = await context.newPage();
  setActivePage(page);
  await page.goto(stack.webUrl);
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("button", { name: "E2E Test Wallet" }).click();
  return [context, page];
}

async function run(stack: Stack, browser: Browser): Promise<void> {
  const chain = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) }) as PublicClient;
  const pageErrors: string[] = [];
  let rulesHash: Hex = "0x";
  let settled: { id: bigint; block: bigint } = { id: 0n, block: 0n };
  let cancelled: { id: bigint; block: bigint } = { id: 0n, block: 0n };
  let start = 0;

  await step("the owner creates two commitments naming account #11 as beneficiary", async () => {
    const res = await fetch(`${stack.agentUrl}/api/rules`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rules: RULES }),
    });
    assert(res.ok, `POST /api/rules answered ${res.status}`);
    rulesHash = ((await res.json()) as { rulesHash: Hex }).rulesHash;
    const block = await chain.getBlock();
    start = Math.ceil((Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000)) + 120) / 60) * 60;
    settled = await createCommitment(stack, chain, {
      amount: parseEther("0.02"),
      start: BigInt(start),
      milestones: 2,
      rulesHash,
    });
    cancelled = await createCommitment(stack, chain, {
      amount: parseEther("0.01"),
      start: BigInt(start + 2 * 86_400),
      milestones: 1,
      rulesHash,
    });
  });

  const [ownerContext, owner] = await openAs(browser, stack, OWNER);
  owner.on("pageerror", (e) => pageErrors.push(e.message));

  await step("the owner signs in: both commitments listed through the agent", async () => {
    await owner.getByRole("button", { name: "Sign in" }).click();
    await owner.getByRole("button", { name: "Sign out" }).waitFor();
    for (const c of [settled, cancelled])
      await owner
        .locator(`[data-testid="commitment-card"][data-commitment-id="${c.id}"]`)
        .waitFor({ timeout: 60_000 });
    assert(
      (await owner.getByTestId("chain-fallback").count()) === 0,
      "fallback notice while the agent is up",
    );
  });

  await step("cancel before start: confirm, then the whole stake comes back (minus gas)", async () => {
    const card = owner.locator(`[data-testid="commitment-card"][data-commitment-id="${cancelled.id}"]`);
    await card.getByRole("button", { name: `Cancel commitment #${cancelled.id}` }).click();
    const yes = card.getByRole("button", { name: "Yes, cancel and refund 0.01 ETH" });
    await yes.waitFor();
    assert(
      await yes.evaluate((el) => el === document.activeElement),
      "focus did not move to the confirmation",
    );
    await checkScreen(owner, "dashboard-cancel-confirm", screens);
    const before = await chain.getBalance({ address: OWNER });
    await yes.click();
    await owner.getByTestId("cancel-done").waitFor({ timeout: 60_000 });
    const gained = (await chain.getBalance({ address: OWNER })) - before;
    const gas = await lastGasPaid(chain, OWNER, stack.vault);
    assert(gained + gas === parseEther("0.01"), `gained ${formatEther(gained)} ETH, gas ${formatEther(gas)}`);
    const c = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "getCommitment",
      args: [cancelled.id],
    });
    assert(c.closed, "the cancelled commitment is not closed");
    await checkScreen(owner, "dashboard-cancelled", screens);
  });

  await step("a run in window 1: the progress chart shows it against the required line", async () => {
    const block = await chain.getBlock();
    await timeTravel(stack, start - Number(block.timestamp) + 10);
    const file = join(tmpdir(), `ra-e2e-beneficiary-run-${process.pid}.gpx`);
    writeFileSync(file, gpxRun({ start: new Date((start + 5) * 1000), durationSec: 90 }));
    await nav(owner, "Workouts").click();
    await owner.getByLabel("Choose files").setInputFiles(file);
    await owner.getByText(`Counts for commitment #${settled.id}, milestone 1.`).waitFor({ timeout: 60_000 });
    await nav(owner, "Dashboard").click();
    const card = owner.locator(`[data-testid="commitment-card"][data-commitment-id="${settled.id}"]`);
    const chart = card.getByTestId("progress-chart");
    await chart.waitFor({ timeout: 60_000 });
    const svg = chart.getByRole("img", { name: `Progress of commitment #${settled.id}` });
    await svg.waitFor();
    // The first paint may be the agent's answer from before the upload; the refetch follows.
    await svg
      .locator("desc")
      .filter({ hasText: "1 qualifying workout of 2 required" })
      .waitFor({ state: "attached", timeout: 30_000 })
      .catch(async () => {
        throw new Error(`chart description: ${await svg.locator("desc").textContent()}`);
      });
    await chart.getByTestId("chart-today").waitFor({ state: "attached" });
    await chart.getByText("Progress as a table").click();
    const rows = await chart
      .getByTestId("progress-table")
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute("data-status")}:${tr.textContent}`));
    assert(rows.length === 2 && rows[0]?.startsWith("on-track:1") === true, `rows ${JSON.stringify(rows)}`);
    assert(rows[1]?.startsWith("upcoming:2") === true, `rows ${JSON.stringify(rows)}`);
    await checkScreen(owner, "dashboard-progress-chart", screens);
  });

  let credit = 0n;
  await step(
    "both windows end; what is still open is slashed to the beneficiary by a third party",
    async () => {
      const block = await chain.getBlock();
      await timeTravel(stack, start + 2 * 3600 + 600 + 60 - Number(block.timestamp));
      let slashedAmount = 0n;
      for (const index of [0n, 1n]) {
        const state = await chain.readContract({
          address: stack.vault,
          abi: commitmentVaultAbi,
          functionName: "milestoneState",
          args: [settled.id, index],
        });
        if (state === 0)
          await send(
            stack,
            chain,
            SETTLER,
            encodeFunctionData({ abi: commitmentVaultAbi, functionName: "slash", args: [settled.id, index] }),
          );
        const after = await chain.readContract({
          address: stack.vault,
          abi: commitmentVaultAbi,
          functionName: "milestoneState",
          args: [settled.id, index],
        });
        if (after === 2) slashedAmount += parseEther("0.01");
      }
      credit = await chain.readContract({
        address: stack.vault,
        abi: commitmentVaultAbi,
        functionName: "credits",
        args: [BENEFICIARY, zeroAddress],
      });
      assert(slashedAmount > 0n && credit === slashedAmount, `credit ${formatEther(credit)} ETH`);
    },
  );

  await step(
    "the beneficiary sees the credit and withdraws it: balance + credit − gas, credit 0",
    async () => {
      const [context, page] = await openAs(browser, stack, BENEFICIARY);
      page.on("pageerror", (e) => pageErrors.push(e.message));
      const credits = page.getByTestId("beneficiary-credits");
      await credits.waitFor({ timeout: 60_000 });
      const shown = (await credits.getByTestId("credit").textContent()) ?? "";
      assert(shown.includes(`${formatEther(credit)} ETH`), `credit shown: ${shown}`);
      await checkScreen(page, "dashboard-beneficiary-credits", screens);
      const before = await chain.getBalance({ address: BENEFICIARY });
      await credits.getByRole("button", { name: "Withdraw ETH" }).click();
      await page.getByTestId("withdraw-done").waitFor({ timeout: 60_000 });
      const after = await chain.getBalance({ address: BENEFICIARY });
      const gas = await lastGasPaid(chain, BENEFICIARY, stack.vault);
      assert(
        after - before === credit - gas,
        `balance grew ${formatEther(after - before)} ETH; credit ${formatEther(credit)}, gas ${formatEther(gas)}`,
      );
      const left = await chain.readContract({
        address: stack.vault,
        abi: commitmentVaultAbi,
        functionName: "credits",
        args: [BENEFICIARY, zeroAddress],
      });
      assert(left === 0n, `credit left ${left}`);
      await credits.getByText("Nothing left to withdraw.").waitFor();
      await checkScreen(page, "dashboard-beneficiary-withdrawn", screens);
      await context.close();
      setActivePage(owner);
    },
  );

  await step("1,000,000 blocks later, with the agent unreachable, the commitment still shows", async () => {
    await rpc(stack, "hardhat_mine", [toHex(MINED_BLOCKS)]);
    const head = await chain.getBlockNumber({ cacheTime: 0 });
    assert(head - settled.block > 1_000_000n, `only ${head - settled.block} blocks since the commitment`);
    await owner.route(`${stack.agentUrl}/**`, (route) => route.abort("connectionrefused"));
    await owner.reload();
    await owner.getByTestId("chain-fallback").waitFor({ timeout: 60_000 });
    const card = owner.locator(`[data-testid="commitment-card"][data-commitment-id="${settled.id}"]`);
    await card.waitFor();
    await owner.locator(`[data-testid="commitment-card"][data-commitment-id="${cancelled.id}"]`).waitFor();
    const statuses = await card
      .locator(".timeline li")
      .evaluateAll((lis) => lis.map((li) => li.getAttribute("data-status")));
    assert(statuses.length === 2, `statuses ${statuses}`);
    await checkScreen(owner, "dashboard-chain-fallback", screens);
    await owner.unroute(`${stack.agentUrl}/**`);
  });

  await step("no uncaught errors in the pages", async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
  await ownerContext.close();
}

export const beneficiaryJourney: Journey = {
  name: "beneficiary: withdraw, cancel before start, progress chart, chain fallback 1,000,000 blocks later",
  async run(_shared, browser) {
    const log: string[] = [];
    const stack = await startStack({ log });
    try {
      await run(stack, browser);
    } catch (error) {
      console.error(`\nlast lines of the beneficiary stack's output:\n${log.slice(-30).join("\n")}`);
      throw error;
    } finally {
      await stack.stop();
    }
  },
};
