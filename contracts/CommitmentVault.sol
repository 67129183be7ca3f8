// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {ICommitmentVault} from "./interfaces/ICommitmentVault.sol";
import {Schedule} from "./libraries/Schedule.sol";

/// @title CommitmentVault
/// @notice Holds fitness-commitment stakes and settles them milestone by milestone: released to the owner on a
/// quorum of oracle attestations (EIP-712), or slashed to the beneficiary once the claim deadline has passed.
/// @dev Invariants (tested in test/INVARIANTS.md):
/// - per token, balance >= sum of unsettled stake + sum of credits;
/// - a milestone moves Open -> Released | Slashed | Refunded only, once, never back;
/// - claims are accepted strictly before `claimDeadline`, slashes at or after it.
/// Roles: DEFAULT_ADMIN_ROLE (oracles, allowlist; transferred with a delay) and GUARDIAN_ROLE (pause).
contract CommitmentVault is
    ICommitmentVault,
    EIP712,
    AccessControlDefaultAdminRules,
    Pausable,
    ReentrancyGuardTransient,
    Multicall
{
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice May pause and unpause.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice EIP-712 type hash of the attestation the oracles sign.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "MilestoneAttestation(uint256 commitmentId,uint256 milestoneIndex,bytes32 rulesHash,bytes32 evidenceHash,uint64 validUntil)"
    );
    /// @notice Most milestones (windows) a commitment may have.
    uint256 public constant MAX_MILESTONES = 104;
    /// @notice Shortest window.
    uint256 public constant MIN_PERIOD = 1 hours;
    /// @notice Longest window.
    uint256 public constant MAX_PERIOD = 366 days;
    /// @notice Longest grace after a window closes.
    uint256 public constant MAX_GRACE = 7 days;
    /// @notice How far ahead a commitment may start.
    uint256 public constant MAX_START_DELAY = 365 days;
    /// @notice Paused time (summed over a pause chain) after which owners may {exit}.
    uint256 public constant EXIT_DELAY = 30 days;
    /// @notice Gas forwarded with an ETH payout to an owner: ample for smart wallets, bounded so a receiver that
    /// burns all it gets cannot make a claim need millions of gas (a failed push is credited instead).
    uint256 public constant PUSH_GAS = 100_000;
    /// @notice Claim time a deadline that was running when a pause began keeps after the unpause. It is not the
    /// commitment's grace but one window for all (>= every grace): that makes chained pauses compose exactly
    /// (see {Schedule-covered}) and gives operators a week to catch up on attestations after an incident.
    uint256 public constant PAUSE_RECOVERY = MAX_GRACE;
    /// @notice Largest oracle set.
    uint256 public constant MAX_ORACLES = 16;
    /// @notice Delay of a default-admin transfer (AccessControlDefaultAdminRules).
    uint48 public constant ADMIN_TRANSFER_DELAY = 2 days;

    /// @dev 2-bit milestone codes in the state bitmaps. Refunded is not stored: it is Open + `closed`.
    uint256 private constant _RELEASED = 1;
    uint256 private constant _SLASHED = 2;
    /// @dev Milestones below this index keep their state bits in `statesLow` (slot 3), the rest in
    /// `statesHigh` (slot 1). 64 * 2 bits fill the 128 bits next to `amount`.
    uint256 private constant _LOW_MILESTONES = 64;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One commitment in exactly five slots (five cold SSTOREs at creation). Packing decisions:
    /// - slot 0 holds what every claim and slash needs first: owner, start, period, grace. `start` fits 40 bits
    ///   (validated <= now + 365 days), `grace` fits 24 bits (<= 604,800 < 2^24).
    /// - 104 milestones x 2 state bits = 208 bits do not fit beside any 160-bit address, so the bitmap is split:
    ///   milestones 0..63 sit beside `amount` in slot 3 (read by every claim and slash anyway), 64..103 beside
    ///   `token` in slot 1. A settlement therefore rewrites a slot it already read (2,900 gas, not 20,000).
    /// - `rulesHash` (slot 4) is read by claims only, `beneficiary` (slot 2) by slashes only.
    struct CommitmentRecord {
        // slot 0
        address owner;
        uint40 start;
        uint32 period;
        uint24 grace;
        // slot 1
        address token;
        uint8 milestones;
        bool closed;
        uint80 statesHigh;
        // slot 2
        address beneficiary;
        // slot 3
        uint128 amount;
        uint128 statesLow;
        // slot 4
        bytes32 rulesHash;
    }

    /// @dev These five share one slot with Pausable's `_paused` flag (storage packs across base contracts),
    /// so `whenNotPaused` warms the slot that create reads for ids and claims read for the quorum.
    /// @dev 48 bits of ids: 2.8e14 commitments, far beyond any chain's capacity.
    uint48 private _lastId;
    uint8 private _threshold;
    /// @dev When the current pause began; 0 while not paused.
    uint40 private _pausedAt;
    /// @dev Start of the first pause of the chain the latest pause belongs to (see {pause}).
    uint40 private _coverStart;
    /// @dev When the latest pause ended; 0 if never unpaused.
    uint40 private _lastUnpausedAt;
    /// @dev Seconds paused in the current pause chain before the current pause (for {exit}): re-pausing right
    /// after an unpause cannot restart the exit clock.
    uint32 private _chainPausedSeconds;

    mapping(uint256 id => CommitmentRecord) private _commitments;
    mapping(address account => mapping(address token => uint256 amount)) private _credits;
    mapping(address token => bool allowed) private _tokenAllowed;
    mapping(address oracle => bool current) private _isOracle;
    address[] private _oracleList;

    /*//////////////////////////////////////////////////////////////
                              CONSTRUCTOR
    //////////////////////////////////////////////////////////////*/

    /// @param admin Holds DEFAULT_ADMIN_ROLE and GUARDIAN_ROLE at deployment.
    /// @param oracles_ Initial oracle set (see {setOracles} for the rules).
    /// @param threshold_ Initial quorum.
    constructor(
        address admin,
        address[] memory oracles_,
        uint8 threshold_
    ) EIP712("ResolutionAutopilot", "1") AccessControlDefaultAdminRules(ADMIN_TRANSFER_DELAY, admin) {
        _grantRole(GUARDIAN_ROLE, admin);
        _setOracles(oracles_, threshold_);
    }

    /*//////////////////////////////////////////////////////////////
                           STAKER FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICommitmentVault
    function createCommitment(
        CommitmentParams calldata p
    ) external payable override nonReentrant whenNotPaused returns (uint256 id) {
        // Check:
        if (p.token == address(0)) {
            if (msg.value != p.amount) revert IncorrectValue(msg.value, p.amount);
        } else {
            if (msg.value != 0) revert IncorrectValue(msg.value, 0);
            if (!_tokenAllowed[p.token]) revert TokenNotAllowed(p.token);
        }
        _validate(p);

        // Effect:
        id = _store(p);

        // Interaction:
        if (p.token != address(0)) _pullExact(p.token, p.amount);
    }

    /// @inheritdoc ICommitmentVault
    function createCommitmentWithPermit(
        CommitmentParams calldata p,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external override nonReentrant whenNotPaused returns (uint256 id) {
        // Check:
        if (p.token == address(0) || !_tokenAllowed[p.token]) revert TokenNotAllowed(p.token);
        _validate(p);

        // Effect:
        id = _store(p);

        // Interaction: a failed permit (front-run, or a token without one) is fine when the allowance is
        // already there; if it is not, the transfer below reverts with the token's own error.
        try IERC20Permit(p.token).permit(msg.sender, address(this), p.amount, permitDeadline, v, r, s) {} catch {}
        _pullExact(p.token, p.amount);
    }

    /// @inheritdoc ICommitmentVault
    function claimMilestone(
        uint256 id,
        uint256 index,
        bytes32 evidenceHash,
        uint64 validUntil,
        bytes[] calldata signatures
    ) external override nonReentrant whenNotPaused {
        CommitmentRecord storage c = _commitments[id];

        // Check:
        _requireOpenMilestone(c, id, index);
        uint256 start = c.start;
        uint256 period = c.period;
        uint256 opensAt = Schedule.windowStart(start, period, index);
        if (block.timestamp < opensAt) revert WindowNotOpen(id, index, uint64(opensAt));
        uint256 deadline = _deadline(start, period, c.grace, index);
        if (block.timestamp >= deadline) revert ClaimDeadlinePassed(id, index, uint64(deadline));
        if (block.timestamp > validUntil) revert AttestationExpired(validUntil, uint64(block.timestamp));
        _verifyQuorum(_attestationDigest(id, index, c.rulesHash, evidenceHash, validUntil), signatures);

        // Effect:
        _settle(c, index, _RELEASED);
        address commitmentOwner = c.owner;
        uint256 amount = Schedule.share(c.amount, c.milestones, index);
        emit MilestoneReleased(id, index, commitmentOwner, amount, evidenceHash);

        // Interaction:
        _pushOrCredit(commitmentOwner, c.token, amount);
    }

    /// @inheritdoc ICommitmentVault
    function slash(uint256 id, uint256 index) external override nonReentrant whenNotPaused {
        CommitmentRecord storage c = _commitments[id];

        // Check:
        _requireOpenMilestone(c, id, index);
        uint256 deadline = _deadline(c.start, c.period, c.grace, index);
        if (block.timestamp < deadline) revert ClaimDeadlineNotReached(id, index, uint64(deadline));

        // Effect:
        _settle(c, index, _SLASHED);
        address beneficiary = c.beneficiary;
        uint256 amount = Schedule.share(c.amount, c.milestones, index);
        emit MilestoneSlashed(id, index, beneficiary, amount);
        _credit(beneficiary, c.token, amount);
    }

    /// @inheritdoc ICommitmentVault
    function cancel(uint256 id) external override nonReentrant {
        CommitmentRecord storage c = _commitments[id];

        // Check:
        _requireOwnerOfLiveCommitment(c, id);
        uint256 start = c.start;
        if (block.timestamp >= start) revert CommitmentAlreadyStarted(id, uint64(start));

        // Effect: nothing can have settled before the first window opened, so the whole stake is refunded.
        c.closed = true;
        uint256 amount = c.amount;
        emit CommitmentCancelled(id, msg.sender, amount);

        // Interaction:
        _pushOrCredit(msg.sender, c.token, amount);
    }

    /// @inheritdoc ICommitmentVault
    function exit(uint256 id) external override nonReentrant {
        CommitmentRecord storage c = _commitments[id];

        // Check:
        _requireOwnerOfLiveCommitment(c, id);
        uint256 pausedAt = _pausedAt;
        if (pausedAt == 0) revert ExitNotAvailable(0);
        // Paused time of the whole chain, so an unpause-and-re-pause cannot push the exit back.
        uint256 availableAt = pausedAt + EXIT_DELAY - _chainPausedSeconds;
        if (block.timestamp < availableAt) revert ExitNotAvailable(uint64(availableAt));

        // Effect: milestones that were already slashable when the pause began go to the beneficiary, as a slash
        // would have sent them; every other open milestone is refunded.
        (uint256 refund, uint256 forfeited) = _settleForExit(c, id);
        c.closed = true;
        address token = c.token;
        if (forfeited != 0) _credit(c.beneficiary, token, forfeited);
        emit CommitmentExited(id, msg.sender, refund);

        // Interaction:
        if (refund != 0) _pushOrCredit(msg.sender, token, refund);
    }

    /// @inheritdoc ICommitmentVault
    function withdraw(address token) external override nonReentrant {
        _withdraw(msg.sender, token);
    }

    /// @inheritdoc ICommitmentVault
    function withdrawFor(address account, address token) external override nonReentrant {
        _withdraw(account, token);
    }

    /*//////////////////////////////////////////////////////////////
                            ADMIN FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICommitmentVault
    function setOracles(address[] calldata oracles_, uint8 threshold_) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        _setOracles(oracles_, threshold_);
    }

    /// @inheritdoc ICommitmentVault
    function setTokenAllowed(address token, bool allowed) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert InvalidToken(token);
        _tokenAllowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc ICommitmentVault
    function pause() external override onlyRole(GUARDIAN_ROLE) {
        uint256 lastUnpausedAt = _lastUnpausedAt;
        // A pause less than PAUSE_RECOVERY after the previous unpause continues that chain: the deadlines the chain
        // covers are all still running, so the cover keeps the chain's first start, and the time already paused
        // keeps counting towards EXIT_DELAY. Otherwise a new chain starts.
        _pause(); // Check: reverts with EnforcedPause when already paused.
        if (lastUnpausedAt == 0 || block.timestamp >= lastUnpausedAt + PAUSE_RECOVERY) {
            _coverStart = uint40(block.timestamp);
            _chainPausedSeconds = 0;
        }
        _pausedAt = uint40(block.timestamp);
    }

    /// @inheritdoc ICommitmentVault
    function unpause() external override onlyRole(GUARDIAN_ROLE) {
        _unpause(); // Check: reverts with ExpectedPause when not paused, so _pausedAt is set below.
        // A chain is at most a few years of pauses: the sum fits 32 bits (136 years).
        _chainPausedSeconds = uint32(_chainPausedSeconds + (block.timestamp - _pausedAt));
        _pausedAt = 0;
        _lastUnpausedAt = uint40(block.timestamp);
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICommitmentVault
    function getCommitment(uint256 id) external view override returns (Commitment memory) {
        CommitmentRecord storage c = _existing(id);
        return
            Commitment({
                owner: c.owner,
                token: c.token,
                amount: c.amount,
                start: c.start,
                period: c.period,
                milestones: c.milestones,
                grace: c.grace,
                beneficiary: c.beneficiary,
                rulesHash: c.rulesHash,
                closed: c.closed
            });
    }

    /// @inheritdoc ICommitmentVault
    function milestoneState(uint256 id, uint256 index) external view override returns (MilestoneState) {
        CommitmentRecord storage c = _existing(id);
        _requireInRange(c, id, index);
        return _stateOf(c, index);
    }

    /// @inheritdoc ICommitmentVault
    function milestoneAmount(uint256 id, uint256 index) external view override returns (uint256) {
        CommitmentRecord storage c = _existing(id);
        _requireInRange(c, id, index);
        return Schedule.share(c.amount, c.milestones, index);
    }

    /// @inheritdoc ICommitmentVault
    function claimDeadline(uint256 id, uint256 index) external view override returns (uint64) {
        CommitmentRecord storage c = _existing(id);
        _requireInRange(c, id, index);
        return uint64(_deadline(c.start, c.period, c.grace, index));
    }

    /// @inheritdoc ICommitmentVault
    function credits(address account, address token) external view override returns (uint256) {
        return _credits[account][token];
    }

    /// @inheritdoc ICommitmentVault
    function hashAttestation(
        uint256 id,
        uint256 index,
        bytes32 evidenceHash,
        uint64 validUntil
    ) external view override returns (bytes32) {
        return _attestationDigest(id, index, _existing(id).rulesHash, evidenceHash, validUntil);
    }

    /// @inheritdoc ICommitmentVault
    function oracles() external view override returns (address[] memory) {
        return _oracleList;
    }

    /// @inheritdoc ICommitmentVault
    function threshold() external view override returns (uint8) {
        return _threshold;
    }

    /// @inheritdoc ICommitmentVault
    function isTokenAllowed(address token) external view override returns (bool) {
        return _tokenAllowed[token];
    }

    /// @inheritdoc ICommitmentVault
    function commitmentCount() external view override returns (uint256) {
        return _lastId;
    }

    /// @inheritdoc ICommitmentVault
    function pauseState()
        external
        view
        override
        returns (uint64 pausedAt, uint64 coverStart, uint64 lastUnpausedAt, uint64 chainPausedSeconds)
    {
        return (_pausedAt, _coverStart, _lastUnpausedAt, _chainPausedSeconds);
    }

    /*//////////////////////////////////////////////////////////////
                           PRIVATE: CREATION
    //////////////////////////////////////////////////////////////*/

    function _validate(CommitmentParams calldata p) private view {
        if (p.amount == 0) revert ZeroAmount();
        uint256 latest = block.timestamp + MAX_START_DELAY;
        if (p.start < block.timestamp || p.start > latest) {
            revert InvalidStart(p.start, uint64(block.timestamp), uint64(latest));
        }
        if (p.period < MIN_PERIOD || p.period > MAX_PERIOD) revert InvalidPeriod(p.period);
        if (p.milestones == 0 || p.milestones > MAX_MILESTONES) revert InvalidMilestoneCount(p.milestones);
        if (p.grace > MAX_GRACE) revert InvalidGrace(p.grace);
        if (p.beneficiary == address(0) || p.beneficiary == msg.sender || p.beneficiary == address(this)) {
            revert InvalidBeneficiary(p.beneficiary);
        }
        if (p.rulesHash == bytes32(0)) revert InvalidRulesHash();
    }

    function _store(CommitmentParams calldata p) private returns (uint256 id) {
        // Ids are 1, 2, 3, ...: 2^48 creations cannot happen, so the increment cannot overflow.
        unchecked {
            id = uint256(_lastId) + 1;
        }
        _lastId = uint48(id);
        // The narrowing casts are safe: _validate bounded start (< 2^40), grace (< 2^24), milestones (<= 104).
        _commitments[id] = CommitmentRecord({
            owner: msg.sender,
            start: uint40(p.start),
            period: p.period,
            grace: uint24(p.grace),
            token: p.token,
            milestones: uint8(p.milestones),
            closed: false,
            statesHigh: 0,
            beneficiary: p.beneficiary,
            amount: p.amount,
            statesLow: 0,
            rulesHash: p.rulesHash
        });
        emit CommitmentCreated(
            id,
            msg.sender,
            p.token,
            p.amount,
            p.start,
            p.period,
            p.milestones,
            p.grace,
            p.beneficiary,
            p.rulesHash
        );
    }

    /// @dev Pulls `amount` of `token` from the caller and insists the vault's balance grew by exactly that.
    function _pullExact(address token, uint256 amount) private {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = IERC20(token).balanceOf(address(this)) - before;
        if (received != amount) revert TransferAmountMismatch(received, amount);
    }

    /*//////////////////////////////////////////////////////////////
                          PRIVATE: SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    function _existing(uint256 id) private view returns (CommitmentRecord storage c) {
        c = _commitments[id];
        if (c.owner == address(0)) revert CommitmentNotFound(id);
    }

    function _requireInRange(CommitmentRecord storage c, uint256 id, uint256 index) private view {
        uint256 count = c.milestones;
        if (index >= count) revert MilestoneOutOfRange(id, index, uint16(count));
    }

    /// @dev Existence, liveness, range and Open state: the checks shared by claim and slash.
    function _requireOpenMilestone(CommitmentRecord storage c, uint256 id, uint256 index) private view {
        if (c.owner == address(0)) revert CommitmentNotFound(id);
        if (c.closed) revert CommitmentClosed(id);
        _requireInRange(c, id, index);
        uint256 bits = _bitsOf(c, index);
        if (bits != 0) revert MilestoneNotOpen(id, index, MilestoneState(bits));
    }

    function _requireOwnerOfLiveCommitment(CommitmentRecord storage c, uint256 id) private view {
        address commitmentOwner = c.owner;
        if (commitmentOwner == address(0)) revert CommitmentNotFound(id);
        if (commitmentOwner != msg.sender) revert NotCommitmentOwner(id, msg.sender);
        if (c.closed) revert CommitmentClosed(id);
    }

    function _bitsOf(CommitmentRecord storage c, uint256 index) private view returns (uint256) {
        // index < 104 (checked by the caller), so the shifts stay below 128 and 80 bits.
        if (index < _LOW_MILESTONES) return (uint256(c.statesLow) >> (index * 2)) & 3;
        return (uint256(c.statesHigh) >> ((index - _LOW_MILESTONES) * 2)) & 3;
    }

    function _stateOf(CommitmentRecord storage c, uint256 index) private view returns (MilestoneState) {
        uint256 bits = _bitsOf(c, index);
        if (bits == 0 && c.closed) return MilestoneState.Refunded;
        return MilestoneState(bits);
    }

    /// @dev Marks an Open milestone (bits 00) as `code`. OR-ing is enough because the bits are known zero.
    function _settle(CommitmentRecord storage c, uint256 index, uint256 code) private {
        if (index < _LOW_MILESTONES) {
            c.statesLow = uint128(c.statesLow | (code << (index * 2)));
        } else {
            c.statesHigh = uint80(c.statesHigh | (code << ((index - _LOW_MILESTONES) * 2)));
        }
    }

    /// @dev For {exit}: marks Open milestones whose deadline had already passed when the current pause began as
    /// Slashed (returning their sum as `forfeited`) and sums the other Open shares as `refund`. Bounded: at most
    /// MAX_MILESTONES iterations.
    function _settleForExit(
        CommitmentRecord storage c,
        uint256 id
    ) private returns (uint256 refund, uint256 forfeited) {
        uint256 count = c.milestones;
        uint256 amount = c.amount;
        for (uint256 i; i < count; ++i) {
            if (_bitsOf(c, i) != 0) continue;
            uint256 share = Schedule.share(amount, count, i);
            uint256 d = Schedule.baseDeadline(c.start, c.period, c.grace, i);
            if (Schedule.covered(d, _coverStart)) {
                refund += share;
            } else {
                _settle(c, i, _SLASHED);
                forfeited += share;
                emit MilestoneSlashed(id, i, c.beneficiary, share);
            }
        }
    }

    /// @dev The effective claim deadline of milestone `index`, pauses included (see {Schedule-extendForPause}).
    function _deadline(uint256 start, uint256 period, uint256 grace, uint256 index) private view returns (uint256) {
        uint256 d = Schedule.baseDeadline(start, period, grace, index);
        // While paused, the unpause time is unknown; report the deadline as if the vault resumed now.
        uint256 unpausedAt = _pausedAt != 0 ? block.timestamp : _lastUnpausedAt;
        return Schedule.extendForPause(d, _coverStart, unpausedAt, PAUSE_RECOVERY);
    }

    function _attestationDigest(
        uint256 id,
        uint256 index,
        bytes32 rulesHash,
        bytes32 evidenceHash,
        uint64 validUntil
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(ATTESTATION_TYPEHASH, id, index, rulesHash, evidenceHash, validUntil))
            );
    }

    /// @dev Every signature must recover (65 bytes, low s) to a current oracle, signers strictly ascending, and
    /// there must be at least `threshold` of them. Loop bounded by calldata size; a valid set has at most
    /// MAX_ORACLES entries.
    function _verifyQuorum(bytes32 digest, bytes[] calldata signatures) private view {
        uint256 count = signatures.length;
        uint8 quorum = _threshold;
        if (count < quorum) revert InsufficientSignatures(count, quorum);
        address previous;
        for (uint256 i; i < count; ++i) {
            address signer = ECDSA.recoverCalldata(digest, signatures[i]);
            if (signer <= previous) revert SignersNotAscending(i, signer, previous);
            if (!_isOracle[signer]) revert SignerNotOracle(i, signer);
            previous = signer;
        }
    }

    /// @dev Sends `amount` to `to`; if the ETH send or token transfer fails, credits it instead so that no payee
    /// can block a settlement. Reentrancy is excluded by the guard on every state-changing entry point.
    function _pushOrCredit(address to, address token, uint256 amount) private {
        bool ok;
        if (token == address(0)) {
            // PUSH_GAS, not all gas: smart wallets need more than 2,300, but a receiver that burns everything must
            // not make the claim itself run out of gas. No return data is copied.
            uint256 pushGas = PUSH_GAS;
            assembly ("memory-safe") {
                ok := call(pushGas, to, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(token).trySafeTransfer(to, amount);
        }
        if (!ok) _credit(to, token, amount);
    }

    function _credit(address account, address token, uint256 amount) private {
        _credits[account][token] += amount;
        emit Credited(account, token, amount);
    }

    function _withdraw(address account, address token) private {
        // Check:
        uint256 amount = _credits[account][token];
        if (amount == 0) revert NothingToWithdraw(account, token);

        // Effect:
        _credits[account][token] = 0;
        emit Withdrawn(account, token, amount);

        // Interaction: a failed payout reverts the whole call, so the credit is restored.
        bool ok;
        if (token == address(0)) {
            assembly ("memory-safe") {
                ok := call(gas(), account, amount, 0, 0, 0, 0)
            }
        } else {
            ok = IERC20(token).trySafeTransfer(account, amount);
        }
        if (!ok) revert PayoutFailed(account, token, amount);
    }

    /*//////////////////////////////////////////////////////////////
                            PRIVATE: ORACLES
    //////////////////////////////////////////////////////////////*/

    function _setOracles(address[] memory list, uint8 quorum) private {
        uint256 count = list.length;
        if (count == 0 || count > MAX_ORACLES) revert InvalidOracleCount(count, MAX_ORACLES);
        if (quorum == 0 || quorum > count) revert InvalidThreshold(quorum, count);

        // Revoke the old set first, so an oracle that is removed loses its power in this very transaction.
        address[] storage current = _oracleList;
        uint256 oldCount = current.length;
        for (uint256 i; i < oldCount; ++i) {
            _isOracle[current[i]] = false;
        }
        delete _oracleList;

        for (uint256 i; i < count; ++i) {
            address oracle = list[i];
            if (oracle == address(0)) revert ZeroOracle(i);
            if (_isOracle[oracle]) revert DuplicateOracle(oracle);
            _isOracle[oracle] = true;
            _oracleList.push(oracle);
        }
        _threshold = quorum;
        emit OraclesUpdated(list, quorum);
    }
}
