// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {ICommitmentVault} from "../interfaces/ICommitmentVault.sol";
import {Schedule} from "../libraries/Schedule.sol";

/// @title CommitmentVaultState
/// @notice Storage of the vault, its bit layout, and the pause log with the deadline arithmetic built on it. The
/// entry points live in {CommitmentVault}; this contract only holds state and reads it (Sablier's
/// `SablierLockupState` shape).
/// @dev Every packed word is read once per call and unpacked in place (see docs/gas.md for the measured reasons).
abstract contract CommitmentVaultState {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                               CONSTANTS
    //////////////////////////////////////////////////////////////*/

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
    /// @notice Claim time an owner keeps after an unpause when a pause swallowed (or nearly swallowed) the grace.
    uint256 public constant UNPAUSE_CLAIM_TIME = 1 hours;
    /// @notice {exit} opens while paused once the vault was paused this long within the last EXIT_WINDOW.
    uint256 public constant EXIT_PAUSED_TIME = 30 days;
    /// @notice The sliding window EXIT_PAUSED_TIME is measured in.
    uint256 public constant EXIT_WINDOW = 31 days;
    /// @notice Unpaused time after an appeal from which anyone may expire it (owner made whole).
    uint256 public constant APPEAL_PERIOD = 14 days;
    /// @notice Largest oracle set.
    uint256 public constant MAX_ORACLES = 16;
    /// @notice Gas forwarded with an ETH payout to an owner: ample for smart wallets, bounded so a receiver that
    /// burns all it gets cannot make a claim need millions of gas (a failed push is credited instead).
    uint256 public constant PUSH_GAS = 100_000;
    /// @notice Allowlisted ERC-20s are stored by an 8-bit index (0 is native ETH).
    uint256 public constant MAX_TOKENS = 255;

    /*//////////////////////////////////////////////////////////////
                              BIT LAYOUT
    //////////////////////////////////////////////////////////////*/

    // Commitment word 0: owner [0,160) | start [160,194) | period [194,219) | grace [219,239) |
    //                    milestones [239,246) | token index [246,254) | closed [254]
    uint256 internal constant _W0_START = 160;
    uint256 internal constant _W0_PERIOD = 194;
    uint256 internal constant _W0_GRACE = 219;
    uint256 internal constant _W0_MILESTONES = 239;
    uint256 internal constant _W0_TOKEN = 246;
    uint256 internal constant _W0_CLOSED = 254;
    uint256 internal constant _MASK_START = (1 << 34) - 1; // 2^34 s: until the year 2514
    uint256 internal constant _MASK_PERIOD = (1 << 25) - 1; // >= 366 days
    uint256 internal constant _MASK_GRACE = (1 << 20) - 1; // >= 7 days
    uint256 internal constant _MASK_MILESTONES = (1 << 7) - 1; // >= 104
    // Commitment word 1: beneficiary [0,160) | states of milestones 64..103 [160,240)
    // Commitment word 2: amount [0,128) | states of milestones 0..63 [128,256)
    uint256 internal constant _W1_STATES = 160;
    uint256 internal constant _W2_STATES = 128;
    uint256 internal constant _LOW_MILESTONES = 64;
    /// @dev 2-bit milestone codes. 00 Open (Refunded when the commitment is closed), 01 Released, 10 Slashed,
    /// 11 Appealed (Refunded once the appeal expired or the commitment closed).
    uint256 internal constant _RELEASED = 1;
    uint256 internal constant _SLASHED = 2;
    uint256 internal constant _APPEALED = 3;

    // Globals word: oracle blob [0,160) | last id [160,200) | threshold [200,208) | paused [208] |
    //               oracle count [209,216) | last unpaused at [216,256)
    uint256 internal constant _G_LAST_ID = 160;
    uint256 internal constant _G_THRESHOLD = 200;
    uint256 internal constant _G_PAUSED = 208;
    uint256 internal constant _G_ORACLES = 209;
    uint256 internal constant _G_UNPAUSED_AT = 216;
    uint256 internal constant _MASK_40 = (1 << 40) - 1;
    uint256 internal constant _MASK_64 = (1 << 64) - 1;
    uint256 internal constant _MASK_128 = (1 << 128) - 1;
    uint256 internal constant _MASK_160 = (1 << 160) - 1;

    // Pause info word: paused at [0,40) | pause count [40,72) | paused seconds of ended pauses [72,136)
    uint256 internal constant _P_COUNT = 40;
    uint256 internal constant _P_TOTAL = 72;
    // Pause record k: start [0,40) | end [40,80) (0 while ongoing) | paused seconds before it [80,144) |
    //                 first pause of its run [144,176) | last pause of the run (kept on the run's first) [176,208)
    uint256 internal constant _R_END = 40;
    uint256 internal constant _R_BEFORE = 80;
    uint256 internal constant _R_RUN = 144;
    uint256 internal constant _R_RUN_LAST = 176;
    uint256 internal constant _MASK_32 = (1 << 32) - 1;

    // Appeal word: appealed at [0,40) | paused seconds before it [40,104) | bond [104,232) | expired [232]
    uint256 internal constant _A_BEFORE = 40;
    uint256 internal constant _A_BOND = 104;
    uint256 internal constant _A_EXPIRED = 232;

    /*//////////////////////////////////////////////////////////////
                                STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One commitment in four slots, each written once at creation from a precomputed word.
    struct Record {
        uint256 w0;
        uint256 w1;
        uint256 w2;
        bytes32 rulesHash;
    }

    /// @dev Read by every create, claim and slash: one cold SLOAD gives the pause flag, the id counter, the
    /// quorum and the oracle blob.
    uint256 internal _globals;
    /// @dev Read only when a pause matters (pause, unpause, exit, slow deadlines, appeals).
    uint256 internal _pauseInfo;

    mapping(uint256 id => Record) internal _records;
    mapping(address account => mapping(address token => uint256 amount)) internal _credits;
    /// @dev token => index [0,8) | allowed [8]. Index 0 means "never listed".
    mapping(address token => uint256 info) internal _tokenInfo;
    /// @dev index (1..MAX_TOKENS) => token. Index 0 is native ETH.
    mapping(uint256 index => address token) internal _tokenAt;
    uint256 internal _tokenCount;
    mapping(address oracle => bool current) internal _isOracle;
    /// @dev Pause records, append-only (index 0..count-1).
    mapping(uint256 k => uint256 record) internal _pauses;
    /// @dev (id << 8 | index) => appeal word.
    mapping(uint256 key => uint256 appeal) internal _appeals;

    /*//////////////////////////////////////////////////////////////
                           RECORD HELPERS
    //////////////////////////////////////////////////////////////*/

    function _owner(uint256 w0) internal pure returns (address) {
        return address(uint160(w0));
    }

    function _milestones(uint256 w0) internal pure returns (uint256) {
        return (w0 >> _W0_MILESTONES) & _MASK_MILESTONES;
    }

    function _closed(uint256 w0) internal pure returns (bool) {
        return (w0 >> _W0_CLOSED) & 1 == 1;
    }

    /// @dev Start of window `index`.
    function _opensAt(uint256 w0, uint256 index) internal pure returns (uint256) {
        return Schedule.windowStart((w0 >> _W0_START) & _MASK_START, (w0 >> _W0_PERIOD) & _MASK_PERIOD, index);
    }

    /// @dev End of window `index` (where its grace starts).
    function _endOf(uint256 w0, uint256 index) internal pure returns (uint256) {
        return Schedule.windowStart((w0 >> _W0_START) & _MASK_START, (w0 >> _W0_PERIOD) & _MASK_PERIOD, index + 1);
    }

    function _graceOf(uint256 w0) internal pure returns (uint256) {
        return (w0 >> _W0_GRACE) & _MASK_GRACE;
    }

    function _token(uint256 w0) internal view returns (address) {
        uint256 index = (w0 >> _W0_TOKEN) & 0xff;
        return index == 0 ? address(0) : _tokenAt[index];
    }

    function _existing(uint256 id) internal view returns (uint256 w0) {
        w0 = _records[id].w0;
        if (w0 == 0) revert ICommitmentVault.CommitmentNotFound(id);
    }

    function _requireInRange(uint256 w0, uint256 id, uint256 index) internal pure {
        uint256 count = _milestones(w0);
        if (index >= count) revert ICommitmentVault.MilestoneOutOfRange(id, index, uint16(count));
    }

    /// @dev The state bits of milestone `index` and the word holding them (w2 below 64, w1 from 64 on).
    function _bitsOf(Record storage c, uint256 index) internal view returns (uint256) {
        // index < 104 (checked by the caller), so the shifts stay within the 256-bit words.
        if (index < _LOW_MILESTONES) return (c.w2 >> (_W2_STATES + index * 2)) & 3;
        return (c.w1 >> (_W1_STATES + (index - _LOW_MILESTONES) * 2)) & 3;
    }

    /// @dev The exact state of a milestone from its bits and the commitment's `closed` flag.
    function _stateOf(
        Record storage c,
        uint256 w0,
        uint256 id,
        uint256 index
    ) internal view returns (ICommitmentVault.MilestoneState) {
        uint256 bits = _bitsOf(c, index);
        if (bits == 0) {
            return _closed(w0) ? ICommitmentVault.MilestoneState.Refunded : ICommitmentVault.MilestoneState.Open;
        }
        if (bits == _APPEALED) {
            if (_closed(w0) || (_appeals[_appealKey(id, index)] >> _A_EXPIRED) & 1 == 1) {
                return ICommitmentVault.MilestoneState.Refunded;
            }
            return ICommitmentVault.MilestoneState.Appealed;
        }
        return ICommitmentVault.MilestoneState(bits);
    }

    /// @dev Sets the 2-bit state of milestone `index` to `code` (whatever it was).
    function _setBits(Record storage c, uint256 index, uint256 code) internal {
        if (index < _LOW_MILESTONES) {
            uint256 shift = _W2_STATES + index * 2;
            c.w2 = (c.w2 & ~(uint256(3) << shift)) | (code << shift);
        } else {
            uint256 shift = _W1_STATES + (index - _LOW_MILESTONES) * 2;
            c.w1 = (c.w1 & ~(uint256(3) << shift)) | (code << shift);
        }
    }

    function _appealKey(uint256 id, uint256 index) internal pure returns (uint256) {
        return (id << 8) | index;
    }

    /*//////////////////////////////////////////////////////////////
                         PAUSE LOG AND DEADLINES
    //////////////////////////////////////////////////////////////*/

    function _isPaused(uint256 g) internal pure returns (bool) {
        return (g >> _G_PAUSED) & 1 == 1;
    }

    /// @dev Reverts with {VaultPaused} when `g` says the vault is paused.
    function _requireNotPaused(uint256 g) internal view {
        if (_isPaused(g)) revert ICommitmentVault.VaultPaused(uint64(_pauseInfo & _MASK_40));
    }

    /// @dev End of pause record `r` (now for the ongoing pause).
    function _recordEnd(uint256 r) internal view returns (uint256 end) {
        end = (r >> _R_END) & _MASK_40;
        if (end == 0) end = block.timestamp;
    }

    /// @dev "Unpaused clock" reading at the start of pause record `r`: start minus the seconds paused before it.
    function _clockAt(uint256 r) internal pure returns (uint256) {
        return (r & _MASK_40) - ((r >> _R_BEFORE) & _MASK_64);
    }

    /// @dev Number of pause records whose start is < `t` (binary search, O(log pauses)).
    function _countStartedBefore(uint256 t, uint256 n) internal view returns (uint256 lo) {
        uint256 hi = n;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (_pauses[mid] & _MASK_40 < t) lo = mid + 1;
            else hi = mid;
        }
    }

    /// @dev Number of pause records whose unpaused-clock reading is < `target` (the readings never decrease).
    function _countClockBelow(uint256 target, uint256 n) internal view returns (uint256 lo) {
        uint256 hi = n;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            if (_clockAt(_pauses[mid]) < target) lo = mid + 1;
            else hi = mid;
        }
    }

    /// @dev Seconds the vault was paused before time `t` (the ongoing pause counts up to now).
    function _pausedBefore(uint256 t, uint256 n) internal view returns (uint256) {
        uint256 k = _countStartedBefore(t, n);
        if (k == 0) return 0;
        uint256 r = _pauses[k - 1];
        uint256 end = _recordEnd(r);
        return ((r >> _R_BEFORE) & _MASK_64) + (t < end ? t : end) - (r & _MASK_40);
    }

    /// @dev The claim deadline of a window ending at `end` with `grace` (see {claimDeadline}). `g` is the globals
    /// word the caller already read. O(1) unless a pause ended after `end` or less than UNPAUSE_CLAIM_TIME before
    /// `end + grace` (or is ongoing).
    function _deadline(uint256 end, uint256 grace, uint256 g) internal view returns (uint256) {
        // Fast path: the last unpause (so every unpause) came no later than the window's end, so no pause overlaps
        // its grace, and at least UNPAUSE_CLAIM_TIME before `end + grace`, so no unpause floor applies (the unpaused
        // time from an earlier unpause to the deadline is never less than from the last one).
        uint256 deadline;
        bool fast;
        // No overflow: lastUnpausedAt < 2^40, end < 2^35 and grace < 2^20.
        unchecked {
            uint256 lastUnpausedAt = g >> _G_UNPAUSED_AT;
            deadline = end + grace;
            fast = !_isPaused(g) && lastUnpausedAt <= end && lastUnpausedAt + UNPAUSE_CLAIM_TIME <= deadline;
        }
        return fast ? deadline : _deadlineSlow(end, grace);
    }

    /// @dev In "unpaused clock" time U(t) = t - pausedBefore(t) the grace simply ends at U(end) + grace, and a
    /// pause's clock reading is that of its start and of its unpause alike. Applied pause by pause in order, every
    /// pause that began before the running deadline ("affecting") guarantees UNPAUSE_CLAIM_TIME of unpaused claim
    /// time after its unpause: the deadline is at least its reading + UNPAUSE_CLAIM_TIME. That floor binds only
    /// when the pause ended less than UNPAUSE_CLAIM_TIME of unpaused time before the running deadline (in the
    /// grace, in the window's last hour with a short grace, or with the deadline inside the pause). Pauses less
    /// than UNPAUSE_CLAIM_TIME apart form a run: once a floor binds, the next pause of its run began before the
    /// raised deadline and raises it again, up to the run's last pause. A run's floor never reaches the next run
    /// (they are at least UNPAUSE_CLAIM_TIME apart) and earlier pauses have lower floors, so only the run of the
    /// last pause that began before the deadline matters. Its last pause is stored on the run's first record: two
    /// binary searches and a few reads, whatever the number of pauses.
    function _deadlineSlow(uint256 end, uint256 grace) internal view returns (uint256) {
        uint256 n = (_pauseInfo >> _P_COUNT) & _MASK_32;
        // Paused seconds before `end`, and the pause that began before `end` and ended at or after it (if any). One
        // that ends exactly at `end` counts too: with zero grace its clock reading equals the target, and leaving it
        // out would convert back to real time through an earlier pause and give a deadline before `end`.
        uint256 started = _countStartedBefore(end, n);
        uint256 pausedBeforeEnd;
        uint256 containing; // index + 1, 0 for none
        if (started != 0) {
            uint256 r = _pauses[started - 1];
            uint256 rEnd = _recordEnd(r);
            pausedBeforeEnd = ((r >> _R_BEFORE) & _MASK_64) + (end < rEnd ? end : rEnd) - (r & _MASK_40);
            if (rEnd >= end) containing = started;
        }
        uint256 target = end - pausedBeforeEnd + grace;
        // The last pause that began before the deadline. With zero grace, a pause containing `end` began before a
        // deadline equal to `end`, though its clock reading equals the target.
        uint256 k = _countClockBelow(target, n);
        if (containing > k) k = containing;
        if (k == 0) return target;
        uint256 rk = _pauses[k - 1];
        // The floor of its run. It binds whenever the run goes on after pause k - 1 (the next pause began at or
        // after the target, less than UNPAUSE_CLAIM_TIME after k - 1's reading), else only if k - 1 itself left
        // under UNPAUSE_CLAIM_TIME of claim time.
        uint256 last = (_pauses[(rk >> _R_RUN) & _MASK_32] >> _R_RUN_LAST) & _MASK_32;
        uint256 rl = last == k - 1 ? rk : _pauses[last];
        uint256 floor = _clockAt(rl) + UNPAUSE_CLAIM_TIME;
        if (floor > target) {
            target = floor;
            rk = rl;
        }
        // Back to real time: add the seconds paused up to the end of that pause.
        return target + ((rk >> _R_BEFORE) & _MASK_64) + _recordEnd(rk) - (rk & _MASK_40);
    }

    /// @dev Seconds the vault was paused within the last EXIT_WINDOW (the ongoing pause counts up to now).
    function _pausedInExitWindow() internal view returns (uint256) {
        uint256 info = _pauseInfo;
        uint256 n = (info >> _P_COUNT) & _MASK_32;
        uint256 total = (info >> _P_TOTAL) & _MASK_64;
        if (_isPaused(_globals)) total += block.timestamp - (info & _MASK_40);
        uint256 from = block.timestamp > EXIT_WINDOW ? block.timestamp - EXIT_WINDOW : 0;
        return total - _pausedBefore(from, n);
    }

    /*//////////////////////////////////////////////////////////////
                        SHARED SETTLEMENT HELPERS
    //////////////////////////////////////////////////////////////*/

    function _requireLive(uint256 w0, uint256 id) internal pure {
        if (w0 == 0) revert ICommitmentVault.CommitmentNotFound(id);
        if (_closed(w0)) revert ICommitmentVault.CommitmentClosed(id);
    }

    function _bond(Record storage c, uint256 w0, uint256 index) internal view returns (uint256 bond) {
        bond = Schedule.share(c.w2 & _MASK_128, _milestones(w0), index) / 10;
        if (bond == 0) bond = 1;
    }

    /// @dev Pulls `amount` of `token` from the caller and insists the vault's balance grew by exactly that.
    function _pullExact(address token, uint256 amount) internal {
        uint256 before = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        uint256 balance = IERC20(token).balanceOf(address(this));
        if (balance < before) revert ICommitmentVault.BalanceDecreased(token, before, balance);
        // balance >= before: no underflow.
        unchecked {
            if (balance - before != amount) revert ICommitmentVault.TransferAmountMismatch(balance - before, amount);
        }
    }

    /// @dev Sends `amount` to `to`; if the ETH send or token transfer fails, credits it instead so that no payee
    /// can block a settlement. Reentrancy is excluded by the flag every state-changing entry point checks.
    function _pushOrCredit(address to, address token, uint256 amount) internal {
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

    function _credit(address account, address token, uint256 amount) internal {
        _credits[account][token] += amount;
        emit ICommitmentVault.Credited(account, token, amount);
    }

    /// @dev The oracle set as immutable code (SSTORE2-style): a STOP byte, then the addresses ascending, 20 bytes
    /// each. A new set deploys a new blob; the old one is simply no longer referenced.
    function _readBlob(address blobAddress, uint256 count) internal view returns (bytes memory blob) {
        uint256 size = count * 20;
        blob = new bytes(size);
        assembly ("memory-safe") {
            extcodecopy(blobAddress, add(blob, 0x20), 1, size)
        }
    }
}
