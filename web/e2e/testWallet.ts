/**
 * An injected EIP-1193 test wallet for the browser tests, announced through EIP-6963. It answers account and
 * chain questions itself and forwards everything else (eth_sendTransaction, personal_sign,
 * eth_signTypedData_v4, reads) to the Hardhat node, whose development accounts are unlocked. The page can make
 * it reject the next request (`window.__testWallet.rejectNext = true`) or report another chain.
 *
 * Smart-wallet mode (`smartWallet`): the account is a smart-contract wallet (contracts/mocks ERC1271WalletMock)
 * whose owner EOA signs for it, as Coinbase Smart Wallet or a Safe does: `personal_sign` for the account is signed
 * by the owner on the node. With `erc6492` the wallet is counterfactual (not deployed yet) and the signature is
 * wrapped as ERC-6492 (the factory and its deploy calldata), so a verifier can simulate the deployment first.
 */
import type { BrowserContext } from "playwright-core";
import type { Hex } from "viem";
import { serializeErc6492Signature } from "viem/utils";

export interface SmartWalletMode {
  /** The EOA the wallet contract accepts signatures of (unlocked on the node). */
  owner: `0x${string}`;
  /** A counterfactual wallet: the factory and the calldata that deploys it. */
  erc6492?: { factory: `0x${string}`; factoryData: Hex };
}

export interface TestWalletParameters {
  account: `0x${string}`;
  rpcUrl: string;
  chainIdHex?: `0x${string}`;
  smartWallet?: SmartWalletMode;
}

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** Forwards one JSON-RPC request from the page to the node (outside the page, so no CORS question). */
async function forward(rpcUrl: string, method: string, params: unknown): Promise<RpcAnswer> {
  const res = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: params ?? [] }),
  });
  const body = (await res.json()) as RpcAnswer;
  return body.error ? { error: body.error } : { result: body.result };
}

/** personal_sign for a smart wallet: the owner signs on the node; ERC-6492-wrapped for a counterfactual one. */
async function smartWalletSign(
  rpcUrl: string,
  account: string,
  smart: SmartWalletMode,
  params: unknown,
): Promise<RpcAnswer> {
  const [data, address] = params as [Hex, string];
  if (address.toLowerCase() !== account.toLowerCase()) {
    return { error: { code: 4100, message: `personal_sign for ${address}, not this wallet's account` } };
  }
  const answer = await forward(rpcUrl, "personal_sign", [data, smart.owner]);
  if (answer.error || smart.erc6492 === undefined) return answer;
  return {
    result: serializeErc6492Signature({
      address: smart.erc6492.factory,
      data: smart.erc6492.factoryData,
      signature: answer.result as Hex,
    }),
  };
}

/** The script that runs in the page before any of its own code. */
function walletScript(config: { account: string; chainIdHex: string }) {
  const listeners: Record<string, Set<(arg: unknown) => void>> = {};
  const emit = (event: string, arg: unknown) => {
    for (const fn of listeners[event] ?? []) fn(arg);
  };
  // Like a real wallet, it remembers that this site was allowed to see the account (across reloads).
  const remembered = window.localStorage.getItem("e2e-wallet-connected") === "1";
  const state = {
    account: config.account,
    chainId: config.chainIdHex,
    connected: remembered,
    rejectNext: false,
  };
  const setConnected = (value: boolean) => {
    state.connected = value;
    window.localStorage.setItem("e2e-wallet-connected", value ? "1" : "0");
  };
  const ASKS_USER = new Set([
    "eth_requestAccounts",
    "eth_sendTransaction",
    "personal_sign",
    "eth_signTypedData_v4",
    "wallet_switchEthereumChain",
  ]);
  const bridge = (window as unknown as { __e2eRpc: (m: string, p: unknown) => Promise<RpcAnswer> }).__e2eRpc;
  const provider = {
    async request({ method, params }: { method: string; params?: unknown }): Promise<unknown> {
      if (state.rejectNext && ASKS_USER.has(method)) {
        state.rejectNext = false;
        throw Object.assign(new Error("User rejected the request."), { code: 4001 });
      }
      switch (method) {
        case "eth_requestAccounts":
          setConnected(true);
          emit("connect", { chainId: state.chainId });
          return [state.account];
        case "eth_accounts":
          return state.connected ? [state.account] : [];
        case "eth_chainId":
          return state.chainId;
        case "net_version":
          return String(Number(state.chainId));
        case "wallet_requestPermissions":
          setConnected(true);
          return [{ parentCapability: "eth_accounts" }];
        case "wallet_getPermissions":
          return state.connected ? [{ parentCapability: "eth_accounts" }] : [];
        case "wallet_revokePermissions":
          setConnected(false);
          return null;
        case "wallet_switchEthereumChain": {
          const wanted = (params as [{ chainId: string }])[0].chainId;
          if (wanted !== config.chainIdHex) {
            throw Object.assign(new Error("Unrecognized chain."), { code: 4902 });
          }
          state.chainId = wanted;
          emit("chainChanged", wanted);
          return null;
        }
        default: {
          const answer = await bridge(method, params);
          if (answer.error) throw Object.assign(new Error(answer.error.message), answer.error);
          return answer.result;
        }
      }
    },
    on(event: string, fn: (arg: unknown) => void) {
      if (!listeners[event]) listeners[event] = new Set();
      listeners[event].add(fn);
      return provider;
    },
    removeListener(event: string, fn: (arg: unknown) => void) {
      listeners[event]?.delete(fn);
      return provider;
    },
  };
  const control = {
    get rejectNext() {
      return state.rejectNext;
    },
    set rejectNext(v: boolean) {
      state.rejectNext = v;
    },
    setChain(chainIdHex: string) {
      state.chainId = chainIdHex;
      emit("chainChanged", chainIdHex);
    },
  };
  Object.assign(window, { __testWallet: control });
  const info = {
    uuid: "5f6b2c59-7f5e-4c4b-9a51-2d3b2f1e0e2a",
    name: "E2E Test Wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'%3E%3Crect width='8' height='8' fill='%230f3d3e'/%3E%3C/svg%3E",
    rdns: "dev.resolution-autopilot.e2e",
  };
  const announce = () =>
    window.dispatchEvent(
      new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }),
    );
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}

export async function installTestWallet(context: BrowserContext, p: TestWalletParameters): Promise<void> {
  const smart = p.smartWallet;
  await context.exposeFunction("__e2eRpc", (method: string, params: unknown) =>
    smart !== undefined && method === "personal_sign"
      ? smartWalletSign(p.rpcUrl, p.account, smart, params)
      : forward(p.rpcUrl, method, params),
  );
  await context.addInitScript(walletScript, { account: p.account, chainIdHex: p.chainIdHex ?? "0x7a69" });
}
