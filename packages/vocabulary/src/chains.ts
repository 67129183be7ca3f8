/** Hardhat's local development chain (`npx hardhat node`, `npm start`, `npm run demo`). */
export const LOCAL_CHAIN_ID = 31337;

/** True for the local development chain: no confirmations to wait for, its clock may be moved forward. */
export function isLocalChain(chainId: number): boolean {
  return chainId === LOCAL_CHAIN_ID;
}
