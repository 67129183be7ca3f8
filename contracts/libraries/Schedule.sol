// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Schedule
/// @notice Pure time and money arithmetic of a commitment: windows, deadlines, pause extensions and shares.
/// @dev All inputs are bounded by the vault's validation (start < 2^40, period <= 366 days, index < 104,
/// grace <= 7 days), so every result fits comfortably in 64 bits; checked arithmetic is kept anyway because
/// these functions are also exercised directly by fuzz tests.
library Schedule {
    /// @notice Opening time of window `index`: `start + index * period`.
    function windowStart(uint256 start, uint256 period, uint256 index) internal pure returns (uint256) {
        return start + index * period;
    }

    /// @notice Claim deadline of window `index` before any pause: `start + (index + 1) * period + grace`.
    function baseDeadline(uint256 start, uint256 period, uint256 grace, uint256 index) internal pure returns (uint256) {
        return start + (index + 1) * period + grace;
    }

    /// @notice Whether the latest pause (chain) covers a deadline, i.e. the deadline was still running when the
    /// pause chain began.
    /// @dev Exact, and independent of the commitment: a covered deadline ends no earlier than
    /// `unpause + recovery`, so it is still running at any pause that begins less than `recovery` after that
    /// unpause (a chained pause), and the chain's cover is simply every deadline after the chain's first start.
    /// A deadline at or before `coverStart` was not running when the chain began and lost nothing to it.
    function covered(uint256 d, uint256 coverStart) internal pure returns (bool) {
        return d > coverStart;
    }

    /// @notice Applies the latest pause chain to a deadline: a covered deadline becomes
    /// `max(d, unpausedAt + recovery)`, any other stands. `unpausedAt == 0` means there was never a pause.
    /// @param d The base deadline.
    /// @param coverStart Start of the first pause of the latest chain.
    /// @param unpausedAt When that chain's last pause ended (or, while paused, the hypothetical unpause time).
    /// @param recovery Claim time every covered deadline keeps after the unpause (>= any commitment's grace).
    function extendForPause(
        uint256 d,
        uint256 coverStart,
        uint256 unpausedAt,
        uint256 recovery
    ) internal pure returns (uint256) {
        if (unpausedAt == 0 || !covered(d, coverStart)) return d;
        uint256 floor = unpausedAt + recovery;
        return d > floor ? d : floor;
    }

    /// @notice Share of milestone `index`: `amount / count`, and the last one takes the remainder, so the
    /// shares of all milestones sum to `amount` exactly.
    function share(uint256 amount, uint256 count, uint256 index) internal pure returns (uint256) {
        uint256 each = amount / count;
        // The last milestone absorbs the rounding remainder (amount - each * count < count).
        return index == count - 1 ? amount - each * (count - 1) : each;
    }
}
