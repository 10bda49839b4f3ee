"""Tests for the RFC 9162 Merkle tree in accord.core.merkle."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.core.merkle import (
    EMPTY_ROOT,
    Frontier,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaves,
    verify_consistency,
    verify_inclusion,
)

# Known-answer vectors: the standard eight-entry RFC 6962 test tree used by the Certificate
# Transparency and transparency-dev/merkle test suites (data only).
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
LEAVES = [leaf_hash(d) for d in LEAF_INPUTS]

# Node hashes of the complete subtrees, by level (0 = leaves) and position.
NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]

# Tree heads MTH(D[0:n]) for n = 0..8.
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]

# Frontier (compact tree) hashes for n = 0..8, as (level, position) into NODES.
FRONTIERS: list[list[tuple[int, int]]] = [
    [],
    [(0, 0)],
    [(1, 0)],
    [(1, 0), (0, 2)],
    [(2, 0)],
    [(2, 0), (0, 4)],
    [(2, 0), (1, 2)],
    [(2, 0), (1, 2), (0, 6)],
    [(3, 0)],
]

# (index, size, audit path)
INCLUSION_VECTORS: list[tuple[int, int, list[str]]] = [
    (0, 1, []),
    (0, 2, [NODES[0][1]]),
    (1, 2, [NODES[0][0]]),
    (2, 3, [NODES[1][0]]),
    (1, 5, [NODES[0][0], NODES[1][1], NODES[0][4]]),
    (0, 8, [NODES[0][1], NODES[1][1], NODES[2][1]]),
    (5, 8, [NODES[0][4], NODES[1][3], NODES[2][0]]),
]

# (old size, new size, proof)
CONSISTENCY_VECTORS: list[tuple[int, int, list[str]]] = [
    (1, 1, []),
    (1, 8, [NODES[0][1], NODES[1][1], NODES[2][1]]),
    (6, 8, [NODES[1][2], NODES[1][3], NODES[2][0]]),
    (2, 5, [NODES[1][1], NODES[0][4]]),
]

# An audit path from a production CT log (leaf 848049 of 3630887), from the CT test suite.
CT_LOG_LEAF_INDEX = 848049
CT_LOG_TREE_SIZE = 3630887
CT_LOG_LEAF_HASH = "7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78"
CT_LOG_ROOT = "78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb"
CT_LOG_PATH = [
    "1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd",
    "0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4",
    "3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d",
    "9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe",
    "0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2",
    "2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330",
    "b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048",
    "933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966",
    "b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2",
    "daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45",
    "7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc",
    "1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56",
    "12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66",
    "29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11",
    "b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009",
    "4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8",
    "86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f",
    "a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6",
    "06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1",
    "f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960",
    "40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d",
    "b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a",
]

ZEROS = bytes(32)
ONES = b"\x11" * 32


def hx(hashes: Sequence[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


def flip(h: bytes, bit: int = 0) -> bytes:
    """Return ``h`` with one bit inverted."""
    return bytes([h[0] ^ (1 << (bit % 8))]) + h[1:]


# A direct transcription of the recursive RFC 9162 definitions, as an independent oracle.
def ref_mth(d: Sequence[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return d[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = 1 << ((n - 1).bit_length() - 1)
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# --- known answers -----------------------------------------------------------------------


def test_empty_root_is_sha256_of_nothing() -> None:
    assert hashlib.sha256(b"").hexdigest() == ROOTS[0]
    assert EMPTY_ROOT.hex() == ROOTS[0]
    assert root_from_leaves([]) == EMPTY_ROOT
    assert Frontier.empty().root() == EMPTY_ROOT


def test_leaf_and_node_hash_known_answers() -> None:
    assert [h.hex() for h in LEAVES] == NODES[0]
    assert leaf_hash(b"").hex() == ROOTS[1]
    assert node_hash(LEAVES[0], LEAVES[1]).hex() == NODES[1][0]
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(ZEROS, ONES) == hashlib.sha256(b"\x01" + ZEROS + ONES).digest()


@pytest.mark.parametrize("size", range(9))
def test_roots_known_answers(size: int) -> None:
    assert root_from_leaves(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize("size", range(9))
def test_frontier_known_answers(size: int) -> None:
    frontier = Frontier.empty()
    for leaf in LEAVES[:size]:
        frontier = frontier.append(leaf)
    assert frontier.size == size
    assert [h.hex() for h in frontier.hashes] == [NODES[lv][i] for lv, i in FRONTIERS[size]]
    assert frontier.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION_VECTORS)
def test_inclusion_known_answers(index: int, size: int, path: list[str]) -> None:
    proof = inclusion_proof(index, LEAVES[:size])
    assert proof == hx(path)
    root = bytes.fromhex(ROOTS[size])
    assert verify_inclusion(index, size, LEAVES[index], proof, root)


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY_VECTORS)
def test_consistency_known_answers(old: int, new: int, path: list[str]) -> None:
    proof = consistency_proof(old, LEAVES[:new])
    assert proof == hx(path)
    old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert verify_consistency(old, new, old_root, new_root, proof)


def test_inclusion_in_production_ct_log() -> None:
    leaf, root = bytes.fromhex(CT_LOG_LEAF_HASH), bytes.fromhex(CT_LOG_ROOT)
    path = hx(CT_LOG_PATH)
    assert verify_inclusion(CT_LOG_LEAF_INDEX, CT_LOG_TREE_SIZE, leaf, path, root)
    assert not verify_inclusion(CT_LOG_LEAF_INDEX, CT_LOG_TREE_SIZE, leaf, path, ZEROS)
    assert not verify_inclusion(CT_LOG_LEAF_INDEX + 1, CT_LOG_TREE_SIZE, leaf, path, root)
    assert not verify_inclusion(CT_LOG_LEAF_INDEX, CT_LOG_TREE_SIZE, leaf, path[:-1], root)


def test_inclusion_of_rightmost_leaves() -> None:
    # Leaf 7 of 8 and leaf 4 of 5, with arbitrary sibling hashes (from the CT test suite).
    leaf = leaf_hash(ONES)
    root8 = node_hash(ZEROS, node_hash(ZEROS, node_hash(ZEROS, leaf)))
    assert verify_inclusion(7, 8, leaf, [ZEROS, ZEROS, ZEROS], root8)
    assert verify_inclusion(4, 5, leaf, [ZEROS], node_hash(ZEROS, leaf))
    assert verify_inclusion(0, 1, leaf, [], leaf)


def test_inclusion_rejects_wrong_proof_lengths() -> None:
    root = bytes.fromhex(ROOTS[4])
    assert not verify_inclusion(0, 4, ONES, [ZEROS, ZEROS, ZEROS], root)
    assert not verify_inclusion(0, 4, ONES, [ZEROS], root)
    proof = inclusion_proof(2, LEAVES[:4])
    assert not verify_inclusion(2, 4, LEAVES[2], [*proof, ZEROS], root)
    assert not verify_inclusion(2, 4, LEAVES[2], proof[:-1], root)


def test_consistency_rejects_bad_proofs() -> None:
    old, new = bytes.fromhex(ROOTS[6]), bytes.fromhex(ROOTS[8])
    proof = hx(CONSISTENCY_VECTORS[2][2])
    assert not verify_consistency(6, 8, old, new, proof[:-1])
    assert not verify_consistency(6, 8, old, new, [*proof, ZEROS])
    assert not verify_consistency(6, 8, old, flip(new), proof)
    assert not verify_consistency(6, 8, flip(old), new, proof)
    assert not verify_consistency(6, 8, flip(old), flip(new), proof)
    assert not verify_consistency(6, 8, old, new, [])
    assert not verify_consistency(4, 8, bytes.fromhex(ROOTS[4]), new, [])


def test_consistency_equal_sizes() -> None:
    root = bytes.fromhex(ROOTS[3])
    assert consistency_proof(3, LEAVES[:3]) == []
    assert verify_consistency(3, 3, root, root, [])
    assert not verify_consistency(3, 3, root, flip(root), [])
    # Unlike some implementations, a superfluous proof is rejected rather than ignored.
    assert not verify_consistency(3, 3, root, root, [root])


def test_consistency_from_empty_tree() -> None:
    # Choice: the empty tree is a prefix of every tree. The proof is empty, the old root must
    # be MTH({}), and the new root is not checked (nothing ties it to the empty tree).
    new = bytes.fromhex(ROOTS[5])
    assert consistency_proof(0, LEAVES[:5]) == []
    assert consistency_proof(0, []) == []
    assert verify_consistency(0, 5, EMPTY_ROOT, new, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, ZEROS, [])
    assert not verify_consistency(0, 5, ZEROS, new, [])
    assert not verify_consistency(0, 5, EMPTY_ROOT, new, [new])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, ZEROS, [])


# --- impossible arguments ----------------------------------------------------------------


@pytest.mark.parametrize(("index", "size"), [(0, 0), (3, 3), (4, 3), (-1, 3)])
def test_inclusion_rejects_impossible_index(index: int, size: int) -> None:
    with pytest.raises(ValueError, match=r"index|size"):
        inclusion_proof(index, LEAVES[:size])
    with pytest.raises(ValueError, match=r"index|size"):
        verify_inclusion(index, size, LEAVES[0], [], EMPTY_ROOT)


def test_verify_inclusion_rejects_negative_size() -> None:
    with pytest.raises(ValueError, match="size"):
        verify_inclusion(0, -1, LEAVES[0], [], EMPTY_ROOT)


@pytest.mark.parametrize(("old", "new"), [(4, 3), (-1, 3), (0, -1), (9, 8)])
def test_consistency_rejects_impossible_sizes(old: int, new: int) -> None:
    with pytest.raises(ValueError, match="size"):
        verify_consistency(old, new, EMPTY_ROOT, EMPTY_ROOT, [])
    if new >= 0:
        with pytest.raises(ValueError, match="size"):
            consistency_proof(old, LEAVES[:new])


@pytest.mark.parametrize(
    ("size", "hashes"),
    [(-1, ()), (1, ()), (2, (ZEROS, ZEROS)), (3, (ZEROS,)), (1, (b"short",))],
)
def test_frontier_rejects_inconsistent_state(size: int, hashes: tuple[bytes, ...]) -> None:
    with pytest.raises(ValueError, match=r"size|hash"):
        Frontier(size=size, hashes=hashes)


def test_frontier_append_rejects_bad_leaf_hash() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Frontier.empty().append(b"not a hash")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"size": "1", "hashes": [ROOTS[1]]},
        {"size": True, "hashes": [ROOTS[1]]},
        {"size": 1, "hashes": ROOTS[1]},
        {"size": 1, "hashes": [1]},
        {"size": 1, "hashes": [ROOTS[1].upper()]},
        {"size": 1, "hashes": [ROOTS[1][:-2]]},
        {"size": 1, "hashes": ["zz" * 32]},
        {"size": 3, "hashes": [ROOTS[1]]},
    ],
)
def test_frontier_from_json_rejects_malformed(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"frontier|hex|size"):
        Frontier.from_json(data)


def test_large_tree_without_recursion() -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range((1 << 12) + 3)]
    frontier = Frontier.empty()
    for leaf in leaves:
        frontier = frontier.append(leaf)
    root = root_from_leaves(leaves)
    assert frontier.root() == root
    index = len(leaves) - 2
    assert verify_inclusion(index, len(leaves), leaves[index], inclusion_proof(index, leaves), root)
    old_root = root_from_leaves(leaves[:1000])
    proof = consistency_proof(1000, leaves)
    assert verify_consistency(1000, len(leaves), old_root, root, proof)


# --- properties --------------------------------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=6), max_size=40).map(lambda ds: [leaf_hash(d) for d in ds])
unique_leaf_lists = st.lists(st.binary(max_size=6), min_size=1, max_size=40, unique=True).map(
    lambda ds: [leaf_hash(d) for d in ds]
)
modest = settings(max_examples=60, deadline=None)


@modest
@given(leaf_lists)
def test_frontier_root_matches_every_prefix(leaves: list[bytes]) -> None:
    frontier = Frontier.empty()
    assert frontier.root() == root_from_leaves([])
    for n, leaf in enumerate(leaves, start=1):
        frontier = frontier.append(leaf)
        assert frontier.size == n
        assert frontier.root() == root_from_leaves(leaves[:n]) == ref_mth(leaves[:n])


@modest
@given(leaf_lists)
def test_frontier_json_round_trip(leaves: list[bytes]) -> None:
    frontier = Frontier.empty()
    for leaf in leaves:
        frontier = frontier.append(leaf)
    encoded = json.loads(json.dumps(frontier.to_json()))
    assert Frontier.from_json(encoded) == frontier
    assert all(h == h.lower() for h in encoded["hashes"])


@modest
@given(unique_leaf_lists, st.data())
def test_inclusion_proofs_verify_and_detect_tampering(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    root = root_from_leaves(leaves)
    proof = inclusion_proof(index, leaves)
    assert proof == ref_path(index, leaves)
    assert verify_inclusion(index, size, leaves[index], proof, root)
    assert not verify_inclusion(index, size, flip(leaves[index]), proof, root)
    assert not verify_inclusion(index, size, leaves[index], proof, flip(root))
    if size > 1:
        other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), label="other")
        assert not verify_inclusion(other, size, leaves[index], proof, root)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="at")
        bit = data.draw(st.integers(0, 7), label="bit")
        tampered = [*proof[:at], flip(proof[at], bit), *proof[at + 1 :]]
        assert not verify_inclusion(index, size, leaves[index], tampered, root)


@modest
@given(leaf_lists.filter(bool), st.data())
def test_consistency_proofs_verify_and_detect_tampering(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new = len(leaves)
    old = data.draw(st.integers(0, new), label="old")
    old_root, new_root = root_from_leaves(leaves[:old]), root_from_leaves(leaves)
    proof = consistency_proof(old, leaves)
    assert proof == ([] if old == 0 else ref_subproof(old, leaves, True))
    assert verify_consistency(old, new, old_root, new_root, proof)
    assert not verify_consistency(old, new, flip(old_root), new_root, proof)
    # From the empty tree the new root is unconstrained (see test_consistency_from_empty_tree).
    assert verify_consistency(old, new, old_root, flip(new_root), proof) == (old == 0)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="at")
        tampered = [*proof[:at], flip(proof[at]), *proof[at + 1 :]]
        assert not verify_consistency(old, new, old_root, new_root, tampered)
        assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
        assert not verify_consistency(old, new, old_root, new_root, [*proof, proof[-1]])
