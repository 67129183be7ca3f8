/**
 * Challenge pool journey (issue 14), on a stack of its own whose agent follows the ChallengePool and runs the
 * keeper and the challenge settler (operator: account #8), with Hardhat accounts #5 (Alice: creates the
 * challenge, joins, finishes), #6 (Bob: joins, misses every window), #7 (fee recipient and fallback
 * beneficiary) and #9 (Carol: joins a USDC challenge with a permit):
 * - Alice creates a challenge in the UI (ETH stake 0.05, 2 windows of 1 hour, fee 2.5 %), both join through the
 *   UI with ETH (the join steps confirmed, each seat a vault commitment owned by its participant);
 * - Carol joins a second challenge, staked in the mock USDC, with one EIP-2612 signature: the steps are
 *   permit → join → confirm, exactly the stake leaves her wallet and no allowance is left;
 * - Alice uploads a GPX run in each window and claims each milestone from the dashboard, where her commitment
 *   links to its challenge; Bob does nothing;
 * - time passes the last claim deadline: the keeper slashes Bob's windows to the pool, the settler settles both;
 * - the leaderboard says Finished / Out, the pot is Bob's stake; Alice clicks "Claim winnings" and her balance
 *   grows by exactly `pot * 9750 / 10000` minus the claim's gas (from its receipt); the fee recipient's pool
 *   credit is the rest of the pot, and it withdraws exactly that from the challenge page.
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
  toHex,
  zeroAddress,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { challengePoolAbi, commitmentVaultAbi, mockERC20PermitAbi } from "../../../deployments/abi.ts";
import { gpxRun } from "../gpx.ts";
import {
  assert,
  localInput,
  nav,
  rpc,
  STEP_TIMEOUT_MS,
  screens,
  setActivePage,
  step,
  timeTravel,
} from "../harness.ts";
import { checkScreen } from "../screens.ts";
import { type Stack, startStack } from "../stack.ts";
import { installTestWallet } from "../testWallet.ts";
import type { Journey } from "./index.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const ALICE = mnemonicToAccount(MNEMONIC, { addressIndex: 5 }).address;
const BOB = mnemonicToAccount(MNEMONIC, { addressIndex: 6 }).address;
const RECIPIENT = mnemonicToAccount(MNEMONIC, { addressIndex: 7 }).address;
const CAROL = mnemonicToAccount(MNEMONIC, { addressIndex: 9 }).address;
const OPERATOR_KEY = toHex(
  mnemonicToAccount(MNEMONIC, { addressIndex: 8 }).getHdKey().privateKey as Uint8Array,
);
const STAKE = parseEther("0.05");
const PERIOD = 3600;
const GRACE = 600;
const FEE_BPS = 250n;

async function openAs(browser: Browser, stack: Stack, account: `0x${string}`) {
  const context: BrowserContext = await browser.newContext({
    timezoneId: "UTC",
    locale: "en-GB",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  await installTestWallet(context, { account, rpcUrl: stack.rpcUrl });
  const page: Page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(stack.webUrl);
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("button", { name: "E2E Test Wallet" }).click();
  await nav(page, "Challenges").waitFor();
  return { context, page, errors };
}

async function run(_shared: Stack, browser: Browser): Promise<void> {
  const log: string[] = [];
  const stack = await startStack({
    log,
    challengePool: true,
    agentEnv: { OPERATOR_PRIVATE_KEY: OPERATOR_KEY, KEEPER_ENABLED: "true", KEEPER_INTERVAL_MS: "1000" },
  });
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  let a0: Page | undefined;
  try {
    const pool = stack.challengePool;
    assert(pool !== undefined, "the deployment has no challenge pool");
    const chain = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) });
    const latest = await chain.getBlock();
    const nowSec = Math.max(Number(latest.timestamp), Math.floor(Date.now() / 1000));
    const start = Math.ceil((nowSec + 1200) / 60) * 60;

    const alice = await openAs(browser, stack, ALICE);
    contexts.push(alice.context);
    alice.page.on("pageerror", (e) => pageErrors.push(e.message));
    setActivePage(alice.page);
    const a = alice.page;
    a0 = a;

    await step("challenges: the empty list, then the create form", async () => {
      await nav(a, "Challenges").click();
      await a.getByRole("heading", { name: "Challenges", level: 1 }).waitFor();
      await a.getByText("No challenge yet: create the first one.").waitFor();
      await a.getByRole("button", { name: "Create a challenge" }).click();
      const form = a.getByRole("form", { name: "Create a challenge" });
      await form.getByLabel("Workouts per window").fill("1");
      await form.getByLabel("Minutes per workout (at least)").fill("1");
      await form.getByRole("checkbox", { name: "Ride" }).uncheck();
      await form.getByLabel("Time zone").fill("UTC");
      await form.getByLabel("Stake per participant").fill("0.05");
      await form.getByLabel("First window opens").fill(localInput(start));
      await form.getByLabel("Joining closes").fill(localInput(start - 300));
      await form.getByLabel("Window length", { exact: true }).fill("1");
      await form.getByLabel("Window length unit").selectOption("hours");
      await form.getByLabel("Windows (milestones)").fill("2");
      await form.getByLabel("Grace to claim (hours)").fill("0");
      await form.getByLabel("Most participants").fill("5");
      await form.getByLabel("Fee on the pot (%)").fill("2.5");
      await form.getByLabel("Fee recipient").fill(RECIPIENT);
      // The fallback beneficiary is missing: named, and focus moves there.
      await form.getByRole("button", { name: "Create challenge" }).click();
      await form.getByText("Enter a 0x address (42 characters).").waitFor();
      await checkScreen(a, "challenge-create", screens);
      await form.getByLabel("Fallback beneficiary").fill(RECIPIENT);
    });

    await step("create the challenge: the pool stores exactly the terms typed", async () => {
      await a.getByRole("button", { name: "Create challenge" }).click();
      await a.getByRole("heading", { name: "Challenge #1", level: 1 }).waitFor();
      const [p, participants] = await chain.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "challenge",
        args: [1n],
      });
      assert(p.token === zeroAddress && p.stake === STAKE, `token/stake ${p.token} ${p.stake}`);
      assert(Number(p.start) === start && Number(p.joinDeadline) === start - 300, "schedule");
      assert(p.period === PERIOD && p.milestones === 2 && p.grace === 0, "period/milestones/grace");
      assert(p.maxParticipants === 5 && BigInt(p.feeBps) === FEE_BPS, "capacity/fee");
      assert(p.feeRecipient === RECIPIENT && p.fallbackBeneficiary === RECIPIENT, "recipients");
      assert(participants === 0, "participants");
      await a.getByText("running: 1 workout of at least 1 min per window (device data)").waitFor();
    });

    await step("Alice joins with ETH: the join steps, then her seat", async () => {
      const before = await chain.getBalance({ address: ALICE });
      await a.getByRole("button", { name: "Join with 0.05 ETH" }).click();
      await a.getByTestId("joined").waitFor();
      const steps = await a
        .getByRole("list", { name: "Joining" })
        .locator("li")
        .evaluateAll((lis) =>
          lis.map((li) => `${li.getAttribute("data-step")}:${li.getAttribute("data-status")}`),
        );
      assert(JSON.stringify(steps) === JSON.stringify(["join:done", "confirm:done"]), `steps ${steps}`);
      const spent = before - (await chain.getBalance({ address: ALICE }));
      assert(spent >= STAKE && spent < STAKE + parseEther("0.001"), `spent ${formatEther(spent)}`);
      const id = await chain.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "commitmentOf",
        args: [1n, ALICE],
      });
      const c = await chain.readContract({
        address: stack.vault,
        abi: commitmentVaultAbi,
        functionName: "getCommitment",
        args: [id],
      });
      assert(c.owner === ALICE && c.beneficiary === pool && c.amount === STAKE, "Alice's vault commitment");
      await a.getByRole("table", { name: "Leaderboard" }).getByText("(you)").waitFor();
      await checkScreen(a, "challenge-joined", screens);
    });

    const bob = await openAs(browser, stack, BOB);
    contexts.push(bob.context);
    bob.page.on("pageerror", (e) => pageErrors.push(e.message));
    await step("Bob browses the list and joins with ETH", async () => {
      setActivePage(bob.page);
      const b = bob.page;
      await nav(b, "Challenges").click();
      const card = b.getByTestId("challenge-card");
      await card.getByText("1 of 5 taken · 4 left").waitFor();
      await checkScreen(b, "challenges", screens);
      await card.getByRole("link", { name: "Challenge #1" }).click();
      await b.getByRole("button", { name: "Join with 0.05 ETH" }).click();
      await b.getByTestId("joined").waitFor();
      const [, participants] = await chain.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "challenge",
        args: [1n],
      });
      assert(participants === 2, `participants ${participants}`);
      await b.getByRole("table", { name: "Leaderboard" }).getByText("(you)").waitFor();
      setActivePage(a);
    });

    const carol = await openAs(browser, stack, CAROL);
    contexts.push(carol.context);
    carol.page.on("pageerror", (e) => pageErrors.push(e.message));
    await step(
      "Carol joins a USDC challenge with one permit signature (no approve transaction)",
      async () => {
        const usdc = stack.tokens?.find((t) => t.permit);
        assert(usdc !== undefined, "the deployment has no permit token");
        const stake = 10n * 10n ** BigInt(usdc.decimals);
        const sendAs = async (from: Address, to: Address, data: Hex) => {
          const hash = (await rpc(stack, "eth_sendTransaction", [{ from, to, data }])) as Hex;
          const receipt = await chain.waitForTransactionReceipt({ hash });
          assert(receipt.status === "success", `transaction ${hash} reverted`);
        };
        await sendAs(
          CAROL,
          usdc.address,
          encodeFunctionData({ abi: mockERC20PermitAbi, functionName: "mint", args: [CAROL, 100n * stake] }),
        );
        const [first] = await chain.readContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "challenge",
          args: [1n],
        });
        // The same terms as challenge #1 (so the agent knows its rules), staked in USDC, created from the RPC.
        await sendAs(
          CAROL,
          pool,
          encodeFunctionData({
            abi: challengePoolAbi,
            functionName: "createChallenge",
            args: [{ ...first, token: usdc.address, stake, feeBps: 0 }],
          }),
        );
        setActivePage(carol.page);
        const c = carol.page;
        await c.goto(`${stack.webUrl}/#/challenges/2`);
        const before = await chain.readContract({
          address: usdc.address,
          abi: mockERC20PermitAbi,
          functionName: "balanceOf",
          args: [CAROL],
        });
        await c.getByRole("button", { name: `Join with 10 ${usdc.symbol} (one signature)` }).click();
        await c.getByTestId("joined").waitFor();
        const steps = await c
          .getByRole("list", { name: "Joining" })
          .locator("li")
          .evaluateAll((lis) =>
            lis.map((li) => `${li.getAttribute("data-step")}:${li.getAttribute("data-status")}`),
          );
        assert(
          JSON.stringify(steps) === JSON.stringify(["permit:done", "join:done", "confirm:done"]),
          `steps ${steps}`,
        );
        const [after, allowance, seat] = await Promise.all([
          chain.readContract({
            address: usdc.address,
            abi: mockERC20PermitAbi,
            functionName: "balanceOf",
            args: [CAROL],
          }),
          chain.readContract({
            address: usdc.address,
            abi: mockERC20PermitAbi,
            functionName: "allowance",
            args: [CAROL, pool],
          }),
          chain.readContract({
            address: pool,
            abi: challengePoolAbi,
            functionName: "commitmentOf",
            args: [2n, CAROL],
          }),
        ]);
        assert(before - after === stake, `USDC spent ${before - after}, expected ${stake}`);
        assert(allowance === 0n && seat === 3n, `allowance ${allowance}, seat ${seat}`);
        await c.getByRole("table", { name: "Leaderboard" }).getByText("(you)").waitFor();
        await checkScreen(c, "challenge-join-permit", screens);
        setActivePage(a);
      },
    );

    await step("Alice signs in; her seat is on the dashboard, linked to its challenge", async () => {
      await a.getByRole("button", { name: "Sign in" }).click();
      await a.getByRole("button", { name: "Sign out" }).waitFor();
      await nav(a, "Dashboard").click();
      const badge = a.getByTestId("challenge-badge");
      await badge.getByRole("link", { name: "Part of challenge #1" }).waitFor();
    });

    for (const window of [0, 1]) {
      await step(
        `window ${window + 1}: Alice uploads a GPX run and claims milestone ${window + 1}`,
        async () => {
          const windowStart = start + window * PERIOD;
          const head = Number((await chain.getBlock()).timestamp);
          await timeTravel(stack, windowStart - head + 10);
          // The agent's clock follows the chain's (it reads the latest block every second).
          await a.waitForTimeout(3000);
          const file = join(tmpdir(), `ra-e2e-pool-${process.pid}-${window}.gpx`);
          writeFileSync(file, gpxRun({ start: new Date((windowStart + 5) * 1000), durationSec: 90 }));
          await nav(a, "Workouts").click();
          await a.getByLabel("Choose files").setInputFiles(file);
          await a
            .getByText(`Counts for commitment #1, milestone ${window + 1}.`)
            .waitFor({ timeout: 60_000 });
          await nav(a, "Dashboard").click();
          await a.reload();
          const claim = a.getByRole("button", { name: `Claim milestone ${window + 1}` });
          await claim.waitFor({ timeout: 60_000 });
          await claim.click();
          await a.getByText("Claimed 1 milestone").waitFor();
          const state = await chain.readContract({
            address: stack.vault,
            abi: commitmentVaultAbi,
            functionName: "milestoneState",
            args: [1n, BigInt(window)],
          });
          assert(state === 1, `Alice's milestone ${window + 1} state ${state}`);
        },
      );
    }

    await step("the windows end: the keeper slashes Bob, the settler settles both", async () => {
      const head = Number((await chain.getBlock()).timestamp);
      await timeTravel(stack, start + 2 * PERIOD + GRACE + 60 - head);
      const deadline = Date.now() + 90_000;
      let settled = 0;
      let pot = 0n;
      while (Date.now() < deadline) {
        const [, , s, , p] = await chain.readContract({
          address: pool,
          abi: challengePoolAbi,
          functionName: "challenge",
          args: [1n],
        });
        settled = s;
        pot = p;
        if (settled === 2) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert(settled === 2, `settled ${settled} of 2 after 90 s`);
      assert(pot === STAKE, `pot ${formatEther(pot)} ETH, expected Bob's whole stake`);
    });

    const expected = (STAKE * (10_000n - FEE_BPS)) / 10_000n;
    await step("the challenge page: Finished / Out, the pot, winnings each, Claim winnings", async () => {
      await nav(a, "Challenges").click();
      await a.getByRole("link", { name: "Challenge #1" }).click();
      const board = a.getByRole("table", { name: "Leaderboard" });
      await board.locator('tr[data-standing="finished"]').waitFor({ timeout: 30_000 });
      await board.locator('tr[data-standing="out"]').waitFor();
      assert((await a.getByTestId("challenge-pot").textContent()) === "0.05 ETH", "pot shown");
      assert((await a.getByTestId("winnings-each").textContent()) === "0.04875 ETH", "winnings each shown");
      await a.getByRole("button", { name: "Claim winnings (0.04875 ETH)" }).waitFor();
      const onChain = await chain.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "winningsOf",
        args: [1n, ALICE],
      });
      assert(onChain === expected, `winningsOf ${onChain} != ${expected}`);
      await checkScreen(a, "challenge", screens);
    });

    await step("Alice claims her winnings: the balance grows by exactly them (minus gas)", async () => {
      const before = await chain.getBalance({ address: ALICE });
      const fromBlock = await chain.getBlockNumber();
      await a.getByRole("button", { name: "Claim winnings (0.04875 ETH)" }).click();
      await a.getByTestId("winnings-claimed").getByText("Claimed 0.04875 ETH").waitFor();
      const after = await chain.getBalance({ address: ALICE });
      const [claimed] = await chain.getContractEvents({
        address: pool,
        abi: challengePoolAbi,
        eventName: "WinningsClaimed",
        fromBlock,
      });
      assert(claimed?.args.amount === expected && claimed.args.participant === ALICE, "WinningsClaimed");
      const receipt = await chain.getTransactionReceipt({ hash: claimed.transactionHash });
      const gas = receipt.gasUsed * receipt.effectiveGasPrice;
      assert(after - before + gas === expected, `gained ${formatEther(after - before + gas)} ETH before gas`);
      const credit = await chain.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "credits",
        args: [RECIPIENT, zeroAddress],
      });
      assert(credit === STAKE - expected, `fee recipient credit ${credit}`);
      await a.getByTestId("my-standing").getByText("Your winnings are claimed.").waitFor({ timeout: 15_000 });
      await checkScreen(a, "challenge-claimed", screens);
    });

    await step("the fee recipient withdraws its pool credit: exactly the fee and the dust", async () => {
      const recipient = await openAs(browser, stack, RECIPIENT);
      contexts.push(recipient.context);
      recipient.page.on("pageerror", (e) => pageErrors.push(e.message));
      setActivePage(recipient.page);
      const r = recipient.page;
      await r.goto(`${stack.webUrl}/#/challenges/1`);
      const fee = STAKE - expected;
      const button = r.getByRole("button", { name: "Withdraw 0.00125 ETH of pool credits" });
      await button.waitFor();
      const before = await chain.getBalance({ address: RECIPIENT });
      const fromBlock = await chain.getBlockNumber();
      await button.click();
      await r.getByText("Withdrew 0.00125 ETH.").waitFor();
      const [withdrawn] = await chain.getContractEvents({
        address: pool,
        abi: challengePoolAbi,
        eventName: "Withdrawn",
        fromBlock,
      });
      assert(withdrawn !== undefined, "no Withdrawn event");
      const receipt = await chain.getTransactionReceipt({ hash: withdrawn.transactionHash });
      const gas = receipt.gasUsed * receipt.effectiveGasPrice;
      const after = await chain.getBalance({ address: RECIPIENT });
      assert(
        after - before + gas === fee,
        `gained ${formatEther(after - before + gas)} ETH, expected the fee`,
      );
      const left = await chain.readContract({
        address: pool,
        abi: challengePoolAbi,
        functionName: "credits",
        args: [RECIPIENT, zeroAddress],
      });
      assert(left === 0n, `credit left ${left}`);
      setActivePage(a);
    });

    await step("no uncaught errors in the pages", async () => {
      assert(pageErrors.length === 0, pageErrors.join("\n"));
    });
  } catch (error) {
    const agentLines = log.filter((line) => line.startsWith("[agent]"));
    if (process.env.E2E_POOL_FAILURE_SHOT) {
      await a0?.screenshot({ path: process.env.E2E_POOL_FAILURE_SHOT, fullPage: true }).catch(() => {});
    }
    if (pageErrors.length > 0) console.error(`\npage errors:\n${pageErrors.join("\n")}`);
    console.error(`\nlast lines of the pool stack's agent:\n${agentLines.slice(-30).join("\n")}`);
    throw error;
  } finally {
    setActivePage(undefined);
    for (const c of contexts) await c.close();
    await stack.stop();
  }
}

export const poolJourney: Journey = { name: "challenge pool: create, join, finish, claim winnings", run };
