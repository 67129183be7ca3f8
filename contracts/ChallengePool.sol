// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

import {IChallengePool} from "./interfaces/IChallengePool.sol";
import {ICommitmentVault} from "./interfaces/ICommitmentVault.sol";
import {ChallengeMath} from "./libraries/ChallengeMath.sol";

/// @title ChallengePool
/// @notice Challenges many people join with the same stake, rules and schedule; the shares of those who miss a
/// milestone are split equally among those who finish every milestone (StepBet-style). Stakes live in the
/// CommitmentVault as ordinary commitments owned by the participants with this pool as beneficiary.
/// @dev Invariants (test/INVARIANTS.md, "ChallengePool"): per token, `balance + vault.credits(pool) >= liabilities`,
/// where liabilities = counted pots not yet paid + pool credits; each challenge pays out exactly its pot (winnings of
/// every finisher + remainder == pot); a participant moves None -> Joined -> Out | Finished, Finished -> Claimed.
/// Accounting per challenge: a pot only counts milestones the vault marks Slashed, and the vault credits every
/// Slashed share of a pool commitment to the pool in the same transaction, so what a challenge can pay is always
/// already held (in the pool or as its vault credit) and no challenge can reach another's money.
contract ChallengePool is IChallengePool, Ownable2Step {
    using SafeERC20 for IERC20;
    using TransientSlot for *;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Largest fee on a pot: 10 %.
    uint16 public constant MAX_FEE_BPS = 1_000;
    /// @notice Smallest and largest `maxParticipants`.
    uint32 public constant MIN_PARTICIPANTS = 2;
    uint32 public constant MAX_PARTICIPANTS = 10_000;
    /// @notice Bounds of the vault's CommitmentParams, checked at creation so that every challenge is joinable.
    uint16 public constant MAX_MILESTONES = 104;
    uint32 public constant MIN_PERIOD = 1 hours;
    uint32 public constant MAX_PERIOD = 366 days;
    uint32 public constant MAX_GRACE = 7 days;
    uint64 public constant MAX_START_DELAY = 365 days;

    /// @dev Milestones 0..63 are in `packedLow` of {ICommitmentVault-milestoneStates}, the rest in `packedHigh`.
    uint256 private constant _LOW_MILESTONES = 64;
    /// @dev Two-bit codes of {ICommitmentVault-milestoneStates} (Appealed reads as Open).
    uint256 private constant _OPEN = 0;
    uint256 private constant _RELEASED = 1;
    uint256 private constant _SLASHED = 2;

    /// @dev Transient slot of the reentrancy flag (keccak256("ChallengePool.reentrancy") - 1).
    bytes32 private constant _REENTRANCY_SLOT = 0x7bd1d90a689d72a2c9972cba94b3528e4de17b4b9b97b051dd338b181bb90370;

    /// @dev The vault every stake goes to.
    ICommitmentVault private immutable _VAULT;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev A challenge: its terms (7 slots), three counters (1 slot) and the counted pot (1 slot).
    struct Challenge {
        ChallengeParams p;
        uint32 participants;
        uint32 settled;
        uint32 finishers;
        uint256 pot;
    }

    /// @dev A participant's seat in one challenge: one slot.
    struct Seat {
        uint128 commitmentId;
        Status status;
    }

    uint256 private _challengeCount;
    mapping(uint256 challengeId => Challenge) private _challenges;
    mapping(uint256 challengeId => mapping(address participant => Seat)) private _seats;
    /// @dev Per token: counted pots not yet paid out plus pool credits.
    mapping(address token => uint256) private _liabilities;
    mapping(address account => mapping(address token => uint256)) private _credits;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param vault_ The CommitmentVault (v2: createCommitmentFor, milestoneStates).
    /// @param admin Owner of the pool: may sweep surplus (see {sweepSurplus}); nothing else.
    constructor(address vault_, address admin) Ownable(admin) {
        if (vault_ == address(0)) revert InvalidVault(vault_);
        _VAULT = ICommitmentVault(vault_);
    }

    /// @notice Accepts ETH from the vault only (its withdrawals of the pool's credits).
    receive() external payable {
        if (msg.sender != address(_VAULT)) revert UnexpectedEther(msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                               MODIFIERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Takes the transient reentrancy flag for a function that calls out.
    modifier nonReentrant() {
        if (_REENTRANCY_SLOT.asBoolean().tload()) revert ReentrantCall(msg.sender);
        _REENTRANCY_SLOT.asBoolean().tstore(true);
        _;
        _REENTRANCY_SLOT.asBoolean().tstore(false);
    }

    /*//////////////////////////////////////////////////////////////
                           PARTICIPANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IChallengePool
    function createChallenge(ChallengeParams calldata p) external override returns (uint256 challengeId) {
        // Check:
        if (p.token != address(0) && !_VAULT.isTokenAllowed(p.token)) revert TokenNotAllowed(p.token);
        if (p.stake == 0) revert InvalidStake(p.stake);
        uint64 timestamp = uint64(block.timestamp);
        if (p.joinDeadline <= timestamp || p.joinDeadline > p.start) {
            revert InvalidJoinDeadline(p.joinDeadline, p.start, timestamp);
        }
        if (p.start > timestamp + MAX_START_DELAY) revert InvalidStart(p.start, timestamp + MAX_START_DELAY);
        if (
            p.period < MIN_PERIOD ||
            p.period > MAX_PERIOD ||
            p.milestones == 0 ||
            p.milestones > MAX_MILESTONES ||
            p.grace > MAX_GRACE
        ) revert InvalidSchedule(p.period, p.milestones, p.grace);
        if (p.rulesHash == bytes32(0)) revert InvalidRulesHash(p.rulesHash);
        if (p.maxParticipants < MIN_PARTICIPANTS || p.maxParticipants > MAX_PARTICIPANTS) {
            revert InvalidMaxParticipants(p.maxParticipants);
        }
        if (p.feeBps > MAX_FEE_BPS) revert InvalidFee(p.feeBps, MAX_FEE_BPS);
        if (p.feeRecipient == address(0) || p.feeRecipient == address(this)) revert InvalidFeeRecipient(p.feeRecipient);
        if (p.fallbackBeneficiary == address(0) || p.fallbackBeneficiary == address(this)) {
            revert InvalidFallbackBeneficiary(p.fallbackBeneficiary);
        }

        // Effect:
        challengeId = ++_challengeCount;
        _challenges[challengeId].p = p;
        emit ChallengeCreated(challengeId, msg.sender);
    }

    /// @inheritdoc IChallengePool
    function join(uint256 challengeId) external payable override nonReentrant returns (uint256 commitmentId) {
        // Check and Effect:
        (ChallengeParams storage p, Seat storage seat) = _takeSeat(challengeId, false);

        // Interaction:
        commitmentId = _commit(challengeId, p, seat);
    }

    /// @inheritdoc IChallengePool
    function joinWithPermit(
        uint256 challengeId,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external override nonReentrant returns (uint256 commitmentId) {
        // Check and Effect:
        (ChallengeParams storage p, Seat storage seat) = _takeSeat(challengeId, true);

        // Interaction: a failed permit (front-run, or a token without one) is fine when the allowance is already
        // there; if it is not, the pull reverts with the token's own error.
        _tryPermit(p.token, p.stake, permitDeadline, v, r, s);
        commitmentId = _commit(challengeId, p, seat);
    }

    /// @inheritdoc IChallengePool
    function settleParticipant(uint256 challengeId, address participant) external override nonReentrant {
        // Check:
        Challenge storage c = _existing(challengeId);
        uint64 joinDeadline = c.p.joinDeadline;
        if (block.timestamp < joinDeadline) revert JoinPeriodNotOver(challengeId, joinDeadline);
        Seat storage seat = _seats[challengeId][participant];
        Status status = seat.status;
        if (status == Status.None) revert NotParticipant(challengeId, participant);
        if (status != Status.Joined) revert AlreadySettled(challengeId, participant, status);
        (bool finished, uint256 lost) = _tally(c, challengeId, participant, seat.commitmentId);

        // Effect:
        seat.status = finished ? Status.Finished : Status.Out;
        uint32 settled = c.settled + 1;
        uint32 finishers = c.finishers;
        // At most maxParticipants (10,000) of each: no overflow.
        unchecked {
            if (finished) c.finishers = ++finishers;
        }
        c.settled = settled;
        uint256 pot = c.pot;
        if (lost != 0) {
            pot += lost;
            c.pot = pot;
            _liabilities[c.p.token] += lost;
        }
        emit ParticipantSettled(challengeId, participant, finished, lost);
        if (settled == c.participants) _close(c, challengeId, pot, finishers);
    }

    /// @inheritdoc IChallengePool
    function claimWinnings(uint256 challengeId) external override nonReentrant {
        // Check:
        Challenge storage c = _existing(challengeId);
        Seat storage seat = _seats[challengeId][msg.sender];
        Status status = seat.status;
        if (status == Status.Claimed) revert AlreadyClaimed(challengeId, msg.sender);
        if (status != Status.Finished) revert NotFinisher(challengeId, msg.sender, status);
        (uint32 settled, uint32 participants) = (c.settled, c.participants);
        if (settled != participants) revert ChallengeNotSettled(challengeId, settled, participants);
        (uint256 amount, ) = ChallengeMath.split(c.pot, c.p.feeBps, c.finishers);

        // Effect:
        seat.status = Status.Claimed;
        address token = c.p.token;
        _liabilities[token] -= amount;
        emit WinningsClaimed(challengeId, msg.sender, amount);

        // Interaction:
        if (amount != 0) _pay(token, msg.sender, amount);
    }

    /// @inheritdoc IChallengePool
    function withdraw(address token) external override nonReentrant {
        _withdraw(msg.sender, token);
    }

    /// @inheritdoc IChallengePool
    function withdrawFor(address account, address token) external override nonReentrant {
        _withdraw(account, token);
    }

    /*//////////////////////////////////////////////////////////////
                            ADMIN FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IChallengePool
    function sweepSurplus(address token, address to) external override onlyOwner nonReentrant {
        // Check:
        if (to == address(0)) revert InvalidRecipient(to);
        uint256 owed = _liabilities[token];
        uint256 held = _balance(token) + _VAULT.credits(address(this), token);
        if (held <= owed) revert NoSurplus(token, held, owed);

        // Effect: none in storage; the liabilities stay, the surplus leaves.
        // held > owed: no underflow.
        uint256 amount;
        unchecked {
            amount = held - owed;
        }
        emit SurplusSwept(token, to, amount);

        // Interaction:
        _pay(token, to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IChallengePool
    function challenge(
        uint256 challengeId
    )
        external
        view
        override
        returns (ChallengeParams memory p, uint32 participants, uint32 settled, uint32 finishers, uint256 pot)
    {
        Challenge storage c = _existing(challengeId);
        return (c.p, c.participants, c.settled, c.finishers, c.pot);
    }

    /// @inheritdoc IChallengePool
    function commitmentOf(uint256 challengeId, address participant) external view override returns (uint256) {
        return _seats[challengeId][participant].commitmentId;
    }

    /// @inheritdoc IChallengePool
    function winningsOf(uint256 challengeId, address participant) external view override returns (uint256 amount) {
        if (_seats[challengeId][participant].status != Status.Finished) return 0;
        Challenge storage c = _challenges[challengeId];
        if (c.settled != c.participants) return 0;
        (amount, ) = ChallengeMath.split(c.pot, c.p.feeBps, c.finishers);
    }

    /// @inheritdoc IChallengePool
    function statusOf(uint256 challengeId, address participant) external view override returns (Status) {
        return _seats[challengeId][participant].status;
    }

    /// @inheritdoc IChallengePool
    function credits(address account, address token) external view override returns (uint256) {
        return _credits[account][token];
    }

    /// @inheritdoc IChallengePool
    function liabilities(address token) external view override returns (uint256) {
        return _liabilities[token];
    }

    /// @inheritdoc IChallengePool
    function challengeCount() external view override returns (uint256) {
        return _challengeCount;
    }

    /// @inheritdoc IChallengePool
    function vault() external view override returns (address) {
        return address(_VAULT);
    }

    /*//////////////////////////////////////////////////////////////
                           PRIVATE FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    function _existing(uint256 challengeId) private view returns (Challenge storage c) {
        if (challengeId == 0 || challengeId > _challengeCount) revert ChallengeNotFound(challengeId);
        return _challenges[challengeId];
    }

    /// @dev Checks and effects of {join} and {joinWithPermit}: takes the caller's seat before any call out (the
    /// commitment id is written by {_commit} once the vault returns it; the reentrancy flag is held meanwhile).
    function _takeSeat(
        uint256 challengeId,
        bool withPermit
    ) private returns (ChallengeParams storage p, Seat storage seat) {
        // Check:
        Challenge storage c = _existing(challengeId);
        p = c.p;
        uint64 joinDeadline = p.joinDeadline;
        if (block.timestamp >= joinDeadline) revert JoinClosed(challengeId, joinDeadline);
        uint32 participants = c.participants;
        uint32 maxParticipants = p.maxParticipants;
        if (participants >= maxParticipants) revert ChallengeFull(challengeId, maxParticipants);
        seat = _seats[challengeId][msg.sender];
        if (seat.status != Status.None) revert AlreadyJoined(challengeId, msg.sender, seat.commitmentId);
        if (p.token == address(0)) {
            if (withPermit) revert PermitOnNativeToken(challengeId);
            if (msg.value != p.stake) revert IncorrectValue(msg.value, p.stake);
        } else if (msg.value != 0) {
            revert IncorrectValue(msg.value, 0);
        }

        // Effect:
        // participants < maxParticipants <= 10,000: no overflow.
        unchecked {
            c.participants = participants + 1;
        }
        seat.status = Status.Joined;
    }

    /// @dev Interactions of {join} and {joinWithPermit}: the stake becomes the caller's vault commitment with the
    /// challenge's terms and this pool as beneficiary; then the seat records its id.
    function _commit(
        uint256 challengeId,
        ChallengeParams storage p,
        Seat storage seat
    ) private returns (uint256 commitmentId) {
        address token = p.token;
        uint128 stake = p.stake;
        ICommitmentVault.CommitmentParams memory cp = ICommitmentVault.CommitmentParams({
            token: token,
            amount: stake,
            start: p.start,
            period: p.period,
            milestones: p.milestones,
            grace: p.grace,
            beneficiary: address(this),
            rulesHash: p.rulesHash
        });
        if (token == address(0)) {
            commitmentId = _VAULT.createCommitmentFor{value: stake}(msg.sender, cp);
        } else {
            _pullExact(token, stake);
            // Exactly the stake, which the vault pulls in full: no allowance is left behind.
            IERC20(token).forceApprove(address(_VAULT), stake);
            commitmentId = _VAULT.createCommitmentFor(msg.sender, cp);
        }

        // Effect (after the vault answered; the reentrancy flag is held):
        seat.commitmentId = SafeCast.toUint128(commitmentId);
        emit Joined(challengeId, msg.sender, commitmentId);
    }

    function _tryPermit(address token, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) private {
        try IERC20Permit(token).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
    }

    /// @dev Reads every milestone state of `commitmentId` in one call: finished when all are Released; `lost` sums
    /// the Slashed shares (the vault's share formula). Reverts on the first Open or Appealed milestone.
    function _tally(
        Challenge storage c,
        uint256 challengeId,
        address participant,
        uint256 commitmentId
    ) private view returns (bool finished, uint256 lost) {
        (uint256 packedLow, uint256 packedHigh) = _VAULT.milestoneStates(commitmentId);
        uint256 milestones = c.p.milestones;
        uint256 released;
        uint256 slashed;
        uint256 code;
        for (uint256 i; i < milestones; ++i) {
            code = i < _LOW_MILESTONES ? (packedLow >> (2 * i)) & 3 : (packedHigh >> (2 * (i - _LOW_MILESTONES))) & 3;
            if (code == _OPEN) revert MilestoneUnsettled(challengeId, participant, i);
            if (code == _RELEASED) ++released;
            else if (code == _SLASHED) ++slashed;
        }
        finished = released == milestones;
        // `code` holds the last milestone's state, which carries the rounding remainder of the stake.
        if (slashed != 0) lost = ChallengeMath.lost(c.p.stake, milestones, slashed, code == _SLASHED);
    }

    /// @dev Settles the split once the last participant is counted: the remainder (fee plus dust, or the whole pot
    /// with no finisher) is credited in the pool, so no recipient can block the settlement. O(1).
    function _close(Challenge storage c, uint256 challengeId, uint256 pot, uint32 finishers) private {
        (uint256 winningsEach, uint256 remainder) = ChallengeMath.split(pot, c.p.feeBps, finishers);
        address recipient = finishers == 0 ? c.p.fallbackBeneficiary : c.p.feeRecipient;
        if (remainder != 0) {
            // Already counted in the liabilities as part of the pot: moving it to a credit leaves them unchanged.
            _credits[recipient][c.p.token] += remainder;
            emit Credited(recipient, c.p.token, remainder);
        }
        emit ChallengeClosed(challengeId, pot, finishers, winningsEach, recipient, remainder);
    }

    function _withdraw(address account, address token) private {
        // Check:
        uint256 amount = _credits[account][token];
        if (amount == 0) revert NothingToWithdraw(account, token);

        // Effect:
        _credits[account][token] = 0;
        _liabilities[token] -= amount;
        emit Withdrawn(account, token, amount);

        // Interaction:
        _pay(token, account, amount);
    }

    /// @dev Pays `amount` of `token` to `to`, first pulling all of the pool's vault credits in that token when its own
    /// balance falls short (the credits are never per challenge; the liabilities say whose they are).
    function _pay(address token, address to, uint256 amount) private {
        if (_balance(token) < amount) _VAULT.withdraw(token);
        if (token == address(0)) {
            bool ok;
            assembly ("memory-safe") {
                ok := call(gas(), to, amount, 0, 0, 0, 0)
            }
            if (!ok) revert EtherTransferFailed(to, amount);
        } else {
            IERC20(token).safeTransfer(to, amount);
        }
    }

    /// @dev Pulls `amount` of `token` from the caller and insists the pool's balance grew by exactly that.
    function _pullExact(address token, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        // A token whose transferFrom lowers the balance reports "received 0" rather than underflowing.
        uint256 received = balance > before ? balance - before : 0;
        if (received != amount) revert TransferAmountMismatch(received, amount);
    }

    function _balance(address token) private view returns (uint256) {
        return token == address(0) ? address(this).balance : IERC20(token).balanceOf(address(this));
    }
}
