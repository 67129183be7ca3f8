// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ChallengePool} from "../../contracts/ChallengePool.sol";
import {CommitmentVault} from "../../contracts/CommitmentVault.sol";
import {IChallengePool} from "../../contracts/interfaces/IChallengePool.sol";
import {MockERC20Permit} from "../../contracts/mocks/MockERC20Permit.sol";
import {Vm, VM_ADDRESS, bound} from "../utils/Vm.sol";

/// @title PoolHandler
/// @notice The only contract the pool's invariant fuzzer calls. Each action bounds its inputs onto existing challenges
/// and actors and tries the call (a refused call is simply skipped: the pool's reverts are covered by the unit tests).
/// Ghost variables record, per challenge and per token, what the pool paid out, so the campaign can check that no
/// challenge pays more than its own pot and that the pool always holds what it owes.
contract PoolHandler {
    Vm internal constant VM = Vm(VM_ADDRESS);
    uint256 internal constant ACTORS = 6;
    uint256 internal constant MAX_CHALLENGES = 6;
    bytes32 internal constant RULES_HASH = keccak256("rules");
    bytes32 internal constant EVIDENCE_HASH = keccak256("evidence");
    address public constant FEE_RECIPIENT = address(0xFEE);
    address public constant FALLBACK = address(0xFA11BAC4);

    ChallengePool public immutable pool;
    CommitmentVault public immutable vault;
    MockERC20Permit public immutable token;
    uint256 internal immutable _oracleKey;

    uint256 public challengeCount;
    uint256 public totalCalls;
    /// @dev Successful settlements and winnings claims, so the campaign can show it reached the end of challenges.
    uint256 public settlements;
    uint256 public winningsClaims;
    /// @dev Winnings paid per challenge, and the remainder credited when it closed.
    mapping(uint256 challengeId => uint256) public paidWinnings;
    mapping(uint256 challengeId => uint256) public creditedRemainder;
    /// @dev Per token: pots counted (sum over challenges), winnings paid, pool credits withdrawn.
    mapping(address token => uint256) public potsCounted;
    mapping(address token => uint256) public winningsPaid;
    mapping(address token => uint256) public creditsWithdrawn;

    constructor(ChallengePool pool_, CommitmentVault vault_, MockERC20Permit token_, uint256 oracleKey) {
        pool = pool_;
        vault = vault_;
        token = token_;
        _oracleKey = oracleKey;
    }

    /*//////////////////////////////////////////////////////////////
                                ACTIONS
    //////////////////////////////////////////////////////////////*/

    function createChallenge(bool useToken, uint128 stakeSeed, uint16 feeSeed, uint16 milestonesSeed) external {
        ++totalCalls;
        if (challengeCount >= MAX_CHALLENGES) return;
        uint64 start = uint64(block.timestamp + 1 hours);
        IChallengePool.ChallengeParams memory p = IChallengePool.ChallengeParams({
            token: useToken ? address(token) : address(0),
            stake: uint128(bound(stakeSeed, 1, 1e24)),
            start: start,
            period: 1 hours,
            milestones: uint16(bound(milestonesSeed, 1, 3)),
            grace: 30 minutes,
            rulesHash: RULES_HASH,
            joinDeadline: start,
            maxParticipants: uint32(ACTORS),
            feeBps: uint16(bound(feeSeed, 0, 1_000)),
            feeRecipient: FEE_RECIPIENT,
            fallbackBeneficiary: FALLBACK
        });
        challengeCount = pool.createChallenge(p);
    }

    function join(uint256 challengeSeed, uint256 actorSeed) external {
        ++totalCalls;
        if (challengeCount == 0) return;
        uint256 id = bound(challengeSeed, 1, challengeCount);
        address who = actor(actorSeed);
        (IChallengePool.ChallengeParams memory p, , , , ) = pool.challenge(id);
        if (p.token == address(0)) {
            VM.deal(who, p.stake);
            VM.prank(who);
            try pool.join{value: p.stake}(id) {} catch {}
        } else {
            token.mint(who, p.stake);
            VM.prank(who);
            token.approve(address(pool), p.stake);
            VM.prank(who);
            try pool.join(id) {} catch {}
        }
    }

    function claimMilestone(uint256 challengeSeed, uint256 actorSeed, uint16 indexSeed) external {
        ++totalCalls;
        uint256 commitmentId = _commitment(challengeSeed, actorSeed);
        if (commitmentId == 0) return;
        uint256 index = bound(indexSeed, 0, 2);
        uint64 validUntil = uint64(block.timestamp + 1 hours);
        try vault.hashAttestation(commitmentId, index, EVIDENCE_HASH, validUntil) returns (bytes32 digest) {
            (uint8 v, bytes32 r, bytes32 s) = VM.sign(_oracleKey, digest);
            bytes[] memory signatures = new bytes[](1);
            signatures[0] = abi.encodePacked(r, s, v);
            try vault.claimMilestone(commitmentId, index, EVIDENCE_HASH, validUntil, signatures) {} catch {}
        } catch {}
    }

    function slash(uint256 challengeSeed, uint256 actorSeed, uint16 indexSeed) external {
        ++totalCalls;
        uint256 commitmentId = _commitment(challengeSeed, actorSeed);
        if (commitmentId == 0) return;
        try vault.slash(commitmentId, bound(indexSeed, 0, 2)) {} catch {}
    }

    function warp(uint32 secondsSeed) external {
        ++totalCalls;
        VM.warp(block.timestamp + bound(secondsSeed, 1, 2 hours));
    }

    function settle(uint256 challengeSeed, uint256 actorSeed) external {
        ++totalCalls;
        if (challengeCount == 0) return;
        uint256 id = bound(challengeSeed, 1, challengeCount);
        (IChallengePool.ChallengeParams memory p, , , , uint256 potBefore) = pool.challenge(id);
        try pool.settleParticipant(id, actor(actorSeed)) {
            (, uint32 participants, uint32 settled, , uint256 pot) = pool.challenge(id);
            ++settlements;
            potsCounted[p.token] += pot - potBefore;
            if (settled == participants) creditedRemainder[id] = _remainder(id);
        } catch {}
    }

    function claimWinnings(uint256 challengeSeed, uint256 actorSeed) external {
        ++totalCalls;
        if (challengeCount == 0) return;
        uint256 id = bound(challengeSeed, 1, challengeCount);
        address who = actor(actorSeed);
        uint256 amount = pool.winningsOf(id, who);
        (IChallengePool.ChallengeParams memory p, , , , ) = pool.challenge(id);
        VM.prank(who);
        try pool.claimWinnings(id) {
            ++winningsClaims;
            paidWinnings[id] += amount;
            winningsPaid[p.token] += amount;
        } catch {}
    }

    function withdrawCredits(bool useToken, bool fallbackRecipient) external {
        ++totalCalls;
        address t = useToken ? address(token) : address(0);
        address recipient = fallbackRecipient ? FALLBACK : FEE_RECIPIENT;
        uint256 amount = pool.credits(recipient, t);
        try pool.withdrawFor(recipient, t) {
            creditsWithdrawn[t] += amount;
        } catch {}
    }

    /// @notice Anyone may push the pool's vault credits to the pool: the pool must not care where its money sits.
    function pushVaultCredits(bool useToken) external {
        ++totalCalls;
        try vault.withdrawFor(address(pool), useToken ? address(token) : address(0)) {} catch {}
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    function actor(uint256 seed) public pure returns (address) {
        return address(uint160(0x20000 + (seed % ACTORS)));
    }

    function _commitment(uint256 challengeSeed, uint256 actorSeed) internal view returns (uint256) {
        if (challengeCount == 0) return 0;
        return pool.commitmentOf(bound(challengeSeed, 1, challengeCount), actor(actorSeed));
    }

    /// @dev The remainder credited when challenge `id` closed: pot - winningsEach * finishers.
    function _remainder(uint256 id) internal view returns (uint256) {
        (IChallengePool.ChallengeParams memory p, , , uint32 finishers, uint256 pot) = pool.challenge(id);
        if (finishers == 0) return pot;
        uint256 each = (pot * (10_000 - p.feeBps)) / 10_000 / finishers;
        return pot - each * finishers;
    }
}
