// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IChallengePool
/// @notice StepBet-style challenges on top of the CommitmentVault: many people join one challenge with the same
/// stake, rules and schedule. Each participant's stake is their own vault commitment (owner = participant,
/// beneficiary = this pool), so they claim their milestones from the vault and get their stake back week by week.
/// Missed milestones are slashed to the pool; once every participant is settled, the finishers (every milestone
/// Released) split that pot equally, minus a fee of at most 10 %.
/// @dev No function loops over participants: every step is O(1) or O(milestones of one participant). The pool's
/// holdings in a token are its own balance plus its credits at the vault; per token it tracks what it owes
/// (`liabilities`: counted pots not yet paid plus its own credits) and pays a challenge only from that challenge's
/// counted pot, so two challenges in one token never pay from each other's pots.
interface IChallengePool {
    /*//////////////////////////////////////////////////////////////
                                 TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What a challenge creator chooses; every participant's commitment gets these terms.
    /// @param token address(0) for native ETH, else an ERC-20 on the vault's allowlist.
    /// @param stake Each participant's stake, > 0.
    /// @param start First window opens here; `joinDeadline <= start <= now + 365 days`.
    /// @param period Window length in seconds, `1 hours ..= 366 days`.
    /// @param milestones Number of windows, `1 ..= 104`.
    /// @param grace Seconds after a window closes during which it can still be claimed, `<= 7 days`.
    /// @param rulesHash keccak256 of the canonical rules document; non-zero.
    /// @param joinDeadline Joins are accepted strictly before it; `now < joinDeadline <= start`.
    /// @param maxParticipants `2 ..= 10,000`.
    /// @param feeBps Fee on the pot of slashed shares (never on a finisher's own stake), `<= 1,000` (10 %).
    /// @param feeRecipient Receives the fee and the rounding dust; not zero, not the pool.
    /// @param fallbackBeneficiary Receives the pot when nobody finishes; not zero, not the pool.
    // The field order is the published ABI (PRODUCT.md, exact interface), so it is not re-packed for storage.
    // solhint-disable-next-line gas-struct-packing
    struct ChallengeParams {
        address token;
        uint128 stake;
        uint64 start;
        uint32 period;
        uint16 milestones;
        uint32 grace;
        bytes32 rulesHash;
        uint64 joinDeadline;
        uint32 maxParticipants;
        uint16 feeBps;
        address feeRecipient;
        address fallbackBeneficiary;
    }

    /// @notice Where a participant stands. Allowed moves: None -> Joined -> Out | Finished, Finished -> Claimed;
    /// nothing else, never back.
    /// @dev Out covers both a participant who lost shares and one who got shares refunded (cancelled before the
    /// start, exited from a long-paused vault, or an appeal nobody ruled on): only an all-Released record finishes.
    enum Status {
        None,
        Joined,
        Out,
        Finished,
        Claimed
    }

    /*//////////////////////////////////////////////////////////////
                                 EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Challenge `challengeId` was created by `creator`.
    /// @param challengeId The new challenge's id (ids start at 1).
    /// @param creator The caller of {createChallenge}.
    event ChallengeCreated(uint256 indexed challengeId, address indexed creator);

    /// @notice `participant` joined challenge `challengeId`; their stake is vault commitment `commitmentId`.
    /// @param challengeId The challenge.
    /// @param participant The new participant (owner of the commitment).
    /// @param commitmentId The participant's commitment in the vault.
    event Joined(uint256 indexed challengeId, address indexed participant, uint256 commitmentId);

    /// @notice `participant`'s milestones were all settled and counted.
    /// @param challengeId The challenge.
    /// @param participant The participant.
    /// @param finished True if every milestone was Released.
    /// @param lost The participant's slashed shares, added to the challenge's pot.
    event ParticipantSettled(uint256 indexed challengeId, address indexed participant, bool finished, uint256 lost);

    /// @notice A finisher claimed their winnings.
    /// @param challengeId The challenge.
    /// @param participant The finisher (the caller).
    /// @param amount What was paid: `pot * (10000 - feeBps) / 10000 / finishers`.
    event WinningsClaimed(uint256 indexed challengeId, address indexed participant, uint256 amount);

    /// @notice The last participant of challenge `challengeId` was settled: the split is final.
    /// @param challengeId The challenge.
    /// @param pot The sum of every participant's slashed shares.
    /// @param finishers How many participants finished.
    /// @param winningsEach What each finisher may claim.
    /// @param remainderRecipient feeRecipient, or fallbackBeneficiary when nobody finished.
    /// @param remainder What `remainderRecipient` was credited: fee plus rounding dust, or the whole pot.
    event ChallengeClosed(
        uint256 indexed challengeId,
        uint256 pot,
        uint32 finishers,
        uint256 winningsEach,
        address indexed remainderRecipient,
        uint256 remainder
    );

    /// @notice `amount` of `token` was credited to `account` in the pool (fee, dust, or a pot nobody won).
    /// @param account Who may withdraw it.
    /// @param token address(0) for ETH.
    /// @param amount The amount credited.
    event Credited(address indexed account, address indexed token, uint256 amount);

    /// @notice Pool credits of `account` in `token` were paid out.
    /// @param account The payee.
    /// @param token address(0) for ETH.
    /// @param amount The amount paid.
    event Withdrawn(address indexed account, address indexed token, uint256 amount);

    /// @notice The admin swept `amount` of `token` the pool holds beyond what it owes (for instance lost appeal bonds,
    /// which the vault credits to the beneficiary but which are not slashed shares) to `to`.
    /// @param token address(0) for ETH.
    /// @param to The recipient.
    /// @param amount The surplus paid.
    event SurplusSwept(address indexed token, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                 ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The vault address given to the constructor is zero.
    error InvalidVault(address vault);
    /// @notice The ERC-20 `token` is not on the vault's allowlist.
    error TokenNotAllowed(address token);
    /// @notice The stake is zero.
    error InvalidStake(uint128 stake);
    /// @notice `joinDeadline` is not in `(now, start]`.
    error InvalidJoinDeadline(uint64 joinDeadline, uint64 start, uint64 timestamp);
    /// @notice `start` is more than 365 days ahead (`latest`), so the vault would refuse every join.
    error InvalidStart(uint64 start, uint64 latest);
    /// @notice `period` is outside `1 hours ..= 366 days`, `milestones` outside `1 ..= 104` or `grace` above 7 days.
    error InvalidSchedule(uint32 period, uint16 milestones, uint32 grace);
    /// @notice `rulesHash` is zero.
    error InvalidRulesHash(bytes32 rulesHash);
    /// @notice `maxParticipants` is outside `2 ..= 10,000`.
    error InvalidMaxParticipants(uint32 maxParticipants);
    /// @notice `feeBps` exceeds `maxFeeBps` (1,000).
    error InvalidFee(uint16 feeBps, uint16 maxFeeBps);
    /// @notice The fee recipient is zero or the pool.
    error InvalidFeeRecipient(address feeRecipient);
    /// @notice The fallback beneficiary is zero or the pool.
    error InvalidFallbackBeneficiary(address fallbackBeneficiary);
    /// @notice No challenge has this id.
    error ChallengeNotFound(uint256 challengeId);
    /// @notice Joins closed at `joinDeadline`.
    error JoinClosed(uint256 challengeId, uint64 joinDeadline);
    /// @notice The challenge already has `maxParticipants` participants.
    error ChallengeFull(uint256 challengeId, uint32 maxParticipants);
    /// @notice `participant` already joined (as commitment `commitmentId`).
    error AlreadyJoined(uint256 challengeId, address participant, uint256 commitmentId);
    /// @notice `msg.value` is not what the join needs (the stake for ETH, zero for an ERC-20).
    error IncorrectValue(uint256 sent, uint256 expected);
    /// @notice The pool received a different amount than the stake (fee-on-transfer or rebasing token).
    error TransferAmountMismatch(uint256 received, uint256 expected);
    /// @notice {joinWithPermit} on an ETH challenge.
    error PermitOnNativeToken(uint256 challengeId);
    /// @notice Participants are settled once joins have closed (`joinDeadline`).
    error JoinPeriodNotOver(uint256 challengeId, uint64 joinDeadline);
    /// @notice `participant` never joined challenge `challengeId`.
    error NotParticipant(uint256 challengeId, address participant);
    /// @notice `participant` was already settled (its status is `status`).
    error AlreadySettled(uint256 challengeId, address participant, Status status);
    /// @notice Milestone `index` of `participant`'s commitment is still Open or Appealed.
    error MilestoneUnsettled(uint256 challengeId, address participant, uint256 index);
    /// @notice Only `settled` of `participants` are settled: winnings are not final yet.
    error ChallengeNotSettled(uint256 challengeId, uint32 settled, uint32 participants);
    /// @notice `caller` is not a finisher of challenge `challengeId` (its status is `status`).
    error NotFinisher(uint256 challengeId, address caller, Status status);
    /// @notice `participant` already claimed their winnings.
    error AlreadyClaimed(uint256 challengeId, address participant);
    /// @notice `account` has no pool credits in `token`.
    error NothingToWithdraw(address account, address token);
    /// @notice The pool holds `held` of `token` (balance plus vault credits) and owes `owed`: nothing to sweep.
    error NoSurplus(address token, uint256 held, uint256 owed);
    /// @notice A sweep to the zero address.
    error InvalidRecipient(address to);
    /// @notice Sending `amount` ETH to `to` failed (the call reverts and nothing changes).
    error EtherTransferFailed(address to, uint256 amount);
    /// @notice Only the vault sends ETH to the pool (its withdrawals); `sender` is someone else.
    error UnexpectedEther(address sender);
    /// @notice A state-changing function was re-entered; `caller` is the inner call's sender.
    error ReentrantCall(address caller);

    /*//////////////////////////////////////////////////////////////
                           PARTICIPANT FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Creates a challenge anyone may join until `p.joinDeadline`.
    /// @dev Notes: ids start at 1 and increase by one. The parameters are checked against the vault's bounds now so
    /// that a challenge cannot be created that no one could join.
    ///
    /// Requirements:
    /// - `p.token` is address(0) or on the vault's allowlist; `p.stake > 0`.
    /// - `now < p.joinDeadline <= p.start <= now + 365 days`.
    /// - `1 hours <= p.period <= 366 days`, `1 <= p.milestones <= 104`, `p.grace <= 7 days`, `p.rulesHash != 0`.
    /// - `2 <= p.maxParticipants <= 10,000`, `p.feeBps <= 1,000`.
    /// - `p.feeRecipient` and `p.fallbackBeneficiary` are neither zero nor the pool.
    ///
    /// Emits a {ChallengeCreated} event.
    /// @param p The challenge's terms.
    /// @return challengeId The new challenge's id.
    function createChallenge(ChallengeParams calldata p) external returns (uint256 challengeId);

    /// @notice Joins challenge `challengeId`: the caller's stake becomes a vault commitment owned by the caller with
    /// the challenge's terms and this pool as beneficiary.
    /// @dev Notes: ETH arrives as `msg.value`; an ERC-20 stake is pulled from the caller (who approved the pool), must
    /// arrive in full, and is approved to the vault for exactly the stake, which the vault pulls at once.
    ///
    /// Requirements:
    /// - The challenge exists, `block.timestamp < joinDeadline`, it has fewer than `maxParticipants` participants.
    /// - The caller has not joined it before.
    /// - ETH: `msg.value == stake`. ERC-20: `msg.value == 0` and the pool's balance grows by exactly `stake`.
    /// - The vault accepts the commitment (not paused, token still allowlisted).
    ///
    /// Emits a {Joined} event (and the vault's {CommitmentCreated}).
    /// @param challengeId The challenge to join.
    /// @return commitmentId The caller's commitment in the vault.
    function join(uint256 challengeId) external payable returns (uint256 commitmentId);

    /// @notice Like {join} for an EIP-2612 token, approving the pool through a permit signature.
    /// @dev Notes: if the permit call fails (front-run, nonce used) the join still succeeds when the allowance is
    /// already there; if it is not, the pull reverts with the token's own error.
    ///
    /// Requirements:
    /// - As {join} for an ERC-20; the challenge's token is not ETH.
    ///
    /// Emits a {Joined} event.
    /// @param challengeId The challenge to join.
    /// @param permitDeadline The permit's deadline.
    /// @param v The permit signature's v.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    /// @return commitmentId The caller's commitment in the vault.
    function joinWithPermit(
        uint256 challengeId,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 commitmentId);

    /// @notice Counts `participant`'s result: reads every milestone state of their commitment at once
    /// (`milestoneStates`), adds their slashed shares to the pot and records them as finished (every milestone
    /// Released) or out. Settling the last participant closes the challenge: the fee and rounding dust (or, with no
    /// finisher, the whole pot) are credited in the pool to feeRecipient (or fallbackBeneficiary).
    /// @dev Notes: anyone may call (a keeper does). O(milestones). Refunded milestones (cancel before the start, exit
    /// from a long-paused vault, an appeal nobody ruled on) are neither won nor lost: the participant is out but adds
    /// nothing to the pot. Slashed shares use the vault's share formula: `stake / milestones`, the last takes the
    /// remainder.
    ///
    /// Requirements:
    /// - The challenge exists and `block.timestamp >= joinDeadline`.
    /// - `participant` joined and was not settled.
    /// - Every milestone of their commitment is Released, Slashed or Refunded (none Open or Appealed).
    ///
    /// Emits a {ParticipantSettled} event; for the last participant also {ChallengeClosed} (and {Credited} when
    /// there is a remainder).
    /// @param challengeId The challenge.
    /// @param participant The participant to settle.
    function settleParticipant(uint256 challengeId, address participant) external;

    /// @notice Pays the caller, a finisher, `pot * (10000 - feeBps) / 10000 / finishers`.
    /// @dev Notes: pulls the pool's credits from the vault first when its own balance does not cover the payment.
    /// The payment reverts (and nothing changes) if the caller cannot receive it.
    ///
    /// Requirements:
    /// - The caller finished challenge `challengeId` and has not claimed.
    /// - Every participant is settled.
    ///
    /// Emits a {WinningsClaimed} event.
    /// @param challengeId The challenge.
    function claimWinnings(uint256 challengeId) external;

    /// @notice Pays the caller's pool credits in `token` (fee, dust, or a pot nobody won).
    /// @dev Requirements:
    /// - The caller has pool credits in `token`; the payment succeeds (else it reverts and nothing changes).
    ///
    /// Emits a {Withdrawn} event.
    /// @param token address(0) for ETH.
    function withdraw(address token) external;

    /// @notice Pays `account`'s pool credits in `token` to `account`; anyone may call (for a recipient contract that
    /// cannot call {withdraw} itself).
    /// @dev Requirements:
    /// - `account` has pool credits in `token`; the payment succeeds.
    ///
    /// Emits a {Withdrawn} event.
    /// @param account The payee.
    /// @param token address(0) for ETH.
    function withdrawFor(address account, address token) external;

    /*//////////////////////////////////////////////////////////////
                            ADMIN FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Sends what the pool holds in `token` beyond what it owes to `to`: lost appeal bonds (the vault credits a
    /// rejected appeal's bond to the beneficiary, but the pot only counts slashed shares), donations, forced ETH.
    /// @dev Notes: never touches counted pots or credits: after the sweep, balance + vault credits == liabilities.
    ///
    /// Requirements:
    /// - The caller is the owner (the constructor's `admin`, moved with Ownable2Step).
    /// - `to` is not zero; the pool holds more than it owes.
    ///
    /// Emits a {SurplusSwept} event.
    /// @param token address(0) for ETH.
    /// @param to The recipient.
    function sweepSurplus(address token, address to) external;

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @notice Challenge `challengeId`: its terms and standing. Reverts with {ChallengeNotFound} if it does not exist.
    /// @param challengeId The challenge.
    /// @return p The terms.
    /// @return participants How many joined.
    /// @return settled How many are settled.
    /// @return finishers How many of the settled finished.
    /// @return pot The slashed shares counted so far.
    function challenge(
        uint256 challengeId
    )
        external
        view
        returns (ChallengeParams memory p, uint32 participants, uint32 settled, uint32 finishers, uint256 pot);

    /// @notice `participant`'s commitment in challenge `challengeId` (0 if they did not join).
    /// @param challengeId The challenge.
    /// @param participant The participant.
    /// @return commitmentId Their commitment in the vault.
    function commitmentOf(uint256 challengeId, address participant) external view returns (uint256 commitmentId);

    /// @notice What `participant` can claim now: the per-finisher winnings once every participant is settled, 0 for
    /// anyone else, before that, or after the claim.
    /// @param challengeId The challenge.
    /// @param participant The participant.
    /// @return The amount {claimWinnings} would pay them now.
    function winningsOf(uint256 challengeId, address participant) external view returns (uint256);

    /// @notice `participant`'s status in challenge `challengeId`.
    /// @param challengeId The challenge.
    /// @param participant The participant.
    /// @return Their {Status} (None if they never joined).
    function statusOf(uint256 challengeId, address participant) external view returns (Status);

    /// @notice Pool credits of `account` in `token`.
    /// @param account The account.
    /// @param token address(0) for ETH.
    /// @return What {withdraw} would pay `account`.
    function credits(address account, address token) external view returns (uint256);

    /// @notice What the pool owes in `token`: counted pots not yet paid out plus pool credits.
    /// @param token address(0) for ETH.
    /// @return The pool's liabilities in `token`; its balance plus its vault credits always cover them.
    function liabilities(address token) external view returns (uint256);

    /// @notice The last challenge id issued (0 before the first).
    /// @return The number of challenges created so far.
    function challengeCount() external view returns (uint256);

    /// @notice The vault the pool stakes into.
    /// @return The CommitmentVault's address, fixed at construction.
    function vault() external view returns (address);
}
