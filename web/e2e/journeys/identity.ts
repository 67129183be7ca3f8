/**
 * Identity journey (issue 15), Hardhat accounts #13..#15:
 * - on the shared stack: a signed-out visitor's `GET /api/auth/session` is 200 null with no console error; a
 *   deployed ERC-1271 smart wallet (contracts/mocks ERC1271WalletMock, owned by #13) signs in through the test
 *   wallet's smart-wallet mode (its owner signs), and so does a counterfactual one (ERC-6492: the factory mock's
 *   wallet of #14, never deployed); the smart wallet's notification preferences are saved and loaded back;
 * - on a stack of its own with the relayer on (OPERATOR_PRIVATE_KEY, RELAYER_ENABLED) and Strava pointed at the
 *   agent tests' local Strava (agent/test/support/fakeStrava.ts, Strava's documented OAuth): #15 connects Strava
 *   (authorise, back to the app, linked) and disconnects it; then commits, uploads a qualifying run and never
 *   clicks Claim: once the window ends the agent's relayer has claimed it — Released on chain, the dashboard says
 *   so ("claimed for you by the agent"), and #15's balance is up by exactly the share (the relayer paid the gas).
 *   The commitment is created with a transaction from #15 (the form is the main journey's), the run uploaded in
 *   the browser.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import {
  type Abi,
  type Address,
  createPublicClient,
  encodeAbiParameters,
  encodeFunctionData,
  formatEther,
  type Hex,
  http,
  keccak256,
  parseEther,
  type PublicClient,
  toHex,
  zeroAddress,
} from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { FakeStrava } from "../../../agent/test/support/fakeStrava.ts";
import { commitmentVaultAbi } from "../../../deployments/abi.ts";
import { gpxRun } from "../gpx.ts";
import { assert, nav, rpc, STEP_TIMEOUT_MS, screens, setActivePage, step, timeTravel } from "../harness.ts";
import { checkScreen } from "../screens.ts";
import { REPO_ROOT, type Stack, startStack } from "../stack.ts";
import { installTestWallet, type SmartWalletMode } from "../testWallet.ts";
import type { Journey } from "./index.ts";

const MNEMONIC = "test test test test test test test test test test test junk";
const WALLET_OWNER = mnemonicToAccount(MNEMONIC, { addressIndex: 13 }).address;
const COUNTERFACTUAL_OWNER = mnemonicToAccount(MNEMONIC, { addressIndex: 14 }).address;
const ATHLETE = mnemonicToAccount(MNEMONIC, { addressIndex: 15 }).address;
/** Hardhat account #3: the relayer's (and keeper's) key on this journey's own chain, as in `npm start`. */
const OPERATOR_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
const STRAVA_ATHLETE_ID = 4242;
const RULES = {
  version: 1,
  timezone: "UTC",
  perMilestone: { minWorkouts: 1, minMinutes: 1, activities: ["run"] },
  evidence: "device",
};
const WINDOW_SEC = 3600;

function artifact(name: string): { abi: Abi; bytecode: Hex } {
  const file = join(REPO_ROOT, "artifacts", "contracts", "mocks", `${name}.sol`, `${name}.json`);
  return JSON.parse(readFileSync(file, "utf8")) as { abi: Abi; bytecode: Hex };
}

async function deploy(stack: Stack, chain: PublicClient, from: Address, data: Hex): Promise<Address> {
  const hash = (await rpc(stack, "eth_sendTransaction", [{ from, data }])) as Hex;
  const receipt = await chain.waitForTransactionReceipt({ hash });
  assert(receipt.status === "success" && receipt.contractAddress, `deployment ${hash} failed`);
  return receipt.contractAddress as Address;
}

async function openAs(
  browser: Browser,
  stack: Stack,
  account: Address,
  smartWallet?: SmartWalletMode,
): Promise<[BrowserContext, Page, string[]]> {
  const context = await browser.newContext({
    timezoneId: "UTC",
    locale: "en-GB",
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  await installTestWallet(context, {
    account,
    rpcUrl: stack.rpcUrl,
    ...(smartWallet ? { smartWallet } : {}),
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  setActivePage(page);
  await page.goto(stack.webUrl);
  await page.getByRole("button", { name: "Connect wallet" }).click();
  await page.getByRole("button", { name: "E2E Test Wallet" }).click();
  return [context, page, pageErrors];
}

/** Signs in from the header and answers the address of the agent's session. */
async function signIn(page: Page, stack: Stack): Promise<string | undefined> {
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return page.evaluate(async (agentUrl) => {
    const res = await fetch(`${agentUrl}/api/auth/session`, { credentials: "include" });
    return res.ok ? ((await res.json()) as { address: string } | null)?.address : undefined;
  }, stack.agentUrl);
}

async function sharedStack(stack: Stack, browser: Browser): Promise<void> {
  const chain = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) }) as PublicClient;

  await step("signed out: GET /api/auth/session answers 200 null, and the console stays clean", async () => {
    const context = await browser.newContext({ timezoneId: "UTC", locale: "en-GB" });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(`${m.text()} (${m.location().url})`);
    });
    const answer = page.waitForResponse((r) => r.url() === `${stack.agentUrl}/api/auth/session`);
    await page.goto(stack.webUrl);
    const res = await answer;
    assert(res.status() === 200, `GET /api/auth/session answered ${res.status()}`);
    assert((await res.json()) === null, "a signed-out session is not null");
    await page.getByRole("button", { name: "Connect wallet" }).waitFor();
    await page.waitForTimeout(500);
    assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join("; ")}`);
    await context.close();
  });

  const walletMock = artifact("ERC1271WalletMock");
  let smartWallet: Address = zeroAddress;
  await step("a smart-contract wallet (ERC1271WalletMock) is deployed, owned by account #13", async () => {
    smartWallet = await deploy(
      stack,
      chain,
      WALLET_OWNER,
      `${walletMock.bytecode}${encodeAbiParameters([{ type: "address" }], [WALLET_OWNER]).slice(2)}`,
    );
    const owner = await chain.readContract({
      address: smartWallet,
      abi: walletMock.abi,
      functionName: "owner",
    });
    assert(owner === WALLET_OWNER, `the wallet's owner is ${String(owner)}`);
  });

  const [context, page, pageErrors] = await openAs(browser, stack, smartWallet, { owner: WALLET_OWNER });
  await step("the smart wallet signs in (EIP-1271): the session is the wallet's address", async () => {
    const session = await signIn(page, stack);
    assert(session?.toLowerCase() === smartWallet.toLowerCase(), `session is ${session}`);
    await page.getByText("You have no commitment yet.").waitFor();
    await checkScreen(page, "identity-smart-wallet-signed-in", screens);
  });

  await step("preferences: the defaults, saved, and loaded back after a reload", async () => {
    await nav(page, "Coach").click();
    const form = page.getByTestId("preferences");
    await form.getByText("Nothing saved yet: these are the defaults.").waitFor();
    await form.getByLabel("Quiet from").fill("21:30");
    await form.getByLabel("Quiet until").fill("06:15");
    await form.getByLabel("Time zone").fill("Europe/Paris");
    await form.getByRole("button", { name: "Save preferences" }).click();
    await form.getByText("Saved.").waitFor();
    await page.reload();
    await form.getByText("Your saved preferences.").waitFor();
    const shown = [
      await form.getByLabel("Quiet from").inputValue(),
      await form.getByLabel("Quiet until").inputValue(),
      await form.getByLabel("Time zone").inputValue(),
    ];
    assert(JSON.stringify(shown) === '["21:30","06:15","Europe/Paris"]', `loaded ${shown}`);
    await checkScreen(page, "identity-preferences", screens);
  });
  await step("no uncaught errors in the smart wallet's page", async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
  await context.close();

  const factoryMock = artifact("ERC1271WalletFactoryMock");
  const salt = keccak256(toHex("e2e counterfactual wallet of #14"));
  let factory: Address = zeroAddress;
  let counterfactual: Address = zeroAddress;
  await step("a counterfactual wallet of account #14: its address is known, no code there", async () => {
    factory = await deploy(stack, chain, COUNTERFACTUAL_OWNER, factoryMock.bytecode);
    counterfactual = (await chain.readContract({
      address: factory,
      abi: factoryMock.abi,
      functionName: "walletAddress",
      args: [COUNTERFACTUAL_OWNER, salt],
    })) as Address;
    assert((await chain.getCode({ address: counterfactual })) === undefined, "the wallet is deployed");
  });

  const [context6492, page6492, errors6492] = await openAs(browser, stack, counterfactual, {
    owner: COUNTERFACTUAL_OWNER,
    erc6492: {
      factory,
      factoryData: encodeFunctionData({
        abi: factoryMock.abi,
        functionName: "deploy",
        args: [COUNTERFACTUAL_OWNER, salt],
      }),
    },
  });
  await step("the counterfactual wallet signs in (ERC-6492), and the check deploys nothing", async () => {
    const session = await signIn(page6492, stack);
    assert(session?.toLowerCase() === counterfactual.toLowerCase(), `session is ${session}`);
    assert(
      (await chain.getCode({ address: counterfactual })) === undefined,
      "the sign-in deployed the wallet",
    );
    assert(errors6492.length === 0, errors6492.join("\n"));
  });
  await context6492.close();
}

async function relayerStack(browser: Browser): Promise<void> {
  const log: string[] = [];
  const fake = await new FakeStrava({ clock: { now: () => Date.now() } }).start();
  fake.authorizeAs(STRAVA_ATHLETE_ID);
  let stack: Stack | undefined;
  try {
    console.log("  (starting a stack of its own: the relayer on, Strava at a local Strava)");
    stack = await startStack({
      log,
      agentEnv: {
        OPERATOR_PRIVATE_KEY: OPERATOR_KEY,
        RELAYER_ENABLED: "true",
        KEEPER_INTERVAL_MS: "2000",
        STRAVA_CLIENT_ID: fake.clientId,
        STRAVA_CLIENT_SECRET: fake.clientSecret,
        STRAVA_WEBHOOK_VERIFY_TOKEN: "e2e-webhook-verify-token",
        STRAVA_BASE_URL: fake.baseUrl,
      },
    });
    await withRelayer(stack, browser, fake);
  } catch (error) {
    console.error(`\nlast lines of the identity stack's output:\n${log.slice(-30).join("\n")}`);
    throw error;
  } finally {
    await stack?.stop();
    await fake.close();
  }
}

async function withRelayer(stack: Stack, browser: Browser, fake: FakeStrava): Promise<void> {
  const chain = createPublicClient({ chain: hardhat, transport: http(stack.rpcUrl) }) as PublicClient;
  const [context, page, pageErrors] = await openAs(browser, stack, ATHLETE);

  await step("account #15 signs in", async () => {
    const session = await signIn(page, stack);
    assert(session?.toLowerCase() === ATHLETE.toLowerCase(), `session is ${session}`);
  });

  await step("Strava: not linked; Connect goes through Strava's authorisation and back, linked", async () => {
    await nav(page, "Workouts").click();
    const strava = page.getByTestId("strava");
    await strava.and(page.locator('[data-state="unlinked"]')).waitFor();
    await checkScreen(page, "identity-strava-unlinked", screens);
    await strava.getByRole("button", { name: "Connect Strava" }).click();
    await page.getByText("Strava is connected.").waitFor();
    await strava.getByText(`Linked to Strava athlete ${STRAVA_ATHLETE_ID}`).waitFor();
    const url = new URL(page.url());
    assert(url.search === "" && url.hash === "#/workouts", `back at ${page.url()}`);
    assert(
      fake.requests.some((r) => r.method === "GET" && r.path === "/oauth/authorize") &&
        fake.requests.some((r) => r.method === "POST" && r.path === "/oauth/token"),
      "Strava saw no authorisation and no code exchange",
    );
    await checkScreen(page, "identity-strava-linked", screens);
  });

  await step("Strava: Disconnect revokes the access at Strava; the agent forgets the link", async () => {
    const strava = page.getByTestId("strava");
    await strava.getByRole("button", { name: "Disconnect Strava" }).click();
    await strava.getByText("Strava is disconnected; workouts already imported stay.").waitFor();
    await strava.getByRole("button", { name: "Connect Strava" }).waitFor();
    assert(
      fake.requests.some((r) => r.method === "POST" && r.path === "/oauth/deauthorize"),
      "Strava saw no deauthorisation",
    );
    const linked = await page.evaluate(async (agentUrl) => {
      const res = await fetch(`${agentUrl}/api/providers/strava`, { credentials: "include" });
      return ((await res.json()) as { linked: boolean }).linked;
    }, stack.agentUrl);
    assert(linked === false, "the agent still reports a Strava link");
  });

  let start = 0;
  let id = 0n;
  const share = parseEther("0.05");
  await step("account #15 commits 0.05 ETH to one one-hour window", async () => {
    const res = await fetch(`${stack.agentUrl}/api/rules`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rules: RULES }),
    });
    assert(res.ok, `POST /api/rules answered ${res.status}`);
    const { rulesHash } = (await res.json()) as { rulesHash: Hex };
    const block = await chain.getBlock();
    start = Math.ceil((Math.max(Number(block.timestamp), Math.floor(Date.now() / 1000)) + 120) / 60) * 60;
    const hash = (await rpc(stack, "eth_sendTransaction", [
      {
        from: ATHLETE,
        to: stack.vault,
        value: toHex(share),
        data: encodeFunctionData({
          abi: commitmentVaultAbi,
          functionName: "createCommitment",
          args: [
            {
              token: zeroAddress,
              amount: share,
              start: BigInt(start),
              period: WINDOW_SEC,
              milestones: 1,
              grace: WINDOW_SEC,
              beneficiary: COUNTERFACTUAL_OWNER,
              rulesHash,
            },
          ],
        }),
      },
    ])) as Hex;
    assert(
      (await chain.waitForTransactionReceipt({ hash })).status === "success",
      "createCommitment reverted",
    );
    id = await chain.readContract({
      address: stack.vault,
      abi: commitmentVaultAbi,
      functionName: "commitmentCount",
    });
  });

  let balanceBefore = 0n;
  await step("a qualifying GPX run is uploaded in the window; nobody clicks Claim", async () => {
    const now = Number((await chain.getBlock()).timestamp);
    await timeTravel(stack, start - now + 10);
    // The upload counts only once the agent has indexed the commitment and its clock (which follows the chain's,
    // refreshed every second) has passed the run's start: wait for both rather than race them on a loaded machine.
    const indexedBy = Date.now() + 30_000;
    for (;;) {
      const ids = await page.evaluate(async (agentUrl) => {
        const res = await fetch(`${agentUrl}/api/commitments`, { credentials: "include" });
        if (!res.ok) return [];
        const body = (await res.json()) as { commitments?: { id: string }[] };
        return (body.commitments ?? []).map((c) => c.id);
      }, stack.agentUrl);
      if (ids.includes(String(id))) break;
      assert(
        Date.now() < indexedBy,
        `the agent has not indexed commitment #${id} after 30 s (it lists ${ids.join(", ")})`,
      );
      await page.waitForTimeout(500);
    }
    await page.waitForTimeout(3000);
    const file = join(tmpdir(), `ra-e2e-identity-run-${process.pid}.gpx`);
    writeFileSync(file, gpxRun({ start: new Date((start + 5) * 1000), durationSec: 90 }));
    balanceBefore = await chain.getBalance({ address: ATHLETE });
    await nav(page, "Workouts").click();
    await page.getByLabel("Choose files").setInputFiles(file);
    await page.getByText(`Counts for commitment #${id}, milestone 1.`).waitFor({ timeout: 60_000 });
  });

  await step(
    "after the window, the agent's relayer has claimed it: Released, balance up by the share",
    async () => {
      await timeTravel(stack, WINDOW_SEC + 60);
      const deadline = Date.now() + 90_000;
      let state = -1;
      while (Date.now() < deadline) {
        state = await chain.readContract({
          address: stack.vault,
          abi: commitmentVaultAbi,
          functionName: "milestoneState",
          args: [id, 0n],
        });
        if (state !== 0) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      assert(state === 1, `milestone state ${state} (want Released)`);
      const gained = (await chain.getBalance({ address: ATHLETE })) - balanceBefore;
      // The owner sent no transaction: the relayer paid the gas, the whole share arrived.
      assert(gained === share, `gained ${formatEther(gained)} ETH, want ${formatEther(share)}`);
      await nav(page, "Dashboard").click();
      await page.reload();
      const card = page.locator(`[data-testid="commitment-card"][data-commitment-id="${id}"]`);
      await card.locator('.timeline li[data-status="released"]').first().waitFor({ timeout: 60_000 });
      await card.getByTestId("released-by-agent").waitFor();
      assert(
        (await card.getByRole("button", { name: /^Claim/ }).count()) === 0,
        "a Claim button is still offered",
      );
      await checkScreen(page, "identity-auto-claimed", screens);
    },
  );

  await step("no uncaught errors in the athlete's page", async () => {
    assert(pageErrors.length === 0, pageErrors.join("\n"));
  });
  await context.close();
}

export const identityJourney: Journey = {
  name: "identity: smart-wallet sign-in, preferences, Strava, automatic claim",
  async run(stack: Stack, browser: Browser): Promise<void> {
    await sharedStack(stack, browser);
    await relayerStack(browser);
  },
};
