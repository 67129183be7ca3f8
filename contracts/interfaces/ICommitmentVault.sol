// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ICommitmentVault
/// @notice Escrow for fitness commitments: a stake is locked for `milestones` consecutive windows and each
/// window's share is either released to the owner (with an EIP-712 attestation signed by a quorum of oracles)
/// or, once the window's claim deadline has passed, slashed to a beneficiary chosen up front.
/// @dev Time model: window `i` is `[start + i*period, start + (i+1)*period)`. Its claim deadline is
/// `end + grace`, extended by pauses (see {claimDeadline}). Claims are accepted strictly before the deadline,
/// slashes at or after it: the two partition time exactly and each milestone settles once.
interface ICommitmentVault {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What a staker asks for when creating a commitment.
    /// @param token address(0) for native ETH, else an allowlisted ERC-20.
    /// @param amount Total stake, > 0.
    /// @param start First window opens here; `now <= start <= now + 365 days`.
    /// @param period Window length in seconds, `1 hours ..= 366 days`.
    /// @param milestones Number of windows, `1 ..= 104`.
    /// @param grace Seconds after a window closes during which it can still be claimed, `<= 7 days`.
    /// @param beneficiary Receives slashed shares; not zero, not the owner, not the vault.
    /// @param rulesHash keccak256 of the JCS-canonical rules document; non-zero.
    struct CommitmentParams {
        address token;
        uint128 amount;
        uint64 start;
        uint32 period;
        uint16 milestones;
        uint32 grace;
        address beneficiary;
        bytes32 rulesHash;
    }

    /// @notice A commitment as returned by {getCommitment}.
    /// @param closed True once the commitment was cancelled or exited: its open milestones were refunded.
    struct Commitment {
        address owner;
        address token;
        uint128 amount;
        uint64 start;
        uint32 period;
        uint16 milestones;
        uint32 grace;
        address beneficiary;
        bytes32 rulesHash;
        bool closed;
    }

    /// @notice Milestone lifecycle. Allowed moves: Open -> Released | Slashed | Refunded | Appealed and
    /// Appealed -> Released | Slashed | Refunded; nothing else, never back. `Appealed` (v2) is appended last.
    enum MilestoneState {
        Open,
        Released,
        Slashed,
        Refunded,
        Appealed
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted when a stake is locked for a new commitment.
    /// @param id The new commitment's id.
    /// @param owner Who owns the commitment and receives its released shares and refunds.
    /// @param token The stake's token, address(0) for native ETH.
    /// @param amount The whole stake, in the token's base units.
    /// @param start When the first window opens (unix seconds).
    /// @param period Each window's length in seconds.
    /// @param milestones The number of windows.
    /// @param grace Seconds after a window closes during which it can still be claimed.
    /// @param beneficiary Who receives slashed shares.
    /// @param rulesHash keccak256 of the JCS-canonical rules document the oracles verify against.
    event CommitmentCreated(
        uint256 indexed id,
        address indexed owner,
        address indexed token,
        uint128 amount,
        uint64 start,
        uint32 period,
        uint16 milestones,
        uint32 grace,
        address beneficiary,
        bytes32 rulesHash
    );

    /// @notice Emitted when a milestone's share goes to the commitment owner (pushed with PUSH_GAS, or credited if
    /// that failed).
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param owner The commitment's owner, who receives the share.
    /// @param amount The milestone's share.
    /// @param evidenceHash The attested evidence set; zero when an arbiter upheld an appeal.
    event MilestoneReleased(
        uint256 indexed id,
        uint256 indexed index,
        address indexed owner,
        uint256 amount,
        bytes32 evidenceHash
    );

    /// @notice Emitted when a milestone's share is credited to the beneficiary (slash, a dismissed appeal, or a
    /// forfeited milestone on exit).
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param beneficiary Who the share is credited to.
    /// @param amount The milestone's share.
    event MilestoneSlashed(uint256 indexed id, uint256 indexed index, address indexed beneficiary, uint256 amount);

    /// @notice Emitted when the owner cancels before the start; the whole stake is refunded.
    /// @param id The commitment's id.
    /// @param owner The commitment's owner, who receives the refund.
    /// @param refunded The whole stake.
    event CommitmentCancelled(uint256 indexed id, address indexed owner, uint256 refunded);

    /// @notice Emitted when a commitment is exited from a vault paused 30 of the last 31 days (anyone may call
    /// {exit}).
    /// @param id The commitment's id.
    /// @param owner The commitment's owner, who receives the refund.
    /// @param refunded What went back to `owner`: the shares of unsettled milestones and their appeal bonds.
    event CommitmentExited(uint256 indexed id, address indexed owner, uint256 refunded);

    /// @notice Emitted when the owner appeals a milestone and posts the bond (same token as the stake).
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param bond The bond posted: {appealBond} at the time of the appeal.
    event AppealOpened(uint256 indexed id, uint256 indexed index, uint256 bond);

    /// @notice Emitted when the arbiter rules on an appeal.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param upheld True: share and bond went to the owner. False: both went to the beneficiary.
    event AppealResolved(uint256 indexed id, uint256 indexed index, bool upheld);

    /// @notice Emitted when an appeal nobody ruled on within APPEAL_PERIOD of unpaused time is settled: share and bond
    /// go back to the owner.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    event AppealExpired(uint256 indexed id, uint256 indexed index);

    /// @notice Emitted when the guardian pauses the vault (same signature as OpenZeppelin's Pausable).
    /// @param account The guardian who paused.
    event Paused(address account);

    /// @notice Emitted when the guardian unpauses the vault (same signature as OpenZeppelin's Pausable).
    /// @param account The guardian who unpaused.
    event Unpaused(address account);

    /// @notice Emitted when an amount is added to an account's withdrawable credits.
    /// @param account Whose credits grew.
    /// @param token The credits' token, address(0) for native ETH.
    /// @param amount What was added.
    event Credited(address indexed account, address indexed token, uint256 amount);

    /// @notice Emitted when an account's credits in a token are paid out.
    /// @param account Whose credits were paid (and who received them).
    /// @param token The credits' token, address(0) for native ETH.
    /// @param amount What was paid: all of the account's credits in `token`.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice Emitted when the oracle set or quorum changes; signatures of removed oracles are invalid from this
    /// block on.
    /// @param oracles The new oracle set, in the order the admin gave it ({oracles} returns it sorted).
    /// @param threshold The number of distinct oracle signatures a claim needs from now on.
    event OraclesUpdated(address[] oracles, uint8 threshold);

    /// @notice Emitted when a token is added to or removed from the stake allowlist.
    /// @param token The ERC-20.
    /// @param allowed True when it was added, false when it was removed.
    event TokenAllowed(address indexed token, bool allowed);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The ERC-20 `token` is not on the allowlist (or is the zero address where an ERC-20 is required).
    error TokenNotAllowed(address token);
    /// @notice The stake amount is zero (`token` is the stake's token).
    error ZeroAmount(address token);
    /// @notice `start` is before now or more than 365 days ahead.
    error InvalidStart(uint64 start, uint64 earliest, uint64 latest);
    /// @notice `period` is outside `1 hours ..= 366 days`.
    error InvalidPeriod(uint32 period);
    /// @notice `milestones` is outside `1 ..= 104`.
    error InvalidMilestoneCount(uint16 milestones);
    /// @notice `grace` exceeds 7 days.
    error InvalidGrace(uint32 grace);
    /// @notice The beneficiary is zero, the owner, or the vault itself.
    error InvalidBeneficiary(address beneficiary);
    /// @notice `rulesHash` is zero.
    error InvalidRulesHash(bytes32 rulesHash);
    /// @notice The owner of a commitment created with {createCommitmentFor} is the zero address or the vault.
    error InvalidOwner(address owner);
    /// @notice `msg.value` does not match what the stake requires (the amount for ETH, zero for ERC-20).
    error IncorrectValue(uint256 sent, uint256 expected);
    /// @notice The vault received a different amount than staked (fee-on-transfer or rebasing token).
    error TransferAmountMismatch(uint256 received, uint256 expected);
    /// @notice The token's `transferFrom` lowered the vault's balance instead of raising it.
    error BalanceDecreased(address token, uint256 balanceBefore, uint256 balanceAfter);
    /// @notice No commitment has this id.
    error CommitmentNotFound(uint256 id);
    /// @notice `index` is not below the commitment's milestone count.
    error MilestoneOutOfRange(uint256 id, uint256 index, uint16 milestones);
    /// @notice The milestone already settled (or was refunded).
    error MilestoneNotOpen(uint256 id, uint256 index, MilestoneState state);
    /// @notice The milestone's window has not opened yet.
    error WindowNotOpen(uint256 id, uint256 index, uint64 opensAt);
    /// @notice The claim deadline has passed: the milestone can only be slashed.
    error ClaimDeadlinePassed(uint256 id, uint256 index, uint64 deadline);
    /// @notice The claim deadline has not passed: the milestone cannot be slashed yet.
    error ClaimDeadlineNotReached(uint256 id, uint256 index, uint64 deadline);
    /// @notice The attestation's `validUntil` is in the past.
    error AttestationExpired(uint64 validUntil, uint64 timestamp);
    /// @notice Fewer signatures than the quorum.
    error InsufficientSignatures(uint256 provided, uint8 threshold);
    /// @notice Signature `position` was produced by `signer`, who is not a current oracle.
    error SignerNotOracle(uint256 position, address signer);
    /// @notice Recovered signers must be strictly ascending (this also rules out duplicates).
    error SignersNotAscending(uint256 position, address signer, address previous);
    /// @notice Only the commitment owner may do this.
    error NotCommitmentOwner(uint256 id, address caller);
    /// @notice Cancelling is only possible strictly before the first window opens.
    error CommitmentAlreadyStarted(uint256 id, uint64 start);
    /// @notice The commitment was cancelled or exited.
    error CommitmentClosed(uint256 id);
    /// @notice `exit` needs the vault to be paused and to have been paused `required` seconds (30 days) of the last
    /// 31 days; it has been paused `pausedSeconds` of them.
    error ExitNotAvailable(uint64 pausedSeconds, uint64 required);
    /// @notice The vault is paused (since `pausedAt`): create, claim, slash and appeals wait for the unpause.
    error VaultPaused(uint64 pausedAt);
    /// @notice The vault is not paused (last unpaused at `lastUnpausedAt`, 0 if never paused).
    error VaultNotPaused(uint64 lastUnpausedAt);
    /// @notice A state-changing function was re-entered; `caller` is the inner call's sender.
    error ReentrantCall(address caller);
    /// @notice Signature `position` is not a valid 65-byte low-s ECDSA signature (`reason` is ECDSA.RecoverError,
    /// `detail` its argument: the length or the s value).
    error InvalidSignature(uint256 position, uint8 reason, bytes32 detail);
    /// @notice The milestone's window has not ended yet, so it cannot be appealed (`endsAt`).
    error WindowNotEnded(uint256 id, uint256 index, uint64 endsAt);
    /// @notice The milestone is not `Appealed` (it is `state`).
    error MilestoneNotAppealed(uint256 id, uint256 index, MilestoneState state);
    /// @notice The appeal has not run APPEAL_PERIOD of unpaused time yet: at the earliest at `expiresAt` (if no
    /// further pause happens).
    error AppealPeriodNotOver(uint256 id, uint256 index, uint64 expiresAt);
    /// @notice The allowlist already holds `max` tokens (each stored as an 8-bit index).
    error TooManyTokens(uint256 max);
    /// @notice DEFAULT_ADMIN_ROLE moves only through the delayed two-step transfer, never by grant or revoke.
    error DefaultAdminRulesEnforced(bytes32 role, address account);
    /// @notice An account may only renounce its own roles.
    error RenounceForOtherAccount(address account, address caller);
    /// @notice `account` has no credits in `token`.
    error NothingToWithdraw(address account, address token);
    /// @notice Paying out credits failed; they stay credited.
    error PayoutFailed(address account, address token, uint256 amount);
    /// @notice The oracle set is empty or larger than the maximum.
    error InvalidOracleCount(uint256 count, uint256 max);
    /// @notice The oracle at `position` is the zero address.
    error ZeroOracle(uint256 position);
    /// @notice `oracle` appears twice.
    error DuplicateOracle(address oracle);
    /// @notice `threshold` is zero or larger than the number of oracles.
    error InvalidThreshold(uint8 threshold, uint256 oracleCount);
    /// @notice Native ETH (address(0)) is always allowed and is not on the ERC-20 allowlist.
    error InvalidToken(address token);

    /*//////////////////////////////////////////////////////////////
                           STAKER FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Locks a stake for a new commitment owned by the caller.
    /// @dev Emits a {CommitmentCreated} event.
    ///
    /// Notes:
    /// - Ids start at 1 and increase by one.
    /// - The share of milestone `i` is `amount / milestones`, the last milestone takes the remainder.
    ///
    /// Requirements:
    /// - The vault is not paused.
    /// - Every field of `p` is within the bounds documented on {CommitmentParams}.
    /// - ETH: `msg.value == p.amount`. ERC-20: `msg.value == 0`, token allowlisted, the caller approved at least
    ///   `p.amount`, and the vault's balance grows by exactly `p.amount`.
    /// @param p The commitment's parameters (see {CommitmentParams}).
    /// @return id The new commitment's id.
    function createCommitment(CommitmentParams calldata p) external payable returns (uint256 id);

    /// @notice Like {createCommitment} for an EIP-2612 token, approving through a permit signature.
    /// @dev Emits a {CommitmentCreated} event (and the token's `Approval` and `Transfer` events).
    ///
    /// Notes:
    /// - If the permit call fails (for instance because it was front-run and its nonce is used), creation still
    ///   succeeds when the allowance is already in place.
    ///
    /// Requirements:
    /// - Same as {createCommitment} for an ERC-20; `p.token` is not address(0).
    /// @param p The commitment's parameters (see {CommitmentParams}).
    /// @param permitDeadline The permit's deadline (unix seconds), as signed.
    /// @param v The permit signature's recovery byte.
    /// @param r The permit signature's `r`.
    /// @param s The permit signature's `s`.
    /// @return id The new commitment's id.
    function createCommitmentWithPermit(
        CommitmentParams calldata p,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 id);

    /// @notice Releases milestone `index` of commitment `id` to its owner, on the strength of a quorum of
    /// oracle signatures over `MilestoneAttestation(id, index, rulesHash, evidenceHash, validUntil)`.
    /// @dev Emits a {MilestoneReleased} event, and a {Credited} event when the payout had to be credited.
    ///
    /// Notes:
    /// - Anyone may submit. The share is pushed to the owner; if the ETH send or token transfer fails, it is
    ///   credited to the owner instead. `rulesHash` comes from storage, never from the caller.
    /// - A late quorum may also claim an Appealed milestone; its bond goes back to the owner with the share.
    ///
    /// Requirements:
    /// - The vault is not paused; the commitment exists and is not closed; `index < milestones`.
    /// - The milestone's window has opened, and the milestone is Open with `block.timestamp < claimDeadline(id,
    ///   index)`, or Appealed (no deadline).
    /// - `block.timestamp <= validUntil`.
    /// - At least `threshold` signatures, each by a current oracle, recovered signers strictly ascending,
    ///   65-byte low-s ECDSA only.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param evidenceHash The evidence set the oracles attested (see {hashAttestation}).
    /// @param validUntil The last timestamp at which the attestation is accepted.
    /// @param signatures The oracles' 65-byte signatures over {hashAttestation}, ordered by signer address.
    function claimMilestone(
        uint256 id,
        uint256 index,
        bytes32 evidenceHash,
        uint64 validUntil,
        bytes[] calldata signatures
    ) external;

    /// @notice Slashes milestone `index` of commitment `id`: its share is credited to the beneficiary.
    /// @dev Emits a {MilestoneSlashed} event and a {Credited} event.
    ///
    /// Notes:
    /// - Anyone may call (the agent's keeper does).
    ///
    /// Requirements:
    /// - The vault is not paused; the commitment exists and is not closed; `index < milestones`.
    /// - The milestone is Open and `block.timestamp >= claimDeadline(id, index)`.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    function slash(uint256 id, uint256 index) external;

    /// @notice Cancels a commitment before it starts and refunds the whole stake to its owner.
    /// @dev Emits a {CommitmentCancelled} event, and a {Credited} event when the refund had to be credited.
    ///
    /// Requirements:
    /// - The caller is the owner; the commitment is not closed; `block.timestamp < start`.
    /// @param id The commitment's id.
    function cancel(uint256 id) external;

    /// @notice Escape hatch from a vault the guardian keeps paused: once {exitAvailable} (paused now, and paused at
    /// least 30 of the last 31 days), anyone may exit any commitment. Open milestones whose claim deadline had
    /// passed before the current pause began are credited to the beneficiary (state Slashed, as a slash would have);
    /// every other unsettled milestone, Appealed ones with their bond, is refunded to the owner (state Refunded,
    /// pushed, credited if the push fails). Closes the commitment.
    /// @dev Emits a {MilestoneSlashed} event per forfeited milestone and one {Credited} event for their sum, then a
    /// {CommitmentExited} event with the refund (and a {Credited} event when the refund had to be credited).
    ///
    /// Notes:
    /// - Bounded: at most 104 milestones.
    ///
    /// Requirements:
    /// - The commitment exists and is not closed.
    /// - {exitAvailable} is true.
    /// @param id The commitment's id.
    function exit(uint256 id) external;

    /// @notice Creates a commitment that `owner` owns, funded by the caller (a gift, or a challenge pool joining
    /// a participant): ETH from `msg.value`, an ERC-20 pulled from the caller. Every payout goes to `owner`.
    /// @dev Emits a {CommitmentCreated} event.
    ///
    /// Requirements:
    /// - As {createCommitment}, with the beneficiary checked against `owner` (it may be the caller).
    /// - `owner` is not zero and not the vault.
    /// @param owner Who owns the commitment and receives its payouts.
    /// @param p The commitment's parameters (see {CommitmentParams}).
    /// @return id The new commitment's id.
    function createCommitmentFor(address owner, CommitmentParams calldata p) external payable returns (uint256 id);

    /// @notice The owner contests milestone `index` (oracles wrong or gone): posts {appealBond} and takes the
    /// milestone out of the slash path until the arbiter rules, a late quorum claims it, or the appeal expires.
    /// @dev Emits an {AppealOpened} event.
    ///
    /// Notes:
    /// - ETH bond as `msg.value`, an ERC-20 bond pulled from the owner (exact amount).
    ///
    /// Requirements:
    /// - The vault is not paused; the commitment exists and is not closed; `index < milestones`.
    /// - The caller is the owner; the milestone is Open; its window has ended; `block.timestamp < claimDeadline`.
    /// - ETH: `msg.value == appealBond(id, index)`; ERC-20: `msg.value == 0`.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    function appeal(uint256 id, uint256 index) external payable;

    /// @notice The arbiter rules on an appeal. `upheld`: share and bond to the owner (pushed), state Released.
    /// Otherwise share and bond are credited to the beneficiary, state Slashed.
    /// @dev Emits an {AppealResolved} event, then a {MilestoneReleased} event (upheld) or a {MilestoneSlashed}
    /// event and a {Credited} event (dismissed).
    ///
    /// Requirements:
    /// - The caller holds ARBITER_ROLE; the vault is not paused; the milestone is Appealed.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param upheld True to side with the owner, false to side with the beneficiary.
    function resolveAppeal(uint256 id, uint256 index, bool upheld) external;

    /// @notice Anyone settles an appeal nobody ruled on: share and bond go back to the owner, state Refunded.
    /// @dev Emits an {AppealExpired} event, and a {Credited} event when the payout had to be credited.
    ///
    /// Requirements:
    /// - The vault is not paused; the milestone is Appealed.
    /// - APPEAL_PERIOD (14 days) of unpaused time has passed since the appeal.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    function expireAppeal(uint256 id, uint256 index) external;

    /// @notice Pays the caller's credits in `token` (address(0) for ETH) to the caller.
    /// @dev Emits a {Withdrawn} event.
    ///
    /// Requirements:
    /// - The caller has credits in `token`; the transfer succeeds (else it reverts and nothing changes).
    /// @param token The credits' token, address(0) for native ETH.
    function withdraw(address token) external;

    /// @notice Pays `account`'s credits in `token` to `account`; anyone may call.
    /// @dev Emits a {Withdrawn} event.
    ///
    /// Requirements:
    /// - `account` has credits in `token`; the transfer succeeds (else it reverts and nothing changes).
    /// @param account Whose credits are paid, to itself.
    /// @param token The credits' token, address(0) for native ETH.
    function withdrawFor(address account, address token) external;

    /*//////////////////////////////////////////////////////////////
                            ADMIN FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Replaces the oracle set and the quorum.
    /// @dev Emits an {OraclesUpdated} event.
    ///
    /// Notes:
    /// - Removed oracles lose their power at once, including over signatures already issued.
    ///
    /// Requirements:
    /// - The caller holds DEFAULT_ADMIN_ROLE.
    /// - `1 <= oracles_.length <= MAX_ORACLES`; no zero address; no duplicates; `1 <= threshold_ <= length`.
    /// @param oracles_ The new oracle set, in any order.
    /// @param threshold_ The number of distinct oracle signatures a claim needs.
    function setOracles(address[] calldata oracles_, uint8 threshold_) external;

    /// @notice Adds an ERC-20 to, or removes it from, the stake allowlist. Existing commitments are unaffected.
    /// @dev Emits a {TokenAllowed} event.
    ///
    /// Notes:
    /// - A token gets an 8-bit index the first time it is listed and keeps it (commitments store the index).
    ///
    /// Requirements:
    /// - The caller holds DEFAULT_ADMIN_ROLE; `token` is not address(0); fewer than MAX_TOKENS (255) tokens were ever
    ///   listed, or `token` already was.
    /// @param token The ERC-20.
    /// @param allowed True to allow new stakes in `token`, false to stop them.
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Stops create, claim, slash and appeals. Grace (and the appeal period) only runs while the vault is
    /// not paused, so a pause extends each running deadline by the paused time it overlaps, plus at most
    /// UNPAUSE_CLAIM_TIME (1 hour) so the owner can always claim after the unpause (see {claimDeadline}).
    /// @dev Emits a {Paused} event.
    ///
    /// Notes:
    /// - Each pause appends one record to a log that claims read by binary search (O(log pauses)), and only when the
    ///   last unpause came after the milestone's window ended or less than UNPAUSE_CLAIM_TIME before its deadline:
    ///   the usual claim and slash read no record.
    ///
    /// Requirements:
    /// - The caller holds GUARDIAN_ROLE; the vault is not paused.
    function pause() external;

    /// @notice Resumes create, claim, slash and appeals.
    /// @dev Emits an {Unpaused} event.
    ///
    /// Requirements:
    /// - The caller holds GUARDIAN_ROLE; the vault is paused.
    function unpause() external;

    /// @notice Whether the vault is paused.
    /// @return True while the vault is paused.
    function paused() external view returns (bool);

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice The commitment `id`. Reverts with {CommitmentNotFound} if it does not exist.
    /// @param id The commitment's id.
    /// @return The commitment as stored (see {Commitment}).
    function getCommitment(uint256 id) external view returns (Commitment memory);

    /// @notice State of milestone `index` of commitment `id`.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @return The milestone's state; Refunded for the unsettled milestones of a closed commitment.
    function milestoneState(uint256 id, uint256 index) external view returns (MilestoneState);

    /// @notice The share of milestone `index`: `amount / milestones`, the last one takes the remainder.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @return The milestone's share, in the stake's token.
    function milestoneAmount(uint256 id, uint256 index) external view returns (uint256);

    /// @notice The first timestamp at which milestone `index` can no longer be claimed (and can be slashed).
    /// @dev With `end = start + (index + 1) * period`: the earliest `T` such that the unpaused time in `[end, T)`
    /// equals `grace` (no pause: `end + grace`). If a pause that began before that deadline leaves under
    /// UNPAUSE_CLAIM_TIME of unpaused claim time after its unpause `u` (it ended less than that before the deadline,
    /// in the grace or still inside the window, or the deadline fell inside it), the deadline is
    /// `u + UNPAUSE_CLAIM_TIME` (pauses applied in order, later ones on top). Deadlines an unpause leaves at least
    /// UNPAUSE_CLAIM_TIME of claim time before, and commitments created after it, are not moved. While the vault
    /// is paused a deadline the pause overlaps is not known yet; the value returned assumes an unpause right now.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @return The claim deadline (unix seconds).
    function claimDeadline(uint256 id, uint256 index) external view returns (uint64);

    /// @notice Withdrawable credits of `account` in `token` (address(0) for ETH).
    /// @param account Whose credits.
    /// @param token The credits' token, address(0) for native ETH.
    /// @return The amount {withdraw} would pay.
    function credits(address account, address token) external view returns (uint256);

    /// @notice The EIP-712 digest the oracles sign for this milestone (rulesHash read from storage).
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @param evidenceHash The evidence set the oracles attest.
    /// @param validUntil The last timestamp at which the attestation is accepted.
    /// @return The digest of `MilestoneAttestation(id, index, rulesHash, evidenceHash, validUntil)`.
    function hashAttestation(
        uint256 id,
        uint256 index,
        bytes32 evidenceHash,
        uint64 validUntil
    ) external view returns (bytes32);

    /// @notice The current oracle set, sorted ascending by address (it is stored as an immutable code blob that claims
    /// with two or more signatures read in one `EXTCODECOPY`).
    /// @return The oracles' addresses, ascending.
    function oracles() external view returns (address[] memory);

    /// @notice The number of distinct oracle signatures a claim needs.
    /// @return The quorum.
    function threshold() external view returns (uint8);

    /// @notice Whether `token` is on the ERC-20 allowlist.
    /// @param token The ERC-20.
    /// @return True when new stakes in `token` are accepted.
    function isTokenAllowed(address token) external view returns (bool);

    /// @notice The last commitment id issued (0 before the first).
    /// @return The number of commitments created so far.
    function commitmentCount() external view returns (uint256);

    /// @notice Pause bookkeeping of the vault.
    /// @return pausedAt When the current pause began (0 if not paused).
    /// @return lastUnpausedAt When the vault was last unpaused (0 if never).
    /// @return pausedSeconds The seconds paused before the current pause (all pauses summed).
    /// @return pauses How many pauses began.
    function pauseState()
        external
        view
        returns (uint64 pausedAt, uint64 lastUnpausedAt, uint64 pausedSeconds, uint64 pauses);

    /// @notice All milestone states of commitment `id`, two bits each (Open..Refunded = 0..3; Appealed reads as
    /// Open here, {milestoneState} gives the exact one).
    /// @param id The commitment's id.
    /// @return packedLow Milestones 0..63, milestone i at bits 2i+1..2i.
    /// @return packedHigh Milestones 64..103, milestone i at bits 2(i-64)+1..2(i-64).
    function milestoneStates(uint256 id) external view returns (uint256 packedLow, uint256 packedHigh);

    /// @notice The bond an appeal of milestone `index` posts: `milestoneAmount / 10`, at least 1.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @return The bond, in the stake's token.
    function appealBond(uint256 id, uint256 index) external view returns (uint256);

    /// @notice When milestone `index` was appealed and the bond posted. Kept after the appeal settles.
    /// @param id The commitment's id.
    /// @param index The milestone's index, from 0.
    /// @return appealedAt When the appeal was made (unix seconds; 0 if it never was).
    /// @return bond The bond posted (0 if it never was).
    function appealOf(uint256 id, uint256 index) external view returns (uint64 appealedAt, uint128 bond);

    /// @notice True while the vault is paused and has been paused at least 30 of the last 31 days: {exit} is open.
    /// @return Whether {exit} is available.
    function exitAvailable() external view returns (bool);
}
