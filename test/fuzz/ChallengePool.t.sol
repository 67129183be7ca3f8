// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ChallengePool} from "../../contracts/ChallengePool.sol";
import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {IChallengePool} from "../../contracts/interfaces/IChallengePool.sol";
import {ChallengeMath} from "../../contracts/libraries/ChallengeMath.sol";
import {Schedule} from "../../contracts/libraries/Schedule.sol";
import {Vm, VM_ADDRESS, bound} from "../utils/Vm.sol";

/// @notice Exposes the internal {ChallengeMath} and {Schedule} functions so the fuzzer can call them.
contract ChallengeMathHarness {
    function split(uint256 pot, uint256 feeBps, uint256 finishers) external pure returns (uint256, uint256) {
        return ChallengeMath.split(pot, feeBps, finishers);
    }

    function lost(
        uint256 stake,
        uint256 milestones,
        uint256 slashed,
        bool lastSlashed
    ) external pure returns (uint256) {
        return ChallengeMath.lost(stake, milestones, slashed, lastSlashed);
    }

    function share(uint256 amount, uint256 count, uint256 index) external pure returns (uint256) {
        return Schedule.share(amount, count, index);
    }
}

/// @title ChallengePoolFuzzTest
/// @notice Fuzz tests of the pool's money: winnings + fee + dust == pot for any counts, the pot counts exactly the
/// vault's slashed shares, and a whole challenge played out through the real vault pays out exactly its pot.
contract ChallengePoolFuzzTest {
    Vm internal constant VM = Vm(VM_ADDRESS);
    uint256 internal constant NOW = 1_767_225_600;
    uint256 internal constant ORACLE_KEY = 0x0A11CE0F0AC1E;
    address internal constant FEE_RECIPIENT = address(0xFEE);
    address internal constant FALLBACK = address(0xFA11BAC4);
    bytes32 internal constant RULES_HASH = keccak256("rules");
    bytes32 internal constant EVIDENCE_HASH = keccak256("evidence");

    ChallengeMathHarness internal harness;
    CommitmentVault internal vault;
    ChallengePool internal pool;

    function setUp() public {
        VM.warp(NOW);
        harness = new ChallengeMathHarness();
        address[] memory oracles = new address[](1);
        oracles[0] = VM.addr(ORACLE_KEY);
        vault = new CommitmentVault(address(this), oracles, 1);
        pool = new ChallengePool(address(vault), address(this));
    }

    /// @notice split: each finisher's winnings times the finishers plus the remainder is the pot exactly; the remainder
    /// is at least the fee and exceeds it by less than one unit per finisher (the dust); no finisher: all to one.
    /// hardhat-config: fuzz.runs = 2000
    function testFuzzSplitWinningsFeeAndDustEqualPot(uint256 potSeed, uint16 feeSeed, uint32 finisherSeed) public view {
        uint256 pot = bound(potSeed, 0, 10_000 * uint256(type(uint128).max));
        uint256 feeBps = bound(feeSeed, 0, 1_000);
        uint256 finishers = bound(finisherSeed, 0, 10_000);
        (uint256 each, uint256 remainder) = harness.split(pot, feeBps, finishers);
        VM.assertEq(each * finishers + remainder, pot, "winnings + fee + dust != pot");
        if (finishers == 0) {
            VM.assertEq(remainder, pot, "no finisher: the remainder is not the pot");
            return;
        }
        VM.assertEq(each, (pot * (10_000 - feeBps)) / 10_000 / finishers, "winnings formula");
        uint256 fee = pot - (pot * (10_000 - feeBps)) / 10_000;
        VM.assertGe(remainder, fee, "remainder below the fee");
        VM.assertLt(remainder - fee, finishers, "dust >= finishers");
        VM.assertLe(fee, pot / 10 + 1, "fee above 10 %");
    }

    /// @notice lost: the shares of any set of slashed milestones, summed with the vault's share formula.
    /// hardhat-config: fuzz.runs = 1000
    function testFuzzLostIsTheSumOfSlashedShares(uint128 stakeSeed, uint16 countSeed, uint256 mask) public view {
        uint256 stake = bound(stakeSeed, 1, type(uint128).max);
        uint256 count = bound(countSeed, 1, 104);
        uint256 expected;
        uint256 slashed;
        for (uint256 i; i < count; ++i) {
            if ((mask >> i) & 1 == 1) {
                expected += harness.share(stake, count, i);
                ++slashed;
            }
        }
        bool lastSlashed = (mask >> (count - 1)) & 1 == 1;
        VM.assertEq(harness.lost(stake, count, slashed, lastSlashed), expected, "lost != sum of slashed shares");
    }

    /// @notice End to end through the real vault: `n` participants, a fuzzed subset finishes (claims its milestone),
    /// the rest is slashed; after settling everyone and every claim and withdrawal, the finishers' winnings plus the
    /// fee recipient's (or fallback's) credit equal the pot, and the pool is left holding and owing nothing.
    /// hardhat-config: fuzz.runs = 200
    function testFuzzChallengePaysOutExactlyItsPot(
        uint8 nSeed,
        uint256 finisherMask,
        uint128 stakeSeed,
        uint16 feeSeed
    ) public {
        uint256 n = bound(nSeed, 2, 12);
        uint128 stake = uint128(bound(stakeSeed, 1, 1e27));
        uint16 feeBps = uint16(bound(feeSeed, 0, 1_000));
        uint256 id = _createChallenge(stake, feeBps, n);

        uint256 finishers = _play(id, n, finisherMask, stake);
        for (uint256 i; i < n; ++i) {
            pool.settleParticipant(id, _participant(i));
        }
        (, , uint32 settled, uint32 counted, uint256 pot) = pool.challenge(id);
        VM.assertEq(settled, n, "settled");
        VM.assertEq(counted, finishers, "finishers");
        VM.assertEq(pot, (n - finishers) * uint256(stake), "pot != slashed stakes");
        VM.assertEq(pool.liabilities(address(0)), pot, "liabilities != pot");

        uint256 paid;
        for (uint256 i; i < n; ++i) {
            if ((finisherMask >> i) & 1 == 0) continue;
            address who = _participant(i);
            uint256 before = who.balance;
            VM.prank(who);
            pool.claimWinnings(id);
            paid += who.balance - before;
        }
        address recipient = finishers == 0 ? FALLBACK : FEE_RECIPIENT;
        uint256 remainder = pool.credits(recipient, address(0));
        if (remainder != 0) pool.withdrawFor(recipient, address(0));
        VM.assertEq(paid + remainder, pot, "winnings + fee + dust != pot");
        VM.assertEq(recipient.balance, remainder, "remainder not paid to its recipient");
        VM.assertEq(address(pool).balance + vault.credits(address(pool), address(0)), 0, "pool kept something");
        VM.assertEq(pool.liabilities(address(0)), 0, "liabilities left");
    }

    /// @dev Everyone joins; the participants in `finisherMask` claim their milestone, the others are slashed.
    function _play(uint256 id, uint256 n, uint256 finisherMask, uint128 stake) internal returns (uint256 finishers) {
        for (uint256 i; i < n; ++i) {
            address who = _participant(i);
            VM.deal(who, stake);
            VM.prank(who);
            pool.join{value: stake}(id);
        }
        VM.warp(NOW + 1 days);
        for (uint256 i; i < n; ++i) {
            if ((finisherMask >> i) & 1 == 1) {
                _claim(pool.commitmentOf(id, _participant(i)));
                ++finishers;
            }
        }
        VM.warp(NOW + 1 days + 1 weeks + 1 days);
        for (uint256 i; i < n; ++i) {
            if ((finisherMask >> i) & 1 == 0) vault.slash(pool.commitmentOf(id, _participant(i)), 0);
        }
    }

    function _createChallenge(uint128 stake, uint16 feeBps, uint256 n) internal returns (uint256) {
        return
            pool.createChallenge(
                IChallengePool.ChallengeParams({
                    token: address(0),
                    stake: stake,
                    start: uint64(NOW + 1 days),
                    period: 1 weeks,
                    milestones: 1,
                    grace: 1 days,
                    rulesHash: RULES_HASH,
                    joinDeadline: uint64(NOW + 1 days),
                    maxParticipants: uint32(n),
                    feeBps: feeBps,
                    feeRecipient: FEE_RECIPIENT,
                    fallbackBeneficiary: FALLBACK
                })
            );
    }

    function _claim(uint256 commitmentId) internal {
        uint64 validUntil = uint64(block.timestamp + 1 days);
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(
            ORACLE_KEY,
            vault.hashAttestation(commitmentId, 0, EVIDENCE_HASH, validUntil)
        );
        bytes[] memory signatures = new bytes[](1);
        signatures[0] = abi.encodePacked(r, s, v);
        vault.claimMilestone(commitmentId, 0, EVIDENCE_HASH, validUntil, signatures);
    }

    /// @dev Plain accounts (no code, past the precompiles).
    function _participant(uint256 i) internal pure returns (address) {
        return address(uint160(0x10000 + i));
    }
}
