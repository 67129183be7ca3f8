// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @dev Address of the cheatcode precompile that EDR (and Foundry) intercept.
address constant VM_ADDRESS = address(uint160(uint256(keccak256("hevm cheat code"))));

/// @title Vm
/// @notice The few cheatcodes our Solidity tests use. forge-std cannot be installed offline, so this is a minimal,
/// signature-compatible subset of its `Vm` interface (EDR implements the same selectors).
// Named `Vm` like forge-std's interface so the tests read like any Foundry test, not `IVm`:
// solhint-disable-next-line interface-starts-with-i
interface Vm {
    // Environment
    function warp(uint256 newTimestamp) external;
    function deal(address account, uint256 newBalance) external;
    function prank(address msgSender) external;
    function label(address account, string calldata newLabel) external;

    // State snapshots
    function snapshotState() external returns (uint256 snapshotId);
    function revertToState(uint256 snapshotId) external returns (bool success);

    // Keys and signatures
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);

    // Reverts
    function expectRevert(bytes calldata revertData) external;

    // Assertions (revert with a formatted message on failure)
    function assertFalse(bool condition, string calldata error) external pure;
    function assertTrue(bool condition, string calldata error) external pure;
    function assertEq(bool left, bool right, string calldata error) external pure;
    function assertEq(uint256 left, uint256 right, string calldata error) external pure;
    function assertEq(bytes calldata left, bytes calldata right, string calldata error) external pure;
    function assertNotEq(bool left, bool right, string calldata error) external pure;
    function assertGt(uint256 left, uint256 right, string calldata error) external pure;
    function assertGe(uint256 left, uint256 right, string calldata error) external pure;
    function assertLt(uint256 left, uint256 right, string calldata error) external pure;
    function assertLe(uint256 left, uint256 right, string calldata error) external pure;
}

/// @notice `bound` was called with `min > max`.
error BoundInvalidRange(uint256 min, uint256 max);

/// @notice Maps a fuzzed `x` into `[min, max]` the way forge-std's `bound` does: values already in range stay
/// unchanged (so the fuzzer's dictionary values, often exact boundaries, survive), the smallest and largest
/// inputs map onto the edges of the range, everything else wraps around modulo the range size.
function bound(uint256 x, uint256 min, uint256 max) pure returns (uint256 result) {
    if (min > max) revert BoundInvalidRange(min, max);
    if (x >= min && x <= max) return x;

    // min > 0 or max < 2^256 - 1 here (else x would be in range), so the size cannot overflow.
    uint256 size = max - min + 1;
    if (x <= 3 && size > x) return min + x;
    if (x >= type(uint256).max - 3 && size > type(uint256).max - x) return max - (type(uint256).max - x);

    if (x > max) {
        uint256 diff = x - max;
        uint256 rem = diff % size;
        if (rem == 0) return max;
        result = min + rem - 1;
    } else {
        uint256 diff = min - x;
        uint256 rem = diff % size;
        if (rem == 0) return min;
        result = max - rem + 1;
    }
}
