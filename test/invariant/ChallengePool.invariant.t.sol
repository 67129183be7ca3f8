// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ChallengePool} from "../../contracts/ChallengePool.sol";
import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {IChallengePool} from "../../contracts/interfaces/IChallengePool.sol";
import {MockERC20Permit} from "../../contracts/mocks/MockERC20Permit.sol";
import {Vm, VM_ADDRESS} from "../utils/Vm.sol";
import {PoolHandler} from "./PoolHandler.sol";

/// @title ChallengePoolInvariantTest
/// @notice Invariant campaign over {PoolHandler}: see test/INVARIANTS.md, section "ChallengePool".
contract ChallengePoolInvariantTest {
    /// @dev The shape the Foundry-compatible runner expects from `targetSelectors()`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    Vm internal constant VM = Vm(VM_ADDRESS);
    uint256 internal constant NOW = 1_767_225_600;
    uint256 internal constant ORACLE_KEY = 0x0A11CE0F0AC1E;

    CommitmentVault internal vault;
    ChallengePool internal pool;
    MockERC20Permit internal token;
    PoolHandler internal handler;
    uint256 internal setupCalls;

    function setUp() public {
        VM.warp(NOW);
        address[] memory oracles = new address[](1);
        oracles[0] = VM.addr(ORACLE_KEY);
        vault = new CommitmentVault(address(this), oracles, 1);
        token = new MockERC20Permit("USD Coin (test)", "USDC", 6);
        vault.setTokenAllowed(address(token), true);
        pool = new ChallengePool(address(vault), address(this));
        handler = new PoolHandler(pool, vault, token, ORACLE_KEY);
        VM.label(address(pool), "pool");
        VM.label(address(vault), "vault");
        VM.label(address(handler), "handler");

        // Two challenges in each token from the start, so runs reach settlements and cross-challenge payouts.
        handler.createChallenge(false, 1 ether, 500, 2);
        handler.createChallenge(false, 3 ether + 7, 1_000, 3);
        handler.createChallenge(true, 100e6, 0, 1);
        handler.createChallenge(true, 33_333_333, 250, 3);
        for (uint256 a; a < 4; ++a) {
            for (uint256 c = 1; c <= 4; ++c) handler.join(c, a + c);
        }
        setupCalls = handler.totalCalls();
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](9);
        selectors[0] = PoolHandler.createChallenge.selector;
        selectors[1] = PoolHandler.join.selector;
        selectors[2] = PoolHandler.claimMilestone.selector;
        selectors[3] = PoolHandler.slash.selector;
        selectors[4] = PoolHandler.warp.selector;
        selectors[5] = PoolHandler.settle.selector;
        selectors[6] = PoolHandler.claimWinnings.selector;
        selectors[7] = PoolHandler.withdrawCredits.selector;
        selectors[8] = PoolHandler.pushVaultCredits.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /// @notice POOL-1: per token, the pool's balance plus its vault credits cover its liabilities (unpaid pots and
    /// pool credits), wherever the money sits (anyone may push the vault credits to the pool).
    /**
     * hardhat-config: invariant.runs = 50
     * hardhat-config: invariant.depth = 60
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantPoolHoldsWhatItOwes() public view {
        address[2] memory tokens = [address(0), address(token)];
        for (uint256 t; t < 2; ++t) {
            uint256 balance = tokens[t] == address(0) ? address(pool).balance : token.balanceOf(address(pool));
            VM.assertGe(
                balance + vault.credits(address(pool), tokens[t]),
                pool.liabilities(tokens[t]),
                "pool holds less than it owes"
            );
        }
    }

    /// @notice POOL-2: per token, liabilities == pots counted - winnings paid - pool credits withdrawn.
    /**
     * hardhat-config: invariant.runs = 50
     * hardhat-config: invariant.depth = 60
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantLiabilitiesFollowTheLedger() public view {
        address[2] memory tokens = [address(0), address(token)];
        for (uint256 t; t < 2; ++t) {
            VM.assertEq(
                pool.liabilities(tokens[t]),
                handler.potsCounted(tokens[t]) - handler.winningsPaid(tokens[t]) - handler.creditsWithdrawn(tokens[t]),
                "liabilities != counted - paid - withdrawn"
            );
        }
    }

    /// @notice POOL-3/4: no challenge pays out more than its own pot (winnings paid + remainder credited <= pot, ==
    /// once every finisher claimed); counters stay ordered: finishers <= settled <= participants <= maxParticipants.
    /**
     * hardhat-config: invariant.runs = 50
     * hardhat-config: invariant.depth = 60
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantNoChallengePaysBeyondItsPot() public view {
        uint256 count = pool.challengeCount();
        for (uint256 id = 1; id <= count; ++id) {
            (
                IChallengePool.ChallengeParams memory p,
                uint32 participants,
                uint32 settled,
                uint32 finishers,
                uint256 pot
            ) = pool.challenge(id);
            VM.assertLe(handler.paidWinnings(id) + handler.creditedRemainder(id), pot, "challenge paid beyond its pot");
            VM.assertLe(finishers, settled, "finishers > settled");
            VM.assertLe(settled, participants, "settled > participants");
            VM.assertLe(participants, p.maxParticipants, "participants > max");
        }
    }

    /// @notice The handler's success paths are reachable: a scripted challenge (actors 1 and 2 finish, 3 and 4 are
    /// slashed) settles, pays its finishers and its fee, and the invariants hold at the end.
    function testHandlerReachesEverySuccessPath() public {
        handler.warp(1 hours);
        for (uint256 a = 1; a <= 2; ++a) handler.claimMilestone(1, a, 0);
        handler.warp(1 hours);
        for (uint256 a = 1; a <= 2; ++a) handler.claimMilestone(1, a, 1);
        handler.warp(2 hours);
        for (uint256 a = 3; a <= 4; ++a) {
            handler.slash(1, a, 0);
            handler.slash(1, a, 1);
        }
        handler.pushVaultCredits(false);
        for (uint256 a = 1; a <= 4; ++a) handler.settle(1, a);
        VM.assertEq(handler.settlements(), 4, "settlements");
        for (uint256 a = 1; a <= 2; ++a) handler.claimWinnings(1, a);
        VM.assertEq(handler.winningsClaims(), 2, "winnings claims");
        handler.withdrawCredits(false, false);
        VM.assertGt(handler.creditsWithdrawn(address(0)), 0, "fee withdrawn");
        (, , , , uint256 pot) = pool.challenge(1);
        VM.assertEq(pot, 2 ether, "pot");
        VM.assertEq(handler.paidWinnings(1) + handler.creditedRemainder(1), pot, "paid + remainder != pot");
        invariantPoolHoldsWhatItOwes();
        invariantLiabilitiesFollowTheLedger();
        invariantNoChallengePaysBeyondItsPot();
    }

    /// @notice Runs after each invariant run: the fuzzer really drove the handler.
    function afterInvariant() public view {
        VM.assertGt(handler.totalCalls(), setupCalls, "the fuzzer never called the handler");
    }
}
