// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title A smart-contract wallet whose signatures are its owner EOA's (EIP-1271)
/// @notice As OpenZeppelin's `ERC1271WalletMock`: `isValidSignature` accepts a hash signed by the owner key. Stands in
/// for Coinbase Smart Wallet or a Safe in the agent's sign-in tests (SIWE over EIP-1271, and over ERC-6492 when it is
/// deployed by `ERC1271WalletFactoryMock` only on first use). Never deployed outside tests.
contract ERC1271WalletMock is IERC1271 {
    /// @notice The EOA whose ECDSA signatures the wallet accepts.
    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4 magicValue) {
        (address recovered, ECDSA.RecoverError error, ) = ECDSA.tryRecover(hash, signature);
        return error == ECDSA.RecoverError.NoError && recovered == owner ? this.isValidSignature.selector : bytes4(0);
    }
}
