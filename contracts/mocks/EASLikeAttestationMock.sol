// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title EAS-like attestation with a resolver that releases a milestone's share (gas comparison only)
/// @notice The obvious alternative to the vault's claim: an oracle attests on an Ethereum Attestation Service and the
/// schema's resolver releases the share. This mock keeps what costs gas in EAS 1.x's `attest` path: the schema record
/// read from the registry (another contract), the uid derived by hashing the attestation, the full `Attestation`
/// struct written to storage (EAS keeps every attestation), the `Attested` event, and the call into the resolver with
/// the whole attestation; the resolver checks the attester, decodes the milestone and pushes the share. No
/// revocation, delegation or multi-attestation paths. Used by bench/gas/vault.gas.ts; never deployed.

struct SchemaRecord {
    bytes32 uid;
    address resolver;
    bool revocable;
    string schema;
}

struct Attestation {
    bytes32 uid;
    bytes32 schema;
    uint64 time;
    uint64 expirationTime;
    uint64 revocationTime;
    bytes32 refUID;
    address recipient;
    address attester;
    bool revocable;
    bytes data;
}

struct AttestationRequestData {
    address recipient;
    uint64 expirationTime;
    bool revocable;
    bytes32 refUID;
    bytes data;
    uint256 value;
}

struct AttestationRequest {
    bytes32 schema;
    AttestationRequestData data;
}

contract MockSchemaRegistry {
    error SchemaExists(bytes32 uid);

    mapping(bytes32 uid => SchemaRecord) private _registry;

    function register(string calldata schema, address resolver, bool revocable) external returns (bytes32 uid) {
        uid = keccak256(abi.encodePacked(schema, resolver, revocable));
        if (_registry[uid].uid != bytes32(0)) revert SchemaExists(uid);
        _registry[uid] = SchemaRecord({uid: uid, resolver: resolver, revocable: revocable, schema: schema});
    }

    function getSchema(bytes32 uid) external view returns (SchemaRecord memory) {
        return _registry[uid];
    }
}

interface IMockResolver {
    function attest(Attestation calldata attestation) external payable returns (bool);
}

contract MockEAS {
    error InvalidSchema(bytes32 schema);
    error InvalidAttestation(bytes32 uid);

    event Attested(address indexed recipient, address indexed attester, bytes32 uid, bytes32 indexed schemaUID);

    MockSchemaRegistry public immutable registry;
    mapping(bytes32 uid => Attestation) private _db;

    constructor(MockSchemaRegistry registry_) {
        registry = registry_;
    }

    function attest(AttestationRequest calldata request) external payable returns (bytes32 uid) {
        SchemaRecord memory schema = registry.getSchema(request.schema);
        if (schema.uid == bytes32(0)) revert InvalidSchema(request.schema);
        Attestation memory a = Attestation({
            uid: bytes32(0),
            schema: request.schema,
            time: uint64(block.timestamp),
            expirationTime: request.data.expirationTime,
            revocationTime: 0,
            refUID: request.data.refUID,
            recipient: request.data.recipient,
            attester: msg.sender,
            revocable: request.data.revocable,
            data: request.data.data
        });
        uid = keccak256(
            abi.encodePacked(
                a.schema,
                a.recipient,
                a.attester,
                a.time,
                a.expirationTime,
                a.revocable,
                a.refUID,
                a.data,
                uint32(0)
            )
        );
        a.uid = uid;
        _db[uid] = a;
        emit Attested(a.recipient, a.attester, uid, a.schema);
        if (schema.resolver != address(0) && !IMockResolver(schema.resolver).attest{value: msg.value}(a)) {
            revert InvalidAttestation(uid);
        }
    }

    function getAttestation(bytes32 uid) external view returns (Attestation memory) {
        return _db[uid];
    }
}

/// @notice Resolver that escrows one ETH commitment and releases a milestone's share when the oracle attests it.
contract MockMilestoneResolver is IMockResolver {
    error NotEAS(address caller);
    error NotOracle(address attester);
    error AlreadyReleased(uint256 index);

    address public immutable eas;
    address public immutable oracle;
    address public immutable owner;
    uint256 public immutable share;
    uint256 private _released;

    constructor(address eas_, address oracle_, address owner_, uint256 share_) payable {
        eas = eas_;
        oracle = oracle_;
        owner = owner_;
        share = share_;
    }

    function attest(Attestation calldata attestation) external payable returns (bool) {
        if (msg.sender != eas) revert NotEAS(msg.sender);
        if (attestation.attester != oracle) revert NotOracle(attestation.attester);
        (, uint256 index) = abi.decode(attestation.data, (uint256, uint256));
        if (_released & (1 << index) != 0) revert AlreadyReleased(index);
        _released |= 1 << index;
        (bool ok, ) = owner.call{value: share}("");
        return ok;
    }
}
