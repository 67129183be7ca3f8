// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";

import {CommitmentVaultState} from "./abstracts/CommitmentVaultState.sol";
import {CommitmentVaultExtension} from "./CommitmentVaultExtension.sol";
import {ICommitmentVault} from "./interfaces/ICommitmentVault.sol";
import {Schedule} from "./libraries/Schedule.sol";

/// @title CommitmentVault
/// @notice Holds fitness-commitment stakes and settles them milestone by milestone: released to the owner on a
/// quorum of oracle attestations (EIP-712), slashed to the beneficiary once the claim deadline has passed, or, when
/// the owner appeals, ruled on by an arbiter (or refunded if nobody rules).
/// @dev Invariants (test/INVARIANTS.md): per token, balance >= unsettled stake + open appeal bonds + credits; a
/// milestone moves Open -> Released | Slashed | Refunded | Appealed and Appealed -> Released | Slashed | Refunded,
/// once each, never back; claims are accepted strictly before `claimDeadline` (or while Appealed), slashes at or after
/// it. Roles: DEFAULT_ADMIN_ROLE (oracles, allowlist, roles; moved with a 2-day delay, taking GUARDIAN_ROLE along if
/// the outgoing admin held it), GUARDIAN_ROLE (pause), ARBITER_ROLE (appeals; nobody at deployment).
contract CommitmentVault is CommitmentVaultState, ICommitmentVault, EIP712, AccessControlDefaultAdminRules, Multicall {
    using SafeERC20 for IERC20;
    using TransientSlot for *;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice May pause and unpause.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice Rules on appeals. Nobody holds it at deployment; the admin grants it (a multisig in production).
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @notice EIP-712 type hash of the attestation the oracles sign.
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "MilestoneAttestation(uint256 commitmentId,uint256 milestoneIndex,bytes32 rulesHash,bytes32 evidenceHash,uint64 validUntil)"
    );
    /// @notice Delay of a default-admin transfer (AccessControlDefaultAdminRules).
    uint48 public constant ADMIN_TRANSFER_DELAY = 2 days;

    /// @dev Holds the cold paths (appeals, exit, oracle set) that do not fit under EIP-170 beside the hot ones; run
    /// by delegatecall in this contract's storage. Deployed by the constructor, so deploying the vault stays one
    /// transaction with no library linking.
    address private immutable _EXTENSION;

    /// @dev secp256k1 order / 2: larger s values are the malleable twins (EIP-2).
    uint256 private constant _HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @dev Transient slot of the reentrancy flag (keccak256("CommitmentVault.reentrancy") - 1).
    bytes32 private constant _REENTRANCY_SLOT = 0xfca6151753be3259ecb4ee1350915995ee474ccc20e9ca75f3be4b49e45d6687;

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
        address extension = address(new CommitmentVaultExtension());
        _EXTENSION = extension;
        // The extension sets the first oracle set in this contract's storage (the same code as setOracles).
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory reason) = extension.delegatecall(
            abi.encodeCall(ICommitmentVault.setOracles, (oracles_, threshold_))
        );
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(reason, 0x20), mload(reason))
            }
        }
    }

    /// @dev Runs the same call (selector and arguments) in the extension, in this contract's storage, and bubbles a
    /// revert. Only for functions that return nothing; access control and the reentrancy flag are taken here first.
    function _delegate() private {
        address extension = _EXTENSION;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, 0, calldatasize())
            if iszero(delegatecall(gas(), extension, ptr, calldatasize(), 0, 0)) {
                returndatacopy(ptr, 0, returndatasize())
                revert(ptr, returndatasize())
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                             REENTRANCY
    //////////////////////////////////////////////////////////////*/

    /// @dev Takes the transient reentrancy flag for a function that calls out.
    modifier nonReentrant() {
        _requireNotEntered();
        _REENTRANCY_SLOT.asBoolean().tstore(true);
        _;
        _REENTRANCY_SLOT.asBoolean().tstore(false);
    }

    /// @dev Checks the flag without taking it: enough for functions that make no external call (slash).
    function _requireNotEntered() private view {
        if (_REENTRANCY_SLOT.asBoolean().tload()) revert ReentrantCall(msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                           STAKER FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICommitmentVault
    function createCommitment(CommitmentParams calldata p) external payable override returns (uint256 id) {
        return _create(msg.sender, p);
    }

    /// @inheritdoc ICommitmentVault
    function createCommitmentFor(
        address owner_,
        CommitmentParams calldata p
    ) external payable override returns (uint256 id) {
        if (owner_ == address(0) || owner_ == address(this)) revert InvalidOwner(owner_);
        return _create(owner_, p);
    }

    /// @inheritdoc ICommitmentVault
    function createCommitmentWithPermit(
        CommitmentParams calldata p,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external override nonReentrant returns (uint256 id) {
        // Check:
        uint256 g = _globals;
        _requireNotPaused(g);
        if (p.token == address(0)) revert TokenNotAllowed(p.token);

        // Effect:
        id = _storeCommitment(msg.sender, p, g);

        // Interaction: a failed permit (front-run, or a token without one) is fine when the allowance is already
        // there; if it is not, the pull reverts with the token's own error.
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
    ) external override nonReentrant {
        // Check:
        (uint256 w0, uint256 wS, uint256 shift, uint256 bond) = _checkClaim(
            id,
            index,
            evidenceHash,
            validUntil,
            signatures
        );

        // Effect:
        uint256 amount = _release(id, w0, wS, shift, index);
        emit MilestoneReleased(id, index, _owner(w0), amount, evidenceHash);

        // Interaction:
        _pushOrCredit(_owner(w0), _token(w0), amount + bond);
    }

    /// @inheritdoc ICommitmentVault
    function slash(uint256 id, uint256 index) external override {
        // No external call below, so the reentrancy flag is only checked, never written.
        _requireNotEntered();
        uint256 g = _globals;
        Record storage c = _records[id];
        uint256 w0 = c.w0;

        // Check:
        _requireNotPaused(g);
        _requireLive(w0, id);
        _requireInRange(w0, id, index);
        uint256 w1 = c.w1;
        uint256 w2 = c.w2;
        uint256 bits;
        uint256 shift;
        if (index < _LOW_MILESTONES) {
            shift = _W2_STATES + index * 2;
            bits = (w2 >> shift) & 3;
        } else {
            shift = _W1_STATES + (index - _LOW_MILESTONES) * 2;
            bits = (w1 >> shift) & 3;
        }
        if (bits != 0) revert MilestoneNotOpen(id, index, _stateOf(c, w0, id, index));
        uint256 deadline = _deadline(_endOf(w0, index), _graceOf(w0), g);
        if (block.timestamp < deadline) revert ClaimDeadlineNotReached(id, index, uint64(deadline));

        // Effect: the bits are known zero, so OR-ing sets them.
        if (index < _LOW_MILESTONES) c.w2 = w2 | (_SLASHED << shift);
        else c.w1 = w1 | (_SLASHED << shift);
        address beneficiary = address(uint160(w1));
        uint256 amount = Schedule.share(w2 & _MASK_128, _milestones(w0), index);
        emit MilestoneSlashed(id, index, beneficiary, amount);
        _credit(beneficiary, _token(w0), amount);
    }

    /// @inheritdoc ICommitmentVault
    function appeal(uint256, uint256) external payable override nonReentrant {
        _delegate();
    }

    /// @inheritdoc ICommitmentVault
    function resolveAppeal(uint256, uint256, bool) external override onlyRole(ARBITER_ROLE) nonReentrant {
        _delegate();
    }

    /// @inheritdoc ICommitmentVault
    function expireAppeal(uint256, uint256) external override nonReentrant {
        _delegate();
    }

    /// @inheritdoc ICommitmentVault
    function exit(uint256) external override nonReentrant {
        _delegate();
    }

    /// @inheritdoc ICommitmentVault
    function cancel(uint256 id) external override nonReentrant {
        Record storage c = _records[id];
        uint256 w0 = c.w0;

        // Check: existence, then ownership, then liveness (v1 order).
        if (w0 == 0) revert CommitmentNotFound(id);
        if (_owner(w0) != msg.sender) revert NotCommitmentOwner(id, msg.sender);
        if (_closed(w0)) revert CommitmentClosed(id);
        uint256 start = (w0 >> _W0_START) & _MASK_START;
        if (block.timestamp >= start) revert CommitmentAlreadyStarted(id, uint64(start));

        // Effect: nothing can have settled before the first window opened, so the whole stake is refunded.
        c.w0 = w0 | (1 << _W0_CLOSED);
        uint256 amount = c.w2 & _MASK_128;
        emit CommitmentCancelled(id, msg.sender, amount);

        // Interaction:
        _pushOrCredit(msg.sender, _token(w0), amount);
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
    function setOracles(address[] calldata, uint8) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        _delegate();
    }

    /// @inheritdoc ICommitmentVault
    function setTokenAllowed(address token, bool allowed) external override onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert InvalidToken(token);
        uint256 info = _tokenInfo[token];
        uint256 index = info & 0xff;
        if (index == 0) {
            // First listing: the token gets the next 8-bit index, kept for good (existing stakes refer to it).
            index = _tokenCount + 1;
            if (index > MAX_TOKENS) revert TooManyTokens(MAX_TOKENS);
            _tokenCount = index;
            _tokenAt[index] = token;
        }
        _tokenInfo[token] = index | (allowed ? 1 << 8 : 0);
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc ICommitmentVault
    function pause() external override onlyRole(GUARDIAN_ROLE) {
        uint256 g = _globals;
        uint256 info = _pauseInfo;
        // Check:
        if (_isPaused(g)) revert VaultPaused(uint64(info & _MASK_40));

        // Effect: append a pause record. A pause less than UNPAUSE_CLAIM_TIME after the previous unpause joins
        // that pause's run (see {_deadlineSlow}); the run's first record keeps the run's last index.
        uint256 n = (info >> _P_COUNT) & _MASK_32;
        uint256 total = (info >> _P_TOTAL) & _MASK_64;
        uint256 lastUnpausedAt = g >> _G_UNPAUSED_AT;
        uint256 run = n;
        if (n != 0 && block.timestamp < lastUnpausedAt + UNPAUSE_CLAIM_TIME) {
            run = (_pauses[n - 1] >> _R_RUN) & _MASK_32;
            uint256 first = _pauses[run];
            _pauses[run] = (first & ~(_MASK_32 << _R_RUN_LAST)) | (n << _R_RUN_LAST);
        }
        _pauses[n] = block.timestamp | (total << _R_BEFORE) | (run << _R_RUN) | (run == n ? n << _R_RUN_LAST : 0);
        // A pause count beyond 2^32 would take 136 years of one pause per second.
        _pauseInfo = block.timestamp | ((n + 1) << _P_COUNT) | (total << _P_TOTAL);
        _globals = g | (1 << _G_PAUSED);
        emit Paused(msg.sender);
    }

    /// @inheritdoc ICommitmentVault
    function unpause() external override onlyRole(GUARDIAN_ROLE) {
        uint256 g = _globals;
        // Check:
        if (!_isPaused(g)) revert VaultNotPaused(uint64(g >> _G_UNPAUSED_AT));

        // Effect: close the pause record and add its length to the paused total.
        uint256 info = _pauseInfo;
        uint256 n = (info >> _P_COUNT) & _MASK_32;
        uint256 pausedAt = info & _MASK_40;
        _pauses[n - 1] |= block.timestamp << _R_END;
        uint256 total = ((info >> _P_TOTAL) & _MASK_64) + block.timestamp - pausedAt;
        _pauseInfo = (n << _P_COUNT) | (total << _P_TOTAL);
        _globals = (g & ~(uint256(1) << _G_PAUSED) & ((1 << _G_UNPAUSED_AT) - 1)) | (block.timestamp << _G_UNPAUSED_AT);
        emit Unpaused(msg.sender);
    }

    /*//////////////////////////////////////////////////////////////
                        ROLE MANAGEMENT (WRAPPED)
    //////////////////////////////////////////////////////////////*/

    /// @dev Same rule as AccessControlDefaultAdminRules, with an error that carries the role and account.
    function grantRole(bytes32 role, address account) public override {
        if (role == DEFAULT_ADMIN_ROLE) revert DefaultAdminRulesEnforced(role, account);
        super.grantRole(role, account);
    }

    /// @dev Same rule as AccessControlDefaultAdminRules, with an error that carries the role and account.
    function revokeRole(bytes32 role, address account) public override {
        if (role == DEFAULT_ADMIN_ROLE) revert DefaultAdminRulesEnforced(role, account);
        super.revokeRole(role, account);
    }

    /// @dev Same rule as AccessControl, with an error that carries both accounts.
    function renounceRole(bytes32 role, address account) public override {
        if (account != msg.sender) revert RenounceForOtherAccount(account, msg.sender);
        super.renounceRole(role, account);
    }

    /// @dev Guardian handover: when the outgoing admin also guards the vault, the role moves with the admin role,
    /// so a transferred vault is never left with a guardian nobody controls any more. A guardian granted
    /// separately (not the admin) keeps the role.
    function _acceptDefaultAdminTransfer() internal override {
        address previous = defaultAdmin();
        super._acceptDefaultAdminTransfer();
        if (_revokeRole(GUARDIAN_ROLE, previous)) _grantRole(GUARDIAN_ROLE, defaultAdmin());
    }

    /*//////////////////////////////////////////////////////////////
                                 VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ICommitmentVault
    function getCommitment(uint256 id) external view override returns (Commitment memory) {
        uint256 w0 = _existing(id);
        Record storage c = _records[id];
        return
            Commitment({
                owner: _owner(w0),
                token: _token(w0),
                amount: uint128(c.w2),
                start: uint64((w0 >> _W0_START) & _MASK_START),
                period: uint32((w0 >> _W0_PERIOD) & _MASK_PERIOD),
                milestones: uint16(_milestones(w0)),
                grace: uint32(_graceOf(w0)),
                beneficiary: address(uint160(c.w1)),
                rulesHash: c.rulesHash,
                closed: _closed(w0)
            });
    }

    /// @inheritdoc ICommitmentVault
    function milestoneState(uint256 id, uint256 index) external view override returns (MilestoneState) {
        uint256 w0 = _existing(id);
        _requireInRange(w0, id, index);
        return _stateOf(_records[id], w0, id, index);
    }

    /// @inheritdoc ICommitmentVault
    function milestoneStates(uint256 id) external view override returns (uint256 packedLow, uint256 packedHigh) {
        uint256 w0 = _existing(id);
        Record storage c = _records[id];
        uint256 count = _milestones(w0);
        for (uint256 i; i < count; ++i) {
            MilestoneState state = _stateOf(c, w0, id, i);
            uint256 code = state == MilestoneState.Appealed ? 0 : uint256(state);
            if (i < _LOW_MILESTONES) packedLow |= code << (2 * i);
            else packedHigh |= code << (2 * (i - _LOW_MILESTONES));
        }
    }

    /// @inheritdoc ICommitmentVault
    function milestoneAmount(uint256 id, uint256 index) external view override returns (uint256) {
        uint256 w0 = _existing(id);
        _requireInRange(w0, id, index);
        return Schedule.share(_records[id].w2 & _MASK_128, _milestones(w0), index);
    }

    /// @inheritdoc ICommitmentVault
    function appealBond(uint256 id, uint256 index) external view override returns (uint256) {
        uint256 w0 = _existing(id);
        _requireInRange(w0, id, index);
        return _bond(_records[id], w0, index);
    }

    /// @inheritdoc ICommitmentVault
    function appealOf(uint256 id, uint256 index) external view override returns (uint64 appealedAt, uint128 bond) {
        uint256 a = _appeals[_appealKey(id, index)];
        return (uint64(a & _MASK_40), uint128((a >> _A_BOND) & _MASK_128));
    }

    /// @inheritdoc ICommitmentVault
    function claimDeadline(uint256 id, uint256 index) external view override returns (uint64) {
        uint256 w0 = _existing(id);
        _requireInRange(w0, id, index);
        return uint64(_deadline(_endOf(w0, index), _graceOf(w0), _globals));
    }

    /// @inheritdoc ICommitmentVault
    function exitAvailable() external view override returns (bool) {
        return _isPaused(_globals) && _pausedInExitWindow() >= EXIT_PAUSED_TIME;
    }

    /// @inheritdoc ICommitmentVault
    function paused() external view override returns (bool) {
        return _isPaused(_globals);
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
        _existing(id);
        return _attestationDigest(id, index, _records[id].rulesHash, evidenceHash, validUntil);
    }

    /// @inheritdoc ICommitmentVault
    function oracles() external view override returns (address[] memory list) {
        uint256 g = _globals;
        uint256 count = (g >> _G_ORACLES) & 0x7f;
        bytes memory blob = _readBlob(address(uint160(g)), count);
        list = new address[](count);
        for (uint256 i; i < count; ++i) {
            address oracle;
            assembly ("memory-safe") {
                oracle := shr(96, mload(add(add(blob, 0x20), mul(i, 20))))
            }
            list[i] = oracle;
        }
    }

    /// @inheritdoc ICommitmentVault
    function threshold() external view override returns (uint8) {
        return uint8(_globals >> _G_THRESHOLD);
    }

    /// @inheritdoc ICommitmentVault
    function isTokenAllowed(address token) external view override returns (bool) {
        return (_tokenInfo[token] >> 8) & 1 == 1;
    }

    /// @inheritdoc ICommitmentVault
    function commitmentCount() external view override returns (uint256) {
        return (_globals >> _G_LAST_ID) & _MASK_40;
    }

    /// @inheritdoc ICommitmentVault
    function pauseState()
        external
        view
        override
        returns (uint64 pausedAt, uint64 lastUnpausedAt, uint64 pausedSeconds, uint64 pauses)
    {
        uint256 info = _pauseInfo;
        return (
            uint64(info & _MASK_40),
            uint64(_globals >> _G_UNPAUSED_AT),
            uint64((info >> _P_TOTAL) & _MASK_64),
            uint64((info >> _P_COUNT) & _MASK_32)
        );
    }

    /*//////////////////////////////////////////////////////////////
                           PRIVATE: CREATION
    //////////////////////////////////////////////////////////////*/

    /// @dev createCommitment / createCommitmentFor. An ETH stake makes no external call, so it only checks the
    /// reentrancy flag; an ERC-20 stake takes it around the pull.
    function _create(address owner_, CommitmentParams calldata p) private returns (uint256 id) {
        _requireNotEntered();
        uint256 g = _globals;
        // Check:
        _requireNotPaused(g);
        if (p.token == address(0)) {
            if (msg.value != p.amount) revert IncorrectValue(msg.value, p.amount);
            return _storeCommitment(owner_, p, g);
        }
        if (msg.value != 0) revert IncorrectValue(msg.value, 0);
        _REENTRANCY_SLOT.asBoolean().tstore(true);
        id = _storeCommitment(owner_, p, g);
        // Interaction:
        _pullExact(p.token, p.amount);
        _REENTRANCY_SLOT.asBoolean().tstore(false);
    }

    /// @dev Validates `p` (the pause was checked by the caller), writes the four slots from precomputed words and
    /// emits. The caller pulls an ERC-20 stake afterwards.
    function _storeCommitment(address owner_, CommitmentParams calldata p, uint256 g) private returns (uint256 id) {
        // Check:
        uint256 tokenIndex;
        if (p.token != address(0)) {
            uint256 info = _tokenInfo[p.token];
            if ((info >> 8) & 1 == 0) revert TokenNotAllowed(p.token);
            tokenIndex = info & 0xff;
        }
        if (p.amount == 0) revert ZeroAmount(p.token);
        uint256 latest = block.timestamp + MAX_START_DELAY;
        if (p.start < block.timestamp || p.start > latest) {
            revert InvalidStart(p.start, uint64(block.timestamp), uint64(latest));
        }
        if (p.period < MIN_PERIOD || p.period > MAX_PERIOD) revert InvalidPeriod(p.period);
        if (p.milestones == 0 || p.milestones > MAX_MILESTONES) revert InvalidMilestoneCount(p.milestones);
        if (p.grace > MAX_GRACE) revert InvalidGrace(p.grace);
        if (p.beneficiary == address(0) || p.beneficiary == owner_ || p.beneficiary == address(this)) {
            revert InvalidBeneficiary(p.beneficiary);
        }
        if (p.rulesHash == bytes32(0)) revert InvalidRulesHash(p.rulesHash);

        // Effect: ids are 1, 2, 3, ...; 2^40 creations cannot happen, so the increment cannot overflow its field.
        id = ((g >> _G_LAST_ID) & _MASK_40) + 1;
        _globals = (g & ~(_MASK_40 << _G_LAST_ID)) | (id << _G_LAST_ID);
        // The fields fit their widths: validated above (start < 2^34 until 2514, period < 2^25, grace < 2^20,
        // milestones < 2^7, token index < 2^8).
        Record storage c = _records[id];
        c.w0 =
            uint256(uint160(owner_)) |
            (uint256(p.start) << _W0_START) |
            (uint256(p.period) << _W0_PERIOD) |
            (uint256(p.grace) << _W0_GRACE) |
            (uint256(p.milestones) << _W0_MILESTONES) |
            (tokenIndex << _W0_TOKEN);
        c.w1 = uint256(uint160(p.beneficiary));
        c.w2 = p.amount;
        c.rulesHash = p.rulesHash;
        // The event's non-indexed fields (amount .. rulesHash) are, in order and ABI-encoded, exactly words 1..7 of
        // `p` in calldata, each already validated by the reads above: copy them instead of re-encoding.
        bytes32 topic = CommitmentCreated.selector;
        address token = p.token;
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, add(p, 0x20), 0xe0)
            log4(m, 0xe0, topic, id, owner_, token)
        }
    }

    /*//////////////////////////////////////////////////////////////
                          PRIVATE: SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @dev The checks of claimMilestone before the attestation: not paused, live, in range, window open, and either
    /// Open before the deadline or Appealed (a late quorum may settle an appeal). Returns the word holding the
    /// milestone's state bits, their position, and the bond to return (Appealed only).
    function _claimable(
        Record storage c,
        uint256 g,
        uint256 w0,
        uint256 id,
        uint256 index
    ) private view returns (uint256 wS, uint256 shift, uint256 bond) {
        _requireNotPaused(g);
        _requireLive(w0, id);
        _requireInRange(w0, id, index);
        if (index < _LOW_MILESTONES) {
            wS = c.w2;
            shift = _W2_STATES + index * 2;
        } else {
            wS = c.w1;
            shift = _W1_STATES + (index - _LOW_MILESTONES) * 2;
        }
        uint256 opensAt = _opensAt(w0, index);
        if (block.timestamp < opensAt) revert WindowNotOpen(id, index, uint64(opensAt));
        if ((wS >> shift) & 3 == 0) {
            uint256 deadline = _deadline(_endOf(w0, index), _graceOf(w0), g);
            if (block.timestamp >= deadline) revert ClaimDeadlinePassed(id, index, uint64(deadline));
        } else {
            MilestoneState state = _stateOf(c, w0, id, index);
            if (state != MilestoneState.Appealed) revert MilestoneNotOpen(id, index, state);
            bond = (_appeals[_appealKey(id, index)] >> _A_BOND) & _MASK_128;
        }
    }

    /// @dev Every check of claimMilestone, the quorum last. Returns what the effect needs (see {_claimable}).
    function _checkClaim(
        uint256 id,
        uint256 index,
        bytes32 evidenceHash,
        uint64 validUntil,
        bytes[] calldata signatures
    ) private view returns (uint256 w0, uint256 wS, uint256 shift, uint256 bond) {
        uint256 g = _globals;
        Record storage c = _records[id];
        w0 = c.w0;
        (wS, shift, bond) = _claimable(c, g, w0, id, index);
        if (block.timestamp > validUntil) revert AttestationExpired(validUntil, uint64(block.timestamp));
        _verifyQuorum(g, _attestationDigest(id, index, c.rulesHash, evidenceHash, validUntil), signatures);
    }

    /// @dev Marks the milestone Released with one write of the state word already read; returns its share.
    function _release(
        uint256 id,
        uint256 w0,
        uint256 wS,
        uint256 shift,
        uint256 index
    ) private returns (uint256 amount) {
        Record storage c = _records[id];
        uint256 updated = (wS & ~(uint256(3) << shift)) | (_RELEASED << shift);
        if (index < _LOW_MILESTONES) {
            c.w2 = updated;
            amount = wS & _MASK_128;
        } else {
            c.w1 = updated;
            amount = c.w2 & _MASK_128;
        }
        amount = Schedule.share(amount, _milestones(w0), index);
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
    /// there must be at least `threshold` of them. One signature checks the membership mapping (one SLOAD); two
    /// or more read the sorted oracle blob once and walk it alongside the ascending signers.
    function _verifyQuorum(uint256 g, bytes32 digest, bytes[] calldata signatures) private view {
        uint256 count = signatures.length;
        uint8 quorum = uint8(g >> _G_THRESHOLD);
        if (count < quorum) revert InsufficientSignatures(count, quorum);
        if (count == 1) {
            address signer = _recover(digest, signatures[0], 0);
            if (!_isOracle[signer]) revert SignerNotOracle(0, signer);
            return;
        }
        // The sorted oracle blob, copied once into fresh memory (plus a word of slack: each read loads 32 bytes).
        uint256 oracleCount = (g >> _G_ORACLES) & 0x7f;
        uint256 blob;
        assembly ("memory-safe") {
            blob := mload(0x40)
            let size := mul(oracleCount, 20)
            mstore(0x40, add(blob, add(size, 0x20)))
            extcodecopy(and(g, _MASK_160), blob, 1, size)
        }
        address previous;
        uint256 j;
        for (uint256 i; i < count; ++i) {
            address signer = _recover(digest, signatures[i], i);
            if (signer <= previous) revert SignersNotAscending(i, signer, previous);
            address oracle;
            // Both lists ascend: skip the oracles below the signer; the next one must be the signer.
            while (j < oracleCount) {
                assembly ("memory-safe") {
                    oracle := shr(96, mload(add(blob, mul(j, 20))))
                }
                if (oracle >= signer) break;
                ++j;
            }
            if (oracle != signer) revert SignerNotOracle(i, signer);
            ++j;
            previous = signer;
        }
    }

    /// @dev ECDSA recovery with OpenZeppelin's rules (65 bytes, s in the lower half order, no zero signer) and
    /// the same error codes (ECDSA.RecoverError), reported with the signature's position. The precompile is called
    /// directly with the inputs at the free memory pointer (not allocated: nothing else runs in between).
    function _recover(
        bytes32 digest,
        bytes calldata signature,
        uint256 position
    ) private view returns (address signer) {
        if (signature.length != 65) {
            revert InvalidSignature(
                position,
                uint8(ECDSA.RecoverError.InvalidSignatureLength),
                bytes32(signature.length)
            );
        }
        bytes32 s;
        assembly ("memory-safe") {
            s := calldataload(add(signature.offset, 0x20))
        }
        if (uint256(s) > _HALF_ORDER) {
            revert InvalidSignature(position, uint8(ECDSA.RecoverError.InvalidSignatureS), s);
        }
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, digest)
            mstore(add(m, 0x20), byte(0, calldataload(add(signature.offset, 0x40))))
            mstore(add(m, 0x40), calldataload(signature.offset))
            mstore(add(m, 0x60), s)
            mstore(0x00, 0)
            pop(staticcall(gas(), 0x01, m, 0x80, 0x00, 0x20))
            signer := mload(0x00)
        }
        if (signer == address(0)) revert InvalidSignature(position, uint8(ECDSA.RecoverError.InvalidSignature), 0);
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
}
