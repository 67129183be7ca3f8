// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {ICommitmentVault} from "../../contracts/interfaces/ICommitmentVault.sol";
import {MockERC20Permit} from "../../contracts/mocks/MockERC20Permit.sol";
import {Vm, VM_ADDRESS} from "../utils/Vm.sol";
import {VaultHandler} from "./VaultHandler.sol";

/// @title VaultInvariantTest
/// @notice Invariant campaign over {VaultHandler}: see test/INVARIANTS.md for the list and which function checks what.
contract VaultInvariantTest {
    /// @dev The shape the Foundry-compatible runner expects from `targetSelectors()`.
    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    /// @dev Value held for one token, by milestone state, read from the vault's own views.
    struct Holdings {
        /// @dev Shares of Open and Appealed milestones.
        uint256 locked;
        /// @dev Bonds of Appealed milestones.
        uint256 openBonds;
        uint256 released;
        uint256 slashed;
        uint256 refunded;
    }

    Vm internal constant VM = Vm(VM_ADDRESS);
    uint256 internal constant NOW = 1_767_225_600;
    address internal constant ADMIN = address(0xAD317);

    CommitmentVault internal vault;
    MockERC20Permit internal token;
    VaultHandler internal handler;
    /// @dev Handler calls made by setUp itself, so afterInvariant can tell that the fuzzer called it too.
    uint256 internal setupCalls;

    function setUp() public {
        VM.warp(NOW);
        uint256[4] memory pool = [uint256(0x0AC1E1), 0x0AC1E2, 0x0AC1E3, 0x0AC1E4];
        address[] memory oracles = new address[](3);
        for (uint256 i; i < 3; ++i) {
            oracles[i] = VM.addr(pool[i]);
        }
        vault = new CommitmentVault(ADMIN, oracles, 2);
        token = new MockERC20Permit("USD Coin (test)", "USDC", 6);
        VM.prank(ADMIN);
        vault.setTokenAllowed(address(token), true);
        handler = new VaultHandler(vault, token, ADMIN, pool, 2);
        bytes32 arbiterRole = vault.ARBITER_ROLE();
        address arbiter = handler.ARBITER();
        VM.prank(ADMIN);
        vault.grantRole(arbiterRole, arbiter);
        VM.label(address(vault), "vault");
        VM.label(address(token), "usdc");
        VM.label(address(handler), "handler");

        // Every run starts with something to act on: short ETH and token stakes (one owned by the smart account,
        // which refuses ETH), and a 64..104-window stake that uses the second state bitmap. Seeds: amountSeed % 4 != 0
        // is a normal amount, scheduleSeed % 5 == 0 a long schedule.
        handler.createCommitment(0, (1 ether << 2) | 1, 1, false);
        handler.createCommitment(3, (5e17 << 2) | 1, 2, false);
        handler.createCommitment(1, (200e6 << 2) | 1, 3, true);
        handler.createCommitment(2, (3 ether << 2) | 1, 5, false);
        setupCalls = handler.totalCalls();
        VM.assertEq(handler.commitmentCount(), 4, "setUp commitments");
        VM.assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /*//////////////////////////////////////////////////////////////
                               TARGETING
    //////////////////////////////////////////////////////////////*/

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    function targetSelectors() public view returns (FuzzSelector[] memory targets) {
        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = VaultHandler.createCommitment.selector;
        selectors[1] = VaultHandler.createCommitmentWithPermit.selector;
        selectors[2] = VaultHandler.claim.selector;
        selectors[3] = VaultHandler.slash.selector;
        selectors[4] = VaultHandler.cancel.selector;
        selectors[5] = VaultHandler.exit.selector;
        selectors[6] = VaultHandler.withdraw.selector;
        selectors[7] = VaultHandler.warp.selector;
        selectors[8] = VaultHandler.pause.selector;
        selectors[9] = VaultHandler.unpause.selector;
        selectors[10] = VaultHandler.setOracles.selector;
        selectors[11] = VaultHandler.setTokenAllowed.selector;
        selectors[12] = VaultHandler.setRejecting.selector;
        selectors[13] = VaultHandler.appeal.selector;
        selectors[14] = VaultHandler.resolveAppeal.selector;
        selectors[15] = VaultHandler.expireAppeal.selector;
        targets = new FuzzSelector[](1);
        targets[0] = FuzzSelector({addr: address(handler), selectors: selectors});
    }

    /*//////////////////////////////////////////////////////////////
                               INVARIANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice INV-1/2: per token, the vault holds at least the unsettled stake plus all credits; with nobody
    /// donating in this campaign it holds exactly that.
    /**
     * hardhat-config: invariant.runs = 100
     * hardhat-config: invariant.depth = 50
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantBalanceCoversStakeAndCredits() public view {
        _checkSolvency(address(0));
        _checkSolvency(address(token));
    }

    /// @notice INV-3/4: per token, deposited == released + slashed + refunded + locked, and each ghost total matches
    /// the shares of the milestones the vault reports in that state.
    /**
     * hardhat-config: invariant.runs = 100
     * hardhat-config: invariant.depth = 50
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantEveryUnitIsAccountedOnce() public view {
        _checkConservation(address(0));
        _checkConservation(address(token));
    }

    /// @notice INV-5: per token, the sum of all credits equals everything ever credited minus everything withdrawn.
    /**
     * hardhat-config: invariant.runs = 100
     * hardhat-config: invariant.depth = 50
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantCreditsEqualCreditedMinusWithdrawn() public view {
        address[2] memory tokens = [address(0), address(token)];
        for (uint256 t; t < 2; ++t) {
            VM.assertEq(
                _creditSum(tokens[t]),
                handler.credited(tokens[t]) - handler.withdrawn(tokens[t]),
                "sum(credits) != credited - withdrawn"
            );
        }
    }

    /// @notice INV-6..9: milestones only move Open -> Released | Slashed | Refunded, once; closed commitments stay
    /// closed; the vault's current states are the ones the handler last observed; ids are 1..count.
    /**
     * hardhat-config: invariant.runs = 100
     * hardhat-config: invariant.depth = 50
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantMilestonesOnlyMoveForwardOnce() public view {
        for (uint256 from; from < 4; ++from) {
            for (uint256 to; to < 4; ++to) {
                if (from == 0 && to != 0) continue; // Open -> Released | Slashed | Refunded is the allowed move.
                VM.assertEq(
                    handler.transitionCount(ICommitmentVault.MilestoneState(from), ICommitmentVault.MilestoneState(to)),
                    0,
                    "forbidden milestone transition observed"
                );
            }
        }
        VM.assertEq(handler.doubleSettlements(), 0, "a milestone settled twice");
        VM.assertEq(handler.reopenedCommitments(), 0, "a closed commitment reopened");

        uint256 count = handler.commitmentCount();
        VM.assertEq(vault.commitmentCount(), count, "commitmentCount");
        for (uint256 id = 1; id <= count; ++id) {
            ICommitmentVault.Commitment memory c = vault.getCommitment(id);
            VM.assertEq(c.closed, handler.lastClosed(id), "closed flag not as last observed");
            for (uint256 i; i < c.milestones; ++i) {
                VM.assertEq(
                    uint256(vault.milestoneState(id, i)),
                    uint256(handler.lastState(id, i)),
                    "milestone state not as last observed"
                );
                VM.assertLe(handler.settlements(id, i), 1, "milestone settled more than once");
            }
        }
    }

    /// @notice INV-10: every call the handler made had the outcome the model predicted (success, or the exact custom
    /// error), payments went where they should, and every state change was caused by the matching action.
    /**
     * hardhat-config: invariant.runs = 100
     * hardhat-config: invariant.depth = 50
     * hardhat-config: invariant.failOnRevert = true
     */
    function invariantHandlerModelHolds() public view {
        VM.assertEq(handler.violations(), 0, handler.firstViolation());
    }

    /// @notice Runs after each invariant run: the fuzzer really drove the handler.
    function afterInvariant() public view {
        VM.assertGt(handler.totalCalls(), setupCalls, "the fuzzer never called the handler");
    }

    /*//////////////////////////////////////////////////////////////
                          HANDLER SELF-CHECK
    //////////////////////////////////////////////////////////////*/

    /// @notice Walks the handler through one scripted story that must hit every action's success path and all three
    /// allowed transitions, with no violation; the fuzzer's campaign then explores from the same setUp. (Scripted
    /// rather than random so it stays cheap: a failing test is re-executed with full stack-trace collection.)
    function testHandlerReachesEverySuccessPath() public {
        // Before any start: the owner of commitment 1 cancels (callerSeed 0 picks the owner), a stranger cannot.
        handler.cancel(1, 0);
        handler.cancel(2, 1);
        handler.createCommitment(0, (1 ether << 2) | 1, 7, false);
        handler.createCommitmentWithPermit(1, (50e6 << 2) | 1, 8, 0); // fresh permit
        handler.createCommitmentWithPermit(2, (70e6 << 2) | 1, 9, 1); // front-run permit, allowance in place
        // Odd warp seeds are plain jumps of `seed` seconds: every start (<= 2 days ahead) has passed after this.
        handler.warp(2 days + 1, 0, 0);
        handler.claim(0, 0, 1 hours, 0); // mode 0: a live, Open, current window with a valid quorum
        handler.warp(3 days - 1, 0, 0);
        handler.warp(3 days - 1, 0, 0);
        handler.warp(3 days - 1, 0, 0); // grace <= 7 days: earlier deadlines have passed
        handler.slash(0, 0, true);
        handler.setRejecting(false);
        handler.withdraw(1, false, true); // accountSeed % 4 != 0 picks an account that has credits
        _storyAppeals();
        handler.pause(5); // seed % 5 == 0 and not a stranger
        handler.exit(4, 1, true); // waits out the 30-day exit delay, then the owner of commitment 4 exits
        handler.unpause(1);
        handler.setOracles(0x020f);
        handler.setTokenAllowed(0);
        handler.setRejecting(true);

        VM.assertEq(handler.violations(), 0, handler.firstViolation());
        for (uint256 a; a < 16; ++a) {
            VM.assertGt(handler.successes(VaultHandler.Action(a)), 0, "an action never succeeded");
        }
        VM.assertGt(handler.revertsSeen(ICommitmentVault.NotCommitmentOwner.selector), 0, "stranger cancel");
        VM.assertGt(
            handler.transitionCount(ICommitmentVault.MilestoneState.Open, ICommitmentVault.MilestoneState.Released),
            0,
            "no release observed"
        );
        VM.assertGt(
            handler.transitionCount(ICommitmentVault.MilestoneState.Open, ICommitmentVault.MilestoneState.Slashed),
            0,
            "no slash observed"
        );
        VM.assertGt(
            handler.transitionCount(ICommitmentVault.MilestoneState.Open, ICommitmentVault.MilestoneState.Refunded),
            0,
            "no refund observed"
        );
        invariantBalanceCoversStakeAndCredits();
        invariantEveryUnitIsAccountedOnce();
        invariantCreditsEqualCreditedMinusWithdrawn();
        invariantMilestonesOnlyMoveForwardOnce();
    }

    /*//////////////////////////////////////////////////////////////
                                HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Appeals (picking an appealable milestone, warping to a window's end if none is): one upheld by the arbiter,
    /// one expired after the appeal period of unpaused time, one left open for the exit to refund.
    function _storyAppeals() internal {
        handler.appeal(3, 0, 1, true);
        handler.resolveAppeal(3, 1, true);
        handler.appeal(4, 0, 1, true);
        handler.expireAppeal(4, true);
        handler.appeal(1, 0, 1, true);
    }

    function _checkSolvency(address tok) internal view {
        uint256 balance = tok == address(0) ? address(vault).balance : token.balanceOf(address(vault));
        Holdings memory h = _holdings(tok);
        uint256 owed = h.locked + h.openBonds + _creditSum(tok);
        VM.assertGe(balance, owed, "vault balance < unsettled stake + open bonds + credits");
        VM.assertEq(balance, owed, "vault balance != unsettled stake + open bonds + credits");
    }

    function _checkConservation(address tok) internal view {
        Holdings memory h = _holdings(tok);
        VM.assertEq(
            handler.deposited(tok),
            handler.released(tok) + handler.slashed(tok) + handler.refunded(tok) + h.locked,
            "deposited != released + slashed + refunded + locked"
        );
        VM.assertEq(
            handler.bonds(tok),
            handler.bondsReturned(tok) + handler.bondsForfeited(tok) + h.openBonds,
            "bonds posted != returned + forfeited + open"
        );
        VM.assertEq(h.released, handler.released(tok), "Released shares != ghost released");
        VM.assertEq(h.slashed, handler.slashed(tok), "Slashed shares != ghost slashed");
        VM.assertEq(h.refunded, handler.refunded(tok), "Refunded shares != ghost refunded");
    }

    /// @dev Sums milestone shares of `tok` commitments by state, from the vault's views only.
    function _holdings(address tok) internal view returns (Holdings memory h) {
        uint256 count = vault.commitmentCount();
        for (uint256 id = 1; id <= count; ++id) {
            ICommitmentVault.Commitment memory c = vault.getCommitment(id);
            if (c.token != tok) continue;
            for (uint256 i; i < c.milestones; ++i) {
                uint256 amount = vault.milestoneAmount(id, i);
                ICommitmentVault.MilestoneState s = vault.milestoneState(id, i);
                if (s == ICommitmentVault.MilestoneState.Open) h.locked += amount;
                else if (s == ICommitmentVault.MilestoneState.Appealed) {
                    h.locked += amount;
                    (, uint128 bond) = vault.appealOf(id, i);
                    h.openBonds += bond;
                } else if (s == ICommitmentVault.MilestoneState.Released) h.released += amount;
                else if (s == ICommitmentVault.MilestoneState.Slashed) h.slashed += amount;
                else h.refunded += amount;
            }
        }
    }

    function _creditSum(address tok) internal view returns (uint256 sum) {
        address[6] memory accounts = handler.accounts();
        for (uint256 i; i < accounts.length; ++i) {
            sum += vault.credits(accounts[i], tok);
        }
    }
}
