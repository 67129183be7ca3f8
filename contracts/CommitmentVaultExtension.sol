// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {CommitmentVaultState} from "./abstracts/CommitmentVaultState.sol";
import {ICommitmentVault} from "./interfaces/ICommitmentVault.sol";
import {Schedule} from "./libraries/Schedule.sol";

/// @title CommitmentVaultExtension
/// @notice The vault's cold paths: appeals, exit and replacing the oracle set. {CommitmentVault} runs them by
/// delegatecall, in its own storage and after its own access checks (ARBITER_ROLE, DEFAULT_ADMIN_ROLE) and reentrancy
/// flag, so the vault stays under the EIP-170 size limit without trading away the hot paths' gas.
/// @dev Called directly (not by delegatecall from the vault that deployed it) every function reverts.
contract CommitmentVaultExtension is CommitmentVaultState {
    /// @notice The extension was called directly instead of through its vault.
    error NotDelegated(address self);

    address private immutable _VAULT;

    constructor() {
        _VAULT = msg.sender;
    }

    modifier onlyDelegated() {
        if (address(this) != _VAULT) revert NotDelegated(address(this));
        _;
    }

    /// @notice See {ICommitmentVault-appeal}, {ICommitmentVault-resolveAppeal}, {ICommitmentVault-expireAppeal}.
    function appeal(uint256 id, uint256 index) external payable onlyDelegated {
        uint256 g = _globals;
        Record storage c = _records[id];
        uint256 w0 = c.w0;

        // Check:
        _requireNotPaused(g);
        _requireLive(w0, id);
        _requireInRange(w0, id, index);
        if (_owner(w0) != msg.sender) revert ICommitmentVault.NotCommitmentOwner(id, msg.sender);
        ICommitmentVault.MilestoneState state = _stateOf(c, w0, id, index);
        if (state != ICommitmentVault.MilestoneState.Open) revert ICommitmentVault.MilestoneNotOpen(id, index, state);
        uint256 end = _endOf(w0, index);
        if (block.timestamp < end) revert ICommitmentVault.WindowNotEnded(id, index, uint64(end));
        uint256 deadline = _deadline(end, _graceOf(w0), g);
        if (block.timestamp >= deadline) revert ICommitmentVault.ClaimDeadlinePassed(id, index, uint64(deadline));
        uint256 bond = _bond(c, w0, index);
        address token = _token(w0);
        uint256 expectedValue = token == address(0) ? bond : 0;
        if (msg.value != expectedValue) revert ICommitmentVault.IncorrectValue(msg.value, expectedValue);

        // Effect: the appeal remembers the paused seconds so far, so APPEAL_PERIOD counts unpaused time only.
        _setBits(c, index, _APPEALED);
        _appeals[_appealKey(id, index)] =
            block.timestamp |
            (((_pauseInfo >> _P_TOTAL) & _MASK_64) << _A_BEFORE) |
            (bond << _A_BOND);
        emit ICommitmentVault.AppealOpened(id, index, bond);

        // Interaction:
        if (token != address(0)) _pullExact(token, bond);
    }

    /// @notice See {ICommitmentVault-appeal}, {ICommitmentVault-resolveAppeal}, {ICommitmentVault-expireAppeal}.
    function resolveAppeal(uint256 id, uint256 index, bool upheld) external onlyDelegated {
        (Record storage c, uint256 w0, uint256 share, uint256 bond) = _appealed(id, index);

        // Effect:
        address token = _token(w0);
        if (upheld) {
            _setBits(c, index, _RELEASED);
            emit ICommitmentVault.AppealResolved(id, index, true);
            emit ICommitmentVault.MilestoneReleased(id, index, _owner(w0), share, bytes32(0));
            // Interaction:
            _pushOrCredit(_owner(w0), token, share + bond);
        } else {
            _setBits(c, index, _SLASHED);
            address beneficiary = address(uint160(c.w1));
            emit ICommitmentVault.AppealResolved(id, index, false);
            emit ICommitmentVault.MilestoneSlashed(id, index, beneficiary, share);
            _credit(beneficiary, token, share + bond);
        }
    }

    /// @notice See {ICommitmentVault-appeal}, {ICommitmentVault-resolveAppeal}, {ICommitmentVault-expireAppeal}.
    function expireAppeal(uint256 id, uint256 index) external onlyDelegated {
        _appealed(id, index); // Check: not paused, commitment live, milestone Appealed.
        uint256 key = _appealKey(id, index);
        uint256 a = _appeals[key];
        // Unpaused seconds since the appeal: the paused total now minus the paused total then.
        uint256 pausedSince = ((_pauseInfo >> _P_TOTAL) & _MASK_64) - ((a >> _A_BEFORE) & _MASK_64);
        uint256 expiresAt = (a & _MASK_40) + APPEAL_PERIOD + pausedSince;
        if (block.timestamp < expiresAt) revert ICommitmentVault.AppealPeriodNotOver(id, index, uint64(expiresAt));

        // Effect: the bits stay "appeal track", the expired flag makes the state Refunded.
        _appeals[key] = a | (1 << _A_EXPIRED);
        uint256 w0 = _records[id].w0;
        emit ICommitmentVault.AppealExpired(id, index);

        // Interaction:
        _pushOrCredit(
            _owner(w0),
            _token(w0),
            Schedule.share(_records[id].w2 & _MASK_128, _milestones(w0), index) + ((a >> _A_BOND) & _MASK_128)
        );
    }

    /// @notice See {ICommitmentVault-exit}.
    function exit(uint256 id) external onlyDelegated {
        Record storage c = _records[id];
        uint256 w0 = c.w0;

        // Check:
        _requireLive(w0, id);
        uint256 pausedSeconds = _pausedInExitWindow();
        if (!_isPaused(_globals) || pausedSeconds < EXIT_PAUSED_TIME) {
            revert ICommitmentVault.ExitNotAvailable(uint64(pausedSeconds), uint64(EXIT_PAUSED_TIME));
        }

        // Effect: milestones whose deadline had passed before the current pause began are forfeited to the
        // beneficiary, as a slash would have; every other unsettled one (Appealed ones with their bond) is refunded.
        (uint256 refund, uint256 forfeited) = _settleForExit(c, w0, id);
        c.w0 = w0 | (1 << _W0_CLOSED);
        address token = _token(w0);
        if (forfeited != 0) _credit(address(uint160(c.w1)), token, forfeited);
        address commitmentOwner = _owner(w0);
        emit ICommitmentVault.CommitmentExited(id, commitmentOwner, refund);

        // Interaction:
        if (refund != 0) _pushOrCredit(commitmentOwner, token, refund);
    }

    /// @notice See {ICommitmentVault-setOracles} (the vault checks DEFAULT_ADMIN_ROLE; its constructor calls this too).
    function setOracles(address[] calldata oracles_, uint8 threshold_) external onlyDelegated {
        _setOracles(oracles_, threshold_);
    }

    /// @dev Shared checks of resolveAppeal and expireAppeal: not paused, live commitment, milestone Appealed.
    function _appealed(
        uint256 id,
        uint256 index
    ) private view returns (Record storage c, uint256 w0, uint256 share, uint256 bond) {
        _requireNotPaused(_globals);
        c = _records[id];
        w0 = c.w0;
        _requireLive(w0, id);
        _requireInRange(w0, id, index);
        ICommitmentVault.MilestoneState state = _stateOf(c, w0, id, index);
        if (state != ICommitmentVault.MilestoneState.Appealed)
            revert ICommitmentVault.MilestoneNotAppealed(id, index, state);
        share = Schedule.share(c.w2 & _MASK_128, _milestones(w0), index);
        bond = (_appeals[_appealKey(id, index)] >> _A_BOND) & _MASK_128;
    }

    /// @dev For {exit}: Open milestones whose deadline had passed before the current pause began become Slashed
    /// (summed as `forfeited`); the other Open and Appealed ones are summed (bonds included) as `refund`. The loop does
    /// not rely on deadlines growing with the index (under the v2 rule the hour after an unpause reaches every deadline
    /// less than an hour after it, so they do): each Open milestone's deadline is computed until the first window that
    /// ended after the pause began; a deadline is never before its window's end, so from there on everything is still
    /// running.
    /// Bounded: at most MAX_MILESTONES iterations.
    function _settleForExit(
        Record storage c,
        uint256 w0,
        uint256 id
    ) private returns (uint256 refund, uint256 forfeited) {
        uint256 count = _milestones(w0);
        uint256 pausedAt = _pauseInfo & _MASK_40;
        bool running;
        for (uint256 i; i < count; ++i) {
            uint256 bits = _bitsOf(c, i);
            uint256 share = Schedule.share(c.w2 & _MASK_128, count, i);
            if (bits == _APPEALED) {
                // An appeal still open comes back with its bond; an expired one was already refunded.
                uint256 a = _appeals[_appealKey(id, i)];
                if ((a >> _A_EXPIRED) & 1 == 0) refund += share + ((a >> _A_BOND) & _MASK_128);
            } else if (bits == 0) {
                bool refunded = running;
                if (!refunded) {
                    uint256 end = _endOf(w0, i);
                    running = end > pausedAt;
                    refunded = running || _deadline(end, _graceOf(w0), _globals) > pausedAt;
                }
                if (refunded) {
                    refund += share;
                } else {
                    _setBits(c, i, _SLASHED);
                    forfeited += share;
                    emit ICommitmentVault.MilestoneSlashed(id, i, address(uint160(c.w1)), share);
                }
            }
        }
    }

    function _setOracles(address[] memory list, uint8 quorum) private {
        uint256 count = list.length;
        if (count == 0 || count > MAX_ORACLES) revert ICommitmentVault.InvalidOracleCount(count, MAX_ORACLES);
        if (quorum == 0 || quorum > count) revert ICommitmentVault.InvalidThreshold(quorum, count);

        // Revoke the old set first, so an oracle that is removed loses its power in this very transaction.
        uint256 g = _globals;
        uint256 oldCount = (g >> _G_ORACLES) & 0x7f;
        bytes memory old = _readBlob(address(uint160(g)), oldCount);
        for (uint256 i; i < oldCount; ++i) {
            address oracle;
            assembly ("memory-safe") {
                oracle := shr(96, mload(add(add(old, 0x20), mul(i, 20))))
            }
            _isOracle[oracle] = false;
        }

        // Sorted copy (insertion sort, at most 16 entries), zero and duplicate checks, membership.
        address[] memory sorted = new address[](count);
        for (uint256 i; i < count; ++i) {
            address oracle = list[i];
            if (oracle == address(0)) revert ICommitmentVault.ZeroOracle(i);
            if (_isOracle[oracle]) revert ICommitmentVault.DuplicateOracle(oracle);
            _isOracle[oracle] = true;
            uint256 j = i;
            while (j != 0 && sorted[j - 1] > oracle) {
                sorted[j] = sorted[j - 1];
                --j;
            }
            sorted[j] = oracle;
        }

        address blobAddress = _deployBlob(sorted);
        _globals =
            (g & ~(_MASK_160 | (uint256(0xff) << _G_THRESHOLD) | (uint256(0x7f) << _G_ORACLES))) |
            uint256(uint160(blobAddress)) |
            (uint256(quorum) << _G_THRESHOLD) |
            (count << _G_ORACLES);
        emit ICommitmentVault.OraclesUpdated(list, quorum);
    }

    /// @dev Deploys the oracle blob: runtime code 0x00 (STOP, so it cannot be called) followed by the sorted addresses,
    /// 20 bytes each; the init code is PUSH4 len, DUP1, PUSH1 0x0e, PUSH1 0, CODECOPY, PUSH1 0, RETURN (14 bytes).
    function _deployBlob(address[] memory sorted) private returns (address blobAddress) {
        uint256 count = sorted.length;
        bytes memory runtime = new bytes(1 + count * 20);
        for (uint256 i; i < count; ++i) {
            address oracle = sorted[i];
            assembly ("memory-safe") {
                mstore(add(add(runtime, 0x21), mul(i, 20)), shl(96, oracle))
            }
        }
        bytes memory init = abi.encodePacked(hex"63", uint32(runtime.length), hex"80600e6000396000f3", runtime);
        assembly ("memory-safe") {
            blobAddress := create(0, add(init, 0x20), mload(init))
        }
        if (blobAddress == address(0)) revert ICommitmentVault.InvalidOracleCount(count, MAX_ORACLES);
    }
}
