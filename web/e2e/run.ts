/**
 * End-to-end browser tests in real Chromium (Debian's /usr/bin/chromium through playwright-core; never a
 * browser download) against a stack this runner starts itself (see stack.ts), with an injected EIP-6963 test
 * wallet backed by a funded Hardhat account (see testWallet.ts).
 *
 *   node web/e2e/run.ts                      the whole journey
 *   CHROME_PATH=/path/to/chromium            another Chromium binary
 *   E2E_ONLY=beneficiary                     only the journeys whose name contains this (no main journey);
 *                                            E2E_ONLY=main: only the main journey
 *
 * Without a Chromium binary the run is skipped with a message saying so (exit 0), except under CI=true, where
 * it fails: CI installs Debian's chromium (.ci/run).
 *
 * Journey: no wallet → connect → sign in → errors (field errors, agent unreachable, rejected request, wrong
 * network) with the typed values kept → create an ETH commitment (browser rulesHash == agent rulesHash, exact
 * milestone amounts) → dashboard → upload a GPX run → claimable → claim → balance up → time travel →
 * missed windows settled → slashed, beneficiary credited → a second commitment's window ends unclaimed: appeal it
 * (bond posted, state Appealed, shown with its bond) → the guardian pauses for 30 days: exit (the appealed share
 * and its bond back). Every screen: axe + screenshots at 375/1280 px.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import {
  createPublicClient,
  encodeFunctionData,
  formatEther,
  type Hex,
  http,
  keccak256,
  parseEther,
  toHex,
  zeroAddress,
} from "viem";
import { hardhat } from "viem/chains";
import { commitmentVaultAbi } from "../../deployments/abi.ts";
import { gpxRun } from "./gpx.ts";
import {
  assert,
  localInput,
  nav,
  results,
  rpc,
  STEP_TIMEOUT_MS,
  screens,
  setActivePage,
  step,
  timeTravel,
  waitForAgentToList,
} from "./harness.ts";
import { journeys } from "./journeys/index.ts";
import { checkScreen, SCREENSHOT_DIR } from "./screens.ts";
import { HARDHAT_ACCOUNTS, type Stack, startStack } from "./stack.ts";
import { installTestWallet } from "./testWallet.ts";

const CHROME_PATH = process.env.CHROME_PATH ?? "/usr/bin/chromium";

async function journey(stack: Stack, browser: Browser): Promise<void> {
  const chain = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) });
  const staker = HARDHAT_ACCOUNTS.staker.address;
  const beneficiary = HARDHAT_ACCOUNTS.beneficiary.address;

  await step("without a wallet, the connect dialog says none was found", async () => {
    const context = await browser.newContext({ timezoneId: "UTC", locale: "en-GB" });
    const page = await context.newPage();
    await page.goto(stack.webUrl);
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByText("No wallet found.").waitFor({ timeout: STEP_TIMEOUT_MS });
    await checkScreen(page, "connect-no-wallet", screens);
    await context.close();
  });

  const context = await browser.newContext({
    timezoneId: "UTC",
    locale: "en-GB",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  await installTestWallet(context, { account: staker, rpcUrl: stack.rpcUrl });
  const page: Page = await context.newPage();
  setActivePage(page);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));

  await step("landing page", async () => {
    await page.goto(stack.webUrl);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await checkScreen(page, "landing", screens);
  });

  await step("connect the EIP-6963 test wallet", async () => {
    await page.getByRole("button", { name: "Connect wallet" }).click();
    await page.getByRole("button", { name: "E2E Test Wallet" }).waitFor();
    await checkScreen(page, "connect-dialog", screens);
    await page.getByRole("button", { name: "E2E Test Wallet" }).click();
    await page.getByText("You have no commitment yet.").waitFor();
  });

  await step("sign in with Ethereum against the agent", async () => {
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    const session = await page.evaluate(async (agentUrl) => {
      const res = await fetch(`${agentUrl}/api/auth/session`, { credentials: "include" });
      return res.ok ? ((await res.json()) as { address: string }) : null;
    }, stack.agentUrl);
    assert(session?.address.toLowerCase() === staker.toLowerCase(), `session is ${JSON.stringify(session)}`);
    await checkScreen(page, "dashboard-empty", screens);
  });

  await step("wrong network: a clear message and a one-click switch", async () => {
    await page.evaluate(() =>
      (window as unknown as { __testWallet: { setChain(c: string): void } }).__testWallet.setChain("0x1"),
    );
    await page.getByText("Wrong network.").waitFor();
    await checkScreen(page, "wrong-network", screens);
    await page.getByRole("button", { name: /Switch to Hardhat/ }).click();
    await page.getByText("You have no commitment yet.").waitFor();
  });

  const latest = await chain.getBlock();
  const nowSec = Math.max(Number(latest.timestamp), Math.floor(Date.now() / 1000));
  const start = Math.ceil((nowSec + 90) / 60) * 60;

  await step("new commitment: fill the form; missing beneficiary is named, values kept", async () => {
    await nav(page, "New commitment").click();
    await page.getByRole("heading", { name: "New commitment" }).waitFor();
    await page.getByLabel("Workouts per window").fill("1");
    await page.getByLabel("Minutes per workout (at least)").fill("1");
    await page.getByRole("checkbox", { name: "Ride" }).uncheck();
    await page.getByRole("checkbox", { name: "Strength" }).uncheck();
    await page.getByLabel("Time zone").selectOption("UTC");
    await page.getByLabel("Amount (ETH)").fill("0.1");
    await page.getByLabel("First window opens").fill(localInput(start));
    await page.getByLabel("Number of windows (milestones)").fill("2");
    await page.getByLabel("Window length", { exact: true }).fill("1");
    await page.getByLabel("Window length unit").selectOption("hours");
    await page.getByLabel("Grace (hours)").fill("1");
    await page.getByRole("button", { name: "Create commitment" }).click();
    await page.getByText("Enter a 0x address (42 characters).").waitFor();
    const focused = await page.evaluate(() => document.activeElement?.getAttribute("aria-invalid"));
    assert(focused === "true", "focus did not move to the first wrong field");
    assert((await page.getByLabel("Amount (ETH)").inputValue()) === "0.1", "the amount was not kept");
    await checkScreen(page, "new-commitment-errors", screens);
    await page.getByLabel("Who receives a missed window’s share").fill(beneficiary);
  });

  await step("review: exact milestone amounts and the browser rulesHash equals the agent's", async () => {
    const amounts = await page.getByTestId("milestone-amount").allTextContents();
    assert(JSON.stringify(amounts) === JSON.stringify(["0.05 ETH", "0.05 ETH"]), `amounts ${amounts}`);
    const shown = (await page.getByTestId("rules-hash").textContent())?.trim();
    const res = await fetch(`${stack.agentUrl}/api/rules`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        rules: {
          version: 1,
          timezone: "UTC",
          perMilestone: { minWorkouts: 1, minMinutes: 1, activities: ["run"] },
          evidence: "device",
        },
      }),
    });
    const agent = (await res.json()) as { rulesHash: string };
    assert(shown === agent.rulesHash, `browser ${shown} != agent ${agent.rulesHash}`);
    await checkScreen(page, "new-commitment-review", screens);
  });

  await step("agent unreachable: said in words, the form is kept", async () => {
    await page.route(`${stack.agentUrl}/api/rules`, (route) => route.abort("connectionrefused"));
    await page.getByRole("button", { name: "Create commitment" }).click();
    await page.getByText("The agent is unreachable.").waitFor();
    assert(
      (await page.getByLabel("Who receives a missed window’s share").inputValue()) === beneficiary,
      "beneficiary lost",
    );
    await checkScreen(page, "error-agent-unreachable", screens);
    await page.unroute(`${stack.agentUrl}/api/rules`);
  });

  await step("request rejected in the wallet: said in words, nothing sent, the form is kept", async () => {
    const before = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "commitmentCount",
    });
    await page.evaluate(() => {
      (window as unknown as { __testWallet: { rejectNext: boolean } }).__testWallet.rejectNext = true;
    });
    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByText("Request rejected.").waitFor();
    const after = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "commitmentCount",
    });
    assert(after === before, "a commitment was created although the request was rejected");
    assert((await page.getByLabel("Amount (ETH)").inputValue()) === "0.1", "the amount was not kept");
    await checkScreen(page, "error-rejected", screens);
  });

  let balanceAfterCreate = 0n;
  await step("create the ETH commitment: pending, then confirmed", async () => {
    const before = await chain.getBalance({ address: staker });
    await page.getByRole("button", { name: "Try again" }).click();
    await page.getByRole("heading", { name: "Commitment created" }).waitFor();
    await page.getByText("Commitment #1 holds your stake.").waitFor();
    balanceAfterCreate = await chain.getBalance({ address: staker });
    const spent = before - balanceAfterCreate;
    assert(spent >= parseEther("0.1") && spent < parseEther("0.101"), `spent ${formatEther(spent)} ETH`);
    const c = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "getCommitment",
      args: [1n],
    });
    assert(
      c.owner === staker && c.amount === parseEther("0.1") && c.milestones === 2 && Number(c.start) === start,
      "on-chain params",
    );
    assert(c.token === zeroAddress && c.beneficiary === beneficiary, "token/beneficiary");
    await checkScreen(page, "new-commitment-confirmed", screens);
  });

  await step("dashboard: the card, its timeline and the totals", async () => {
    await nav(page, "Dashboard").click();
    const card = page.getByTestId("commitment-card");
    await card.waitFor();
    const statuses = await card
      .locator(".timeline li")
      .evaluateAll((lis) => lis.map((li) => li.getAttribute("data-status")));
    assert(JSON.stringify(statuses) === JSON.stringify(["upcoming", "upcoming"]), `statuses ${statuses}`);
    assert((await page.getByTestId("total-locked").textContent()) === "0.1 ETH", "locked total");
    await checkScreen(page, "dashboard", screens);
  });

  await step("workouts screen", async () => {
    await nav(page, "Workouts").click();
    await page.getByRole("heading", { name: "Workouts", level: 1 }).waitFor();
    await page.getByText("Drop .fit, .gpx or .tcx files here").waitFor();
    await checkScreen(page, "workouts", screens);
  });

  await step("coach screen", async () => {
    await nav(page, "Coach").click();
    await page.getByRole("heading", { name: "Coach", level: 1 }).waitFor();
    await page.getByLabel("Message").waitFor();
    await checkScreen(page, "coach", screens);
  });

  await step("coach: upload a calendar, then ask how I am doing (answered from tool results)", async () => {
    const ics = join(tmpdir(), `ra-e2e-calendar-${process.pid}.ics`);
    writeFileSync(
      ics,
      [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Resolution Autopilot//e2e//EN",
        "BEGIN:VEVENT",
        "UID:standup@e2e",
        "DTSTAMP:20261122T090000Z",
        "DTSTART:20261123T090000Z",
        "DTEND:20261123T100000Z",
        "RRULE:FREQ=DAILY;COUNT=5",
        "SUMMARY:Stand-up",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
      ].join("\r\n"),
    );
    await page.getByLabel("Calendar file (.ics)").setInputFiles(ics);
    await page.getByText("Calendar saved.").waitFor();
    await page.getByLabel("Message").fill("how am I doing?");
    await page.getByRole("button", { name: "Send" }).click();
    const reply = page.locator(".msg.coach").first();
    await reply.waitFor();
    const text = (await reply.locator("p").first().textContent()) ?? "";
    assert(text.trim().length > 0, "the coach's reply is empty");
    await checkScreen(page, "coach-chat", screens);
  });

  await step("upload a GPX run in window 1: it counts for milestone 1", async () => {
    await timeTravel(stack, start - nowSec + 10);
    const file = join(tmpdir(), `ra-e2e-run-${process.pid}.gpx`);
    writeFileSync(file, gpxRun({ start: new Date((start + 5) * 1000), durationSec: 90 }));
    await nav(page, "Workouts").click();
    await page.getByLabel("Choose files").setInputFiles(file);
    await page.getByText("Counts for commitment #1, milestone 1.").waitFor({ timeout: 60_000 });
    await checkScreen(page, "workouts-uploaded", screens);
  });

  await step(
    "a GPX that names no sport: the agent says why it cannot tell; the owner declares it",
    async () => {
      // Two hours before the window, at walking pace without cadence: nothing to infer from, so it stays open.
      const file = join(tmpdir(), `ra-e2e-walk-${process.pid}.gpx`);
      writeFileSync(
        file,
        gpxRun({ start: new Date((start - 7200) * 1000), durationSec: 600, speedMps: 1.1, type: null }),
      );
      await page.getByLabel("Choose files").setInputFiles(file);
      const results = page.getByTestId("upload-results");
      await results.getByText(/^Sport: not recognised/).waitFor({ timeout: 60_000 });
      await results.getByLabel("What was it?").selectOption("walk");
      await results.getByRole("button", { name: "Save sport" }).click();
      await results.getByText("Saved: walk.").waitFor();
      await results.getByText("Sport: walk, as you declared it.").waitFor();
      await checkScreen(page, "workouts-sport-declared", screens);
    },
  );

  await step("claim milestone 1: released, balance up by its share", async () => {
    await nav(page, "Dashboard").click();
    await page.reload();
    const claim = page.getByRole("button", { name: "Claim milestone 1" });
    await claim.waitFor({ timeout: 60_000 });
    await checkScreen(page, "dashboard-claimable", screens);
    const before = await chain.getBalance({ address: staker });
    await claim.click();
    await page.getByText("Claimed 1 milestone").waitFor();
    const after = await chain.getBalance({ address: staker });
    const gained = after - before;
    assert(gained > parseEther("0.049") && gained <= parseEther("0.05"), `gained ${formatEther(gained)} ETH`);
    const state = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "milestoneState",
      args: [1n, 0n],
    });
    assert(state === 1, `milestone 1 state ${state}`);
    await page.locator('.timeline li[data-status="released"]').first().waitFor();
  });
  const expectedSlashed = 1;

  await step(
    "time travel: missed windows show as missed, then slashed; the beneficiary is credited",
    async () => {
      const block = await chain.getBlock();
      await timeTravel(stack, start + 3 * 3600 + 60 - Number(block.timestamp));
      await nav(page, "Dashboard").click();
      await page.reload();
      const settle = page.getByRole("button", {
        name: new RegExp(`Settle ${expectedSlashed} missed window`),
      });
      await settle.waitFor();
      await checkScreen(page, "dashboard-missed", screens);
      await settle.click();
      await page.getByText(/Settled \d missed window/).waitFor();
      await page.reload();
      await page.getByTestId("commitment-card").waitFor();
      const statuses = await page
        .getByTestId("commitment-card")
        .locator(".timeline li")
        .evaluateAll((lis) => lis.map((li) => li.getAttribute("data-status")));
      const slashed = statuses.filter((s) => s === "slashed").length;
      assert(slashed === expectedSlashed, `statuses ${statuses}`);
      const credited = await chain.readContract({
        address: stack.vault,
        abi: commitmentVaultAbi,
        functionName: "credits",
        args: [beneficiary, zeroAddress],
      });
      assert(
        credited === parseEther("0.05") * BigInt(expectedSlashed),
        `beneficiary credit ${formatEther(credited)}`,
      );
      await checkScreen(page, "dashboard-slashed", screens);
    },
  );

  await step(
    "appeal: a window ended unclaimed; the owner posts the bond and the milestone shows as appealed",
    async () => {
      // A second commitment, created straight through the test wallet's account: 0.01 ETH, one 1-hour window.
      const block = await chain.getBlock();
      const hash = (await rpc(stack, "eth_sendTransaction", [
        {
          from: staker,
          to: stack.vault,
          value: toHex(parseEther("0.01")),
          data: encodeFunctionData({
            abi: commitmentVaultAbi,
            functionName: "createCommitment",
            args: [
              {
                token: zeroAddress,
                amount: parseEther("0.01"),
                start: block.timestamp + 60n,
                period: 3600,
                milestones: 1,
                grace: 600,
                beneficiary,
                rulesHash: keccak256(toHex("e2e appeal")),
              },
            ],
          }),
        },
      ])) as Hex;
      const receipt = await chain.waitForTransactionReceipt({ hash });
      assert(receipt.status === "success", "second commitment created");
      // The signed-in dashboard lists what the agent has indexed: wait for its poll to see the new commitment.
      await waitForAgentToList(page, stack, 2n);
      // Past the window's end, before its claim deadline.
      await timeTravel(stack, 60 + 3600 + 5);
      await nav(page, "Dashboard").click();
      await page.reload();
      const appeal = page.getByRole("button", { name: "Appeal milestone 1 (bond 0.001 ETH)" });
      await appeal.waitFor({ timeout: 60_000 });
      await checkScreen(page, "dashboard-appealable", screens);
      const before = await chain.getBalance({ address: staker });
      await appeal.click();
      await page.getByTestId("appeal-done").waitFor({ timeout: 60_000 });
      const spent = before - (await chain.getBalance({ address: staker }));
      assert(spent >= parseEther("0.001") && spent < parseEther("0.0011"), `spent ${formatEther(spent)} ETH`);
      const [state, [appealedAt, bond]] = await Promise.all([
        chain.readContract({
          address: stack.vault,
          abi: commitmentVaultAbi,
          functionName: "milestoneState",
          args: [2n, 0n],
        }),
        chain.readContract({
          address: stack.vault,
          abi: commitmentVaultAbi,
          functionName: "appealOf",
          args: [2n, 0n],
        }),
      ]);
      assert(state === 4 && appealedAt > 0n && bond === parseEther("0.001"), `state ${state}, bond ${bond}`);
      await page.reload();
      const card = page.locator('[data-testid="commitment-card"][data-commitment-id="2"]');
      await card.locator('.timeline li[data-status="appealed"]').waitFor();
      const shown = (await card.getByTestId("appeal").textContent()) ?? "";
      assert(
        shown.includes("bond 0.001 ETH") && shown.includes("awaiting the arbiter"),
        `appeal shown: ${shown}`,
      );
      await checkScreen(page, "dashboard-appealed", screens);
    },
  );

  await step("sign out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  });

  // After sign-out: 30 days of chain time outlive the session; exit needs only the wallet.
  await step(
    "exit: after 30 days paused anyone may exit; the appealed share and its bond come back",
    async () => {
      const pause = (await rpc(stack, "eth_sendTransaction", [
        {
          from: HARDHAT_ACCOUNTS.deployer.address,
          to: stack.vault,
          data: encodeFunctionData({ abi: commitmentVaultAbi, functionName: "pause" }),
        },
      ])) as Hex;
      assert((await chain.waitForTransactionReceipt({ hash: pause })).status === "success", "paused");
      await timeTravel(stack, 30 * 86_400 + 3600);
      await nav(page, "Dashboard").click();
      await page.reload();
      await page.getByTestId("exit-available").waitFor({ timeout: 60_000 });
      const exit = page.getByRole("button", { name: "Exit commitment #2" });
      await exit.waitFor();
      await checkScreen(page, "dashboard-exit-available", screens);
      const before = await chain.getBalance({ address: staker });
      await exit.click();
      await page.getByText("Commitment #2 exited").waitFor({ timeout: 60_000 });
      const gained = (await chain.getBalance({ address: staker })) - before;
      // 0.01 ETH share + 0.001 ETH bond, minus the exit's gas.
      assert(
        gained > parseEther("0.0109") && gained <= parseEther("0.011"),
        `gained ${formatEther(gained)} ETH`,
      );
      const state = await chain.readContract({
        address: stack.vault,
        abi: commitmentVaultAbi,
        functionName: "milestoneState",
        args: [2n, 0n],
      });
      assert(state === 3, `milestone state ${state} (want Refunded)`);
    },
  );

  await step("no uncaught errors in the page", async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
  await context.close();
}

const log: string[] = [];
rmSync(join(SCREENSHOT_DIR, "failure.png"), { force: true });
let stack: Stack | undefined;
let browser: Browser | undefined;
let failed = false;
if (!existsSync(CHROME_PATH)) {
  const message = `no Chromium at ${CHROME_PATH} (apt-get install chromium, or set CHROME_PATH)`;
  if (process.env.CI === "true") {
    console.error(`e2e: FAILED: ${message}`);
    process.exit(1);
  }
  console.log(`e2e: SKIPPED, ${message}: the browser tests did not run`);
  process.exit(0);
}
console.log("e2e: the whole journey in Chromium");
try {
  stack = await startStack({ log });
  console.log(`  stack: chain ${stack.rpcUrl}, agent ${stack.agentUrl}, web ${stack.webUrl}`);
  browser = await chromium.launch({ executablePath: CHROME_PATH, headless: true, args: ["--no-sandbox"] });
  // E2E_ONLY=<words of a journey's name>: skip the main journey and run only the journeys whose name has them.
  const only = process.env.E2E_ONLY?.trim().toLowerCase();
  if (!only || only === "main") await journey(stack, browser);
  for (const extra of journeys.filter(
    (j) => !only || (only !== "main" && j.name.toLowerCase().includes(only)),
  )) {
    console.log(`\n  ${extra.name}`);
    await extra.run(stack, browser);
  }
} catch (error) {
  failed = true;
  if (!results.some((r) => !r.ok)) console.error(error);
  console.error(`\nlast lines of the stack's output:\n${log.slice(-40).join("\n")}`);
} finally {
  await browser?.close();
  await stack?.stop();
}

const blocking = screens.flatMap((s) =>
  s.violations.filter((v) => v.impact === "serious" || v.impact === "critical"),
);
const minor = screens.flatMap((s) =>
  s.violations.filter((v) => v.impact !== "serious" && v.impact !== "critical"),
);
console.log(
  `\ne2e: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed; ` +
    `axe on ${screens.length} screen checks: ${blocking.length} serious/critical, ${minor.length} minor/moderate` +
    (minor.length ? ` (${[...new Set(minor.map((v) => v.id))].join(", ")})` : ""),
);
process.exit(failed ? 1 : 0);
