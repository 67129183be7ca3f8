// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {ICommitmentVault} from "../../contracts/interfaces/ICommitmentVault.sol";
import {Schedule} from "../../contracts/libraries/Schedule.sol";
import {Vm, VM_ADDRESS, bound} from "../utils/Vm.sol";

/// @notice Exposes the internal {Schedule} library so the fuzzer can call it.
contract ScheduleHarness {
    function share(uint256 amount, uint256 count, uint256 index) external pure returns (uint256) {
        return Schedule.share(amount, count, index);
    }
}

/// @title ScheduleFuzzTest
/// @notice Fuzz tests of the money and time arithmetic: shares sum to the stake, and claim and slash partition time
/// exactly at `claimDeadline` (with and without a pause in between).
contract ScheduleFuzzTest {
    /// @dev One milestone of one freshly created commitment, with a valid attestation for it.
    struct Case {
        uint256 id;
        uint256 index;
        uint256 period;
        uint256 grace;
        uint256 opensAt;
        uint256 deadline;
        uint256 share;
        uint64 validUntil;
        bytes[] signatures;
    }

    Vm internal constant VM = Vm(VM_ADDRESS);

    /// @dev 2026-01-01T00:00:00Z: a realistic "now" instead of the runner's default timestamp.
    uint256 internal constant NOW = 1_767_225_600;
    uint256 internal constant ORACLE_KEY = 0x0A11CE0F0AC1E;
    address internal constant OWNER = address(0xA11CE);
    address internal constant BENEFICIARY = address(0xC4A217);
    bytes32 internal constant RULES_HASH = keccak256("rules");
    bytes32 internal constant EVIDENCE_HASH = keccak256("evidence");

    CommitmentVault internal vault;
    ScheduleHarness internal harness;

    function setUp() public {
        VM.warp(NOW);
        address[] memory oracles = new address[](1);
        oracles[0] = VM.addr(ORACLE_KEY);
        // This contract is the admin and guardian.
        vault = new CommitmentVault(address(this), oracles, 1);
        harness = new ScheduleHarness();
    }

    /*//////////////////////////////////////////////////////////////
                                 SHARES
    //////////////////////////////////////////////////////////////*/

    /// @notice Schedule.share: every share is `amount / count` except the last, which takes the remainder; the
    /// shares sum to `amount` exactly.
    /// hardhat-config: fuzz.runs = 2000
    function testFuzzShareSplitsAmountExactly(uint128 amountSeed, uint16 countSeed) public view {
        uint256 amount = bound(amountSeed, 1, type(uint128).max);
        uint256 count = bound(countSeed, 1, 104);
        uint256 each = amount / count;

        uint256 sum;
        for (uint256 i; i < count; ++i) {
            uint256 s = harness.share(amount, count, i);
            if (i + 1 < count) {
                VM.assertEq(s, each, "share != amount / count");
            } else {
                VM.assertEq(s, amount - each * (count - 1), "last share != amount - each * (count - 1)");
                VM.assertLt(s - each, count, "remainder >= count");
            }
            sum += s;
        }
        VM.assertEq(sum, amount, "shares do not sum to amount");
    }

    /// @notice The same property through a real commitment: milestoneAmount of every index of an ETH commitment.
    /// hardhat-config: fuzz.runs = 1000
    function testFuzzMilestoneAmountsSumToStake(uint128 amountSeed, uint16 countSeed) public {
        uint128 amount = uint128(bound(amountSeed, 1, type(uint128).max));
        uint16 count = uint16(bound(countSeed, 1, 104));
        uint256 id = _create(amount, NOW + 1 days, 1 weeks, count, 2 days);
        uint256 each = amount / count;

        uint256 sum;
        for (uint256 i; i < count; ++i) {
            uint256 s = vault.milestoneAmount(id, i);
            VM.assertEq(s, harness.share(amount, count, i), "vault share != Schedule.share");
            if (i + 1 < count) VM.assertEq(s, each, "share != amount / count");
            else VM.assertEq(s, amount - each * (count - 1), "last share != remainder");
            sum += s;
        }
        VM.assertEq(sum, amount, "milestone amounts do not sum to the stake");
        VM.assertEq(address(vault).balance, amount, "vault does not hold the stake");

        VM.expectRevert(abi.encodeWithSelector(ICommitmentVault.MilestoneOutOfRange.selector, id, count, count));
        vault.milestoneAmount(id, count);
    }

    /*//////////////////////////////////////////////////////////////
                          CLAIM / SLASH PARTITION
    //////////////////////////////////////////////////////////////*/

    /// @notice For any schedule, milestone and instant t: before the window opens both claim (WindowNotOpen) and slash
    /// (ClaimDeadlineNotReached) revert; from the opening on exactly one of them succeeds, claim iff
    /// t < claimDeadline, slash iff t >= claimDeadline. Checked at the fuzzed t and at the four boundaries.
    /// hardhat-config: fuzz.runs = 1000
    function testFuzzClaimAndSlashPartitionTime(
        uint32 periodSeed,
        uint32 graceSeed,
        uint16 countSeed,
        uint16 indexSeed,
        uint64 startSeed,
        uint256 tSeed
    ) public {
        Case memory c = _newCase(periodSeed, graceSeed, countSeed, indexSeed, bound(startSeed, 0, 365 days));
        VM.assertEq(vault.claimDeadline(c.id, c.index), c.deadline, "claimDeadline != start + (i+1)*period + grace");

        _checkInstant(c, bound(tSeed, NOW, c.deadline + 2 * c.period));
        if (c.opensAt > NOW) _checkInstant(c, c.opensAt - 1);
        _checkInstant(c, c.opensAt);
        _checkInstant(c, c.deadline - 1);
        _checkInstant(c, c.deadline);
    }

    /// @notice One pause [p, u) (v2 rule): nothing settles during it; afterwards a deadline d = end + grace that the
    /// pause began before (p < d) moves by exactly the paused time it overlaps after the window's end,
    /// u - max(p, end) when u > end, and to at least u + UNPAUSE_CLAIM_TIME (so a pause ending less than an hour
    /// before d, even inside the window, still leaves an hour); any other deadline stands. Claim and slash still
    /// partition time exactly at it.
    /// hardhat-config: fuzz.runs = 1000
    function testFuzzPauseExtendsRunningDeadlines(
        uint32 periodSeed,
        uint32 graceSeed,
        uint16 countSeed,
        uint16 indexSeed,
        uint256 pauseSeed,
        uint256 lengthSeed
    ) public {
        Case memory c = _newCase(periodSeed, graceSeed, countSeed, indexSeed, 0);
        uint256 pausedAt = bound(pauseSeed, NOW, c.deadline + c.period);
        _checkOnePause(c, pausedAt, pausedAt + bound(lengthSeed, 1, 60 days), lengthSeed);
    }

    /// @notice The same rule for a pause whose unpause lands within two hours either side of the nominal deadline
    /// (the case the 1-hour floor exists for): a pause ending less than an hour before the deadline, in the grace
    /// or still inside the window, leaves exactly u + UNPAUSE_CLAIM_TIME; one ending earlier moves nothing.
    /// hardhat-config: fuzz.runs = 1000
    function testFuzzPauseEndingNearTheDeadlineLeavesAnHour(
        uint32 periodSeed,
        uint32 graceSeed,
        uint16 countSeed,
        uint16 indexSeed,
        uint256 unpauseSeed,
        uint256 lengthSeed
    ) public {
        Case memory c = _newCase(periodSeed, graceSeed, countSeed, indexSeed, 0);
        uint256 from = c.deadline > NOW + 2 hours ? c.deadline - 2 hours : NOW + 1;
        uint256 unpausedAt = bound(unpauseSeed, from, c.deadline + 2 hours);
        uint256 pausedAt = unpausedAt - bound(lengthSeed, 1, _min(unpausedAt - NOW, 3 hours));
        _checkOnePause(c, pausedAt, unpausedAt, lengthSeed);
    }

    /// @dev Pauses at `pausedAt`, unpauses at `unpausedAt` and checks the deadline against {_expected} and that claim
    /// and slash partition time exactly at it.
    function _checkOnePause(Case memory c, uint256 pausedAt, uint256 unpausedAt, uint256 lengthSeed) internal {
        uint256 base = c.deadline;
        uint256 end = base - c.grace;

        VM.warp(pausedAt);
        vault.pause();
        _checkBothPaused(c, pausedAt, pausedAt);
        _checkBothPaused(c, unpausedAt - 1, pausedAt);
        // While paused the view assumes an unpause right now.
        VM.warp(unpausedAt - 1);
        VM.assertEq(
            vault.claimDeadline(c.id, c.index),
            _expected(base, end, pausedAt, unpausedAt - 1),
            "claimDeadline while paused"
        );

        VM.warp(unpausedAt);
        vault.unpause();
        uint256 expected = _expected(base, end, pausedAt, unpausedAt);
        VM.assertLe(expected, base + (unpausedAt - pausedAt) + vault.UNPAUSE_CLAIM_TIME(), "more than paused + 1 h");
        VM.assertEq(vault.claimDeadline(c.id, c.index), expected, "claimDeadline after unpause");

        c.deadline = expected;
        _checkInstant(c, bound(lengthSeed, unpausedAt, _max(expected, unpausedAt) + c.period));
        if (c.opensAt > unpausedAt) _checkInstant(c, c.opensAt - 1);
        if (c.opensAt >= unpausedAt) _checkInstant(c, c.opensAt);
        if (expected > unpausedAt) _checkInstant(c, expected - 1);
        _checkInstant(c, expected);
    }

    /// @dev The one-pause rule, written the direct way (the vault computes it in its unpaused clock).
    function _expected(uint256 d, uint256 end, uint256 p, uint256 u) internal view returns (uint256) {
        if (p >= d) return d;
        uint256 overlap = u > end ? u - _max(p, end) : 0;
        return _max(d + overlap, u + vault.UNPAUSE_CLAIM_TIME());
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function _newCase(
        uint32 periodSeed,
        uint32 graceSeed,
        uint16 countSeed,
        uint16 indexSeed,
        uint256 startDelay
    ) internal returns (Case memory c) {
        c.period = bound(periodSeed, 1 hours, 366 days);
        c.grace = bound(graceSeed, 0, 7 days);
        uint256 count = bound(countSeed, 1, 104);
        c.index = bound(indexSeed, 0, count - 1);
        uint256 start = NOW + startDelay;
        // A remainder on the last share, so it differs from the others.
        uint128 amount = uint128(count * 1 ether + count - 1);

        c.id = _create(amount, start, c.period, count, c.grace);
        c.opensAt = start + c.index * c.period;
        c.deadline = c.opensAt + c.period + c.grace;
        c.share = Schedule.share(amount, count, c.index);
        c.validUntil = type(uint64).max;

        (uint8 v, bytes32 r, bytes32 s) = VM.sign(
            ORACLE_KEY,
            vault.hashAttestation(c.id, c.index, EVIDENCE_HASH, c.validUntil)
        );
        c.signatures = new bytes[](1);
        c.signatures[0] = abi.encodePacked(r, s, v);
    }

    function _create(
        uint128 amount,
        uint256 start,
        uint256 period,
        uint256 count,
        uint256 grace
    ) internal returns (uint256 id) {
        ICommitmentVault.CommitmentParams memory p = ICommitmentVault.CommitmentParams({
            token: address(0),
            amount: amount,
            start: uint64(start),
            period: uint32(period),
            milestones: uint16(count),
            grace: uint32(grace),
            beneficiary: BENEFICIARY,
            rulesHash: RULES_HASH
        });
        VM.deal(OWNER, amount);
        VM.prank(OWNER);
        id = vault.createCommitment{value: amount}(p);
    }

    /// @dev Tries claim and slash at `t`, each from the same state (snapshots), and checks the partition.
    function _checkInstant(Case memory c, uint256 t) internal {
        (bool claimOk, bytes memory claimErr) = _tryClaim(c, t);
        (bool slashOk, bytes memory slashErr) = _trySlash(c, t);

        if (t < c.opensAt) {
            VM.assertFalse(claimOk, "claim before the window opened");
            VM.assertEq(claimErr, _err(ICommitmentVault.WindowNotOpen.selector, c, c.opensAt), "claim error (early)");
            VM.assertFalse(slashOk, "slash before the window opened");
            VM.assertEq(
                slashErr,
                _err(ICommitmentVault.ClaimDeadlineNotReached.selector, c, c.deadline),
                "slash error (early)"
            );
            return;
        }
        VM.assertNotEq(claimOk, slashOk, "claim and slash must be mutually exclusive and exhaustive");
        VM.assertEq(claimOk, t < c.deadline, "claim must succeed iff t < claimDeadline");
        VM.assertEq(slashOk, t >= c.deadline, "slash must succeed iff t >= claimDeadline");
        if (!claimOk) {
            VM.assertEq(claimErr, _err(ICommitmentVault.ClaimDeadlinePassed.selector, c, c.deadline), "claim error");
        }
        if (!slashOk) {
            VM.assertEq(
                slashErr,
                _err(ICommitmentVault.ClaimDeadlineNotReached.selector, c, c.deadline),
                "slash error"
            );
        }
    }

    function _tryClaim(Case memory c, uint256 t) internal returns (bool ok, bytes memory ret) {
        uint256 snapshot = VM.snapshotState();
        VM.warp(t);
        uint256 ownerBefore = OWNER.balance;
        try vault.claimMilestone(c.id, c.index, EVIDENCE_HASH, c.validUntil, c.signatures) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (ok) {
            VM.assertEq(OWNER.balance - ownerBefore, c.share, "claim did not pay the share to the owner");
            VM.assertEq(
                uint256(vault.milestoneState(c.id, c.index)),
                uint256(ICommitmentVault.MilestoneState.Released),
                "claimed milestone not Released"
            );
        }
        VM.revertToState(snapshot);
    }

    function _trySlash(Case memory c, uint256 t) internal returns (bool ok, bytes memory ret) {
        uint256 snapshot = VM.snapshotState();
        VM.warp(t);
        try vault.slash(c.id, c.index) {
            ok = true;
        } catch (bytes memory reason) {
            ret = reason;
        }
        if (ok) {
            VM.assertEq(vault.credits(BENEFICIARY, address(0)), c.share, "slash did not credit the beneficiary");
            VM.assertEq(
                uint256(vault.milestoneState(c.id, c.index)),
                uint256(ICommitmentVault.MilestoneState.Slashed),
                "slashed milestone not Slashed"
            );
        }
        VM.revertToState(snapshot);
    }

    function _checkBothPaused(Case memory c, uint256 t, uint256 pausedAt) internal {
        bytes memory paused = abi.encodeWithSelector(ICommitmentVault.VaultPaused.selector, uint64(pausedAt));
        (bool claimOk, bytes memory claimErr) = _tryClaim(c, t);
        (bool slashOk, bytes memory slashErr) = _trySlash(c, t);
        VM.assertFalse(claimOk, "claim while paused");
        VM.assertEq(claimErr, paused, "claim error while paused");
        VM.assertFalse(slashOk, "slash while paused");
        VM.assertEq(slashErr, paused, "slash error while paused");
    }

    function _err(bytes4 selector, Case memory c, uint256 at) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, c.id, c.index, uint64(at));
    }

    function _max(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a : b;
    }

    function _min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }
}
