/**
 * The one transaction flow of the app (scaffold-eth-2's `useTransactor`): simulate the call first, so a revert
 * comes back as the contract's decoded custom error before the wallet is even asked; then write it; then wait
 * for the receipt and fail when it reverted on chain. Every button that sends a transaction goes through here.
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Abi, Address, ContractFunctionArgs, ContractFunctionName, Hex, TransactionReceipt } from "viem";
import { type Config, useConfig } from "wagmi";
import {
  type SimulateContractParameters,
  simulateContract,
  waitForTransactionReceipt,
  writeContract,
} from "wagmi/actions";

type WriteMutability = "nonpayable" | "payable";

export type TransactParameters<
  abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, WriteMutability>,
  args extends ContractFunctionArgs<abi, WriteMutability, functionName>,
> = SimulateContractParameters<abi, functionName, args, Config, number> & { chainId: number };

/** Simulates the call, then asks the wallet to send it; resolves with the transaction hash. */
export async function simulateAndWrite<
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, WriteMutability>,
  const args extends ContractFunctionArgs<abi, WriteMutability, functionName>,
>(config: Config, parameters: TransactParameters<abi, functionName, args>): Promise<Hex> {
  const { request } = await simulateContract(config, parameters as SimulateContractParameters);
  return writeContract(config, request);
}

/** Waits for a written transaction's receipt; throws when it reverted on chain. */
export async function mined(config: Config, chainId: number, hash: Hex): Promise<TransactionReceipt> {
  const receipt = await waitForTransactionReceipt(config, { chainId, hash });
  if (receipt.status !== "success") throw new Error(`The transaction ${hash} was reverted.`);
  return receipt;
}

export interface TransactReturnType {
  hash: Hex;
  receipt: TransactionReceipt;
}

/** Simulate → write → wait for a successful receipt. */
export async function transact<
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, WriteMutability>,
  const args extends ContractFunctionArgs<abi, WriteMutability, functionName>,
>(config: Config, parameters: TransactParameters<abi, functionName, args>): Promise<TransactReturnType> {
  const hash = await simulateAndWrite(config, parameters);
  return { hash, receipt: await mined(config, parameters.chainId, hash) };
}

/** What a wallet action receives: the wagmi config and the connected account. */
export interface Wallet {
  config: Config;
  account: Address;
}

/**
 * A react-query mutation that needs a connected wallet ("Connect a wallet first." otherwise) and refreshes every
 * query once it settles, whether it succeeded or not (balances, milestone states and credits all may change).
 */
export function useWalletMutation<Variables, Result>(
  account: Address | undefined,
  action: (wallet: Wallet, variables: Variables) => Promise<Result>,
) {
  const config = useConfig();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (variables: Variables) => {
      if (account === undefined) throw new Error("Connect a wallet first.");
      return action({ config, account }, variables);
    },
    onSettled: () => queryClient.invalidateQueries(),
  });
}

/**
 * A wallet mutation that sends the one contract call `call` makes of its variables and the connected account (see
 * transact), and resolves with what `result` makes of the transaction hash and those variables.
 */
export function useContractCall<
  Variables,
  Result,
  const abi extends Abi | readonly unknown[],
  functionName extends ContractFunctionName<abi, WriteMutability>,
  const args extends ContractFunctionArgs<abi, WriteMutability, functionName>,
>(
  account: Address | undefined,
  call: (variables: Variables, account: Address) => TransactParameters<abi, functionName, args>,
  result: (hash: Hex, variables: Variables) => Result,
) {
  return useWalletMutation(account, async ({ config, account }, variables: Variables) => {
    const { hash } = await transact(config, call(variables, account));
    return result(hash, variables);
  });
}
