// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {ICommitmentVault} from "../../contracts/interfaces/ICommitmentVault.sol";
import {Vm, VM_ADDRESS, bound} from "../utils/Vm.sol";

/// @title AppealFuzzTest
/// @notice Fuzz tests of appeals and exit: the bond is a tenth of the share (at least 1) and always comes back with the
/// share or goes with it; APPEAL_PERIOD counts unpaused time only; exit needs 30 of the last 31 days paused.
contract AppealFuzzTest {
    Vm internal constant VM = Vm(VM_ADDRESS);
    uint256 internal constant NOW = 1_767_225_600;
    address internal constant OWNER = address(0xA11CE);
    address internal constant BENEFICIARY = address(0xC4A217);
    address internal constant ARBITER = address(0xA4B);

    CommitmentVault internal vault;

    function setUp() public {
        VM.warp(NOW);
        address[] memory oracles = new address[](1);
        oracles[0] = VM.addr(0x0A11CE0F0AC1E);
        vault = new CommitmentVault(address(this), oracles, 1);
        vault.grantRole(vault.ARBITER_ROLE(), ARBITER);
    }

    /// @notice For any stake and milestone count: appealBond == max(1, share / 10), and an appeal, once ruled either
    /// way, moves exactly share + bond (to the owner, or credited to the beneficiary).
    /// hardhat-config: fuzz.runs = 500
    function testFuzzBondIsATenthAndMovesWithTheShare(uint128 amountSeed, uint16 countSeed, bool upheld) public {
        uint256 count = bound(countSeed, 1, 104);
        uint256 amount = bound(amountSeed, 1, type(uint96).max);
        uint256 id = _create(amount, count, 1 days);
        uint256 share = vault.milestoneAmount(id, 0);
        uint256 bond = vault.appealBond(id, 0);
        VM.assertEq(bond, share / 10 == 0 ? 1 : share / 10, "bond != max(1, share / 10)");

        VM.warp(NOW + 1 hours + 1);
        _appeal(id, bond);
        uint256 ownerBefore = OWNER.balance;
        VM.prank(ARBITER);
        vault.resolveAppeal(id, 0, upheld);
        if (upheld) {
            VM.assertEq(OWNER.balance - ownerBefore, share + bond, "upheld: owner not paid share + bond");
        } else {
            VM.assertEq(vault.credits(BENEFICIARY, address(0)), share + bond, "rejected: beneficiary not credited");
        }
        VM.assertEq(address(vault).balance, amount - share + (upheld ? 0 : share + bond), "vault balance");
    }

    /// @notice With one pause [p, p + len) anywhere after the appeal, expireAppeal succeeds at t iff the unpaused time
    /// since the appeal is at least APPEAL_PERIOD (and the vault is not paused at t).
    /// hardhat-config: fuzz.runs = 500
    function testFuzzAppealPeriodCountsUnpausedTime(uint256 pauseSeed, uint256 lengthSeed, uint256 tSeed) public {
        uint256 id = _create(10 ether, 4, 7 days);
        uint256 appealedAt = NOW + 1 hours + 1;
        VM.warp(appealedAt);
        _appeal(id, vault.appealBond(id, 0));

        uint256 period = vault.APPEAL_PERIOD();
        uint256 p = appealedAt + bound(pauseSeed, 1, period + 2 days);
        uint256 len = bound(lengthSeed, 1, 20 days);
        VM.warp(p);
        vault.pause();
        VM.warp(p + len);
        vault.unpause();

        uint256 t = bound(tSeed, p + len, p + len + period + 1 days);
        VM.warp(t);
        bool due = t - appealedAt - len >= period;
        try vault.expireAppeal(id, 0) {
            VM.assertTrue(due, "expired before APPEAL_PERIOD of unpaused time");
        } catch (bytes memory reason) {
            VM.assertFalse(due, "could not expire after APPEAL_PERIOD of unpaused time");
            VM.assertEq(
                reason,
                abi.encodeWithSelector(
                    ICommitmentVault.AppealPeriodNotOver.selector,
                    id,
                    0,
                    uint64(appealedAt + period + len)
                ),
                "AppealPeriodNotOver arguments"
            );
        }
    }

    /// @notice Two pauses with a gap: exitAvailable() is true iff paused now and paused >= 30 of the last 31 days.
    /// hardhat-config: fuzz.runs = 500
    function testFuzzExitNeedsThirtyOfThirtyOneDays(uint256 firstSeed, uint256 gapSeed, uint256 secondSeed) public {
        uint256 first = bound(firstSeed, 1, 40 days);
        uint256 gap = bound(gapSeed, 0, 5 days);
        uint256 second = bound(secondSeed, 1, 40 days);
        vault.pause();
        VM.warp(NOW + first);
        vault.unpause();
        VM.warp(NOW + first + gap);
        vault.pause();
        uint256 now_ = NOW + first + gap + second;
        VM.warp(now_);
        uint256 from = now_ - 31 days;
        uint256 paused = second + (NOW + first > from ? NOW + first - (NOW > from ? NOW : from) : 0);
        VM.assertEq(vault.exitAvailable(), paused >= 30 days, "exitAvailable != paused >= 30 of last 31 days");
    }

    function _create(uint256 amount, uint256 count, uint256 grace) internal returns (uint256 id) {
        ICommitmentVault.CommitmentParams memory p = ICommitmentVault.CommitmentParams({
            token: address(0),
            amount: uint128(amount),
            start: uint64(NOW),
            period: uint32(1 hours),
            milestones: uint16(count),
            grace: uint32(grace),
            beneficiary: BENEFICIARY,
            rulesHash: keccak256("rules")
        });
        VM.deal(OWNER, amount);
        VM.prank(OWNER);
        id = vault.createCommitment{value: amount}(p);
    }

    function _appeal(uint256 id, uint256 bond) internal {
        VM.deal(OWNER, OWNER.balance + bond);
        VM.prank(OWNER);
        vault.appeal{value: bond}(id, 0);
    }
}
