"""The Merkle log against published RFC 9162 vectors, an independent recursive implementation, and tampering."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from testigo.ledger import (
    EMPTY_ROOT,
    InMemoryNodeStore,
    MerkleLog,
    Node,
    NodeId,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)

# --- Vectors of transparency-dev/merkle (rfc6962/rfc6962_test.go, proof/verify_test.go),
# the Go library behind Certificate Transparency and sumdb tooling.

H = bytes.fromhex
VECTOR_LEAVES = [
    H(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
]
VECTOR_ROOTS = [
    H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    H("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    H("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    H("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    H("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
# (0-based leaf index, tree size, proof); the Go file numbers leaves from 1.
VECTOR_INCLUSION = [
    (0, 1, []),
    (0, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (5, 8, [H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 3, [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (1, 5, [H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
]  # fmt: skip
VECTOR_CONSISTENCY = [
    (1, 1, []),
    (1, 8, [H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")]),
    (6, 8, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
    (2, 5, [H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b")]),
    (6, 7, [H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7")]),
]  # fmt: skip
SOME_HASH = H("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.fixture(scope="module")
def vector_log() -> MerkleLog:
    log = MerkleLog()
    log.append_many(VECTOR_LEAVES)
    return log


def test_hashing_matches_rfc6962_vectors() -> None:
    assert H("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == EMPTY_ROOT
    assert MerkleLog().root() == EMPTY_ROOT
    assert leaf_hash(b"") == H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert leaf_hash(b"L123456") == H("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert node_hash(b"N123", b"N456") == H("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")


def test_roots_match_vectors(vector_log: MerkleLog) -> None:
    assert [vector_log.root(size) for size in range(1, 9)] == VECTOR_ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), VECTOR_INCLUSION)
def test_inclusion_proofs_match_vectors(vector_log: MerkleLog, index: int, size: int, proof: list[bytes]) -> None:
    assert vector_log.inclusion_proof(index, size) == proof
    verify_inclusion(index, size, leaf_hash(VECTOR_LEAVES[index]), proof, VECTOR_ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), VECTOR_CONSISTENCY)
def test_consistency_proofs_match_vectors(vector_log: MerkleLog, old: int, new: int, proof: list[bytes]) -> None:
    assert vector_log.consistency_proof(old, new) == proof
    verify_consistency(old, new, proof, VECTOR_ROOTS[old - 1], VECTOR_ROOTS[new - 1])


def flipped(hash_: bytes, bit: int = 3) -> bytes:
    return bytes([hash_[0] ^ (1 << bit)]) + hash_[1:]


InclusionProbe = tuple[int, int, bytes, list[bytes], bytes]
ConsistencyProbe = tuple[int, int, bytes, bytes, list[bytes]]


def corrupted_inclusion(index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes) -> list[InclusionProbe]:
    """The probes of transparency-dev's corruptInclusionProof: each must be rejected."""
    probes: list[InclusionProbe] = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, leaf_hash(b"WrongLeaf"), proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
    ]
    probes += [(index, size, leaf, [*proof[:i], flipped(h), *proof[i + 1 :]], root) for i, h in enumerate(proof)]
    if proof:
        probes.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), VECTOR_INCLUSION[1:])
def test_corrupted_inclusion_proofs_are_rejected(index: int, size: int, proof: list[bytes]) -> None:
    leaf = leaf_hash(VECTOR_LEAVES[index])
    for probe in corrupted_inclusion(index, size, proof, VECTOR_ROOTS[size - 1], leaf):
        with pytest.raises(ProofError):
            verify_inclusion(*probe)


@pytest.mark.parametrize(("old", "new", "proof"), VECTOR_CONSISTENCY[1:])
def test_corrupted_consistency_proofs_are_rejected(old: int, new: int, proof: list[bytes]) -> None:
    """The probes of transparency-dev's corruptConsistencyProof."""
    root1, root2 = VECTOR_ROOTS[old - 1], VECTOR_ROOTS[new - 1]
    probes: list[ConsistencyProbe] = [
        (old - 1, new, root1, root2, proof),
        (old + 1, new, root1, root2, proof),
        (old ^ 2, new, root1, root2, proof),
        (old, new * 2, root1, root2, proof),
        (old, new // 2, root1, root2, proof),
        (old, new, SOME_HASH, root2, proof),
        (old, new, root1, SOME_HASH, proof),
        (old, new, root2, root1, proof),
        (old, new, root1, root2, []),
        (old, new, root1, root2, [*proof, b""]),
        (old, new, root1, root2, [*proof, root1]),
        (old, new, root1, root2, [*proof, root2]),
        (old, new, root1, root2, [b"", *proof]),
        (old, new, root1, root2, [root1, *proof]),
        (old, new, root1, root2, [root2, *proof]),
        (old, new, root1, root2, [proof[0], *proof]),
        (old, new, root1, root2, proof[:-1]),
    ]
    probes += [(old, new, root1, root2, [*proof[:i], flipped(h, 4), *proof[i + 1 :]]) for i, h in enumerate(proof)]
    for probe_old, probe_new, probe_root1, probe_root2, probe_proof in probes:
        with pytest.raises(ProofError):
            verify_consistency(probe_old, probe_new, probe_proof, probe_root1, probe_root2)


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, []),
        (0, 5, EMPTY_ROOT, VECTOR_ROOTS[4], []),
        (3, 3, VECTOR_ROOTS[2], VECTOR_ROOTS[2], []),
    ],
)
def test_trivial_consistency_needs_no_proof(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    verify_consistency(old, new, proof, old_root, new_root)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((3, 3, VECTOR_ROOTS[2], VECTOR_ROOTS[3], []), "two tree heads of size 3 have different roots"),
        ((0, 3, SOME_HASH, VECTOR_ROOTS[2], []), "the tree head of size 0 has root abacaba0"),
        (
            (0, 3, EMPTY_ROOT, VECTOR_ROOTS[2], [SOME_HASH]),
            "consistency proof from size 0 to size 3 has 1 hashes, expected 0",
        ),
        ((3, 3, VECTOR_ROOTS[2], VECTOR_ROOTS[2], [SOME_HASH]), "has 1 hashes, expected 0"),
        ((4, 3, VECTOR_ROOTS[3], VECTOR_ROOTS[2], []), "tree size went from 4 to 3: a log can only grow"),
        (
            (2, 5, VECTOR_ROOTS[1], VECTOR_ROOTS[4], []),
            "consistency proof from size 2 to size 5 has 0 hashes, expected 2",
        ),
        ((2, 5, VECTOR_ROOTS[1][:31], VECTOR_ROOTS[4], []), "old root hash is 31 bytes, expected 32"),
    ],
)
def test_consistency_failures_say_what_is_wrong(args: ConsistencyProbe, message: str) -> None:
    old, new, old_root, new_root, proof = args
    with pytest.raises(ProofError, match=message):
        verify_consistency(old, new, proof, old_root, new_root)


# --- An independent implementation written straight from the RFC 9162 definitions.

# Entries of varying length, every third one empty.
REFERENCE_ENTRIES = [(b"testigo %d" % i) * (i % 3) for i in range(300)]


def ref_leaf(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


@cache
def ref_mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) of §2.1.1; memoised only to keep the test fast."""
    count = end - start
    if count == 0:
        return hashlib.sha256(b"").digest()
    if count == 1:
        return ref_leaf(REFERENCE_ENTRIES[start])
    k = 1
    while k * 2 < count:
        k *= 2
    return hashlib.sha256(b"\x01" + ref_mth(start, start + k) + ref_mth(start + k, end)).digest()


def ref_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) of §2.1.3.1, with m relative to start."""
    count = end - start
    if count == 1:
        return []
    k = 1
    while k * 2 < count:
        k *= 2
    if m < k:
        return [*ref_path(m, start, start + k), ref_mth(start + k, end)]
    return [*ref_path(m - k, start + k, end), ref_mth(start, start + k)]


def ref_subproof(m: int, start: int, end: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) of §2.1.4.1, with m relative to start."""
    count = end - start
    if m == count:
        return [] if whole else [ref_mth(start, end)]
    k = 1
    while k * 2 < count:
        k *= 2
    if m <= k:
        return [*ref_subproof(m, start, start + k, whole), ref_mth(start + k, end)]
    return [*ref_subproof(m - k, start + k, end, False), ref_mth(start, start + k)]


def ref_consistency(m: int, n: int) -> list[bytes]:
    return ref_subproof(m, 0, n, True) if 0 < m < n else []


@pytest.fixture(scope="module")
def reference_log() -> MerkleLog:
    log = MerkleLog()
    for entry in REFERENCE_ENTRIES:
        log.append(entry)
    return log


def check_against_reference(log: MerkleLog, size: int) -> None:
    """Root, every inclusion proof and every consistency proof of one size, each also verified."""
    root = ref_mth(0, size)
    assert log.root(size) == root
    for index in range(size):
        proof = log.inclusion_proof(index, size)
        assert proof == ref_path(index, 0, size), (index, size)
        verify_inclusion(index, size, ref_leaf(REFERENCE_ENTRIES[index]), proof, root)
    for old in range(size + 1):
        proof = log.consistency_proof(old, size)
        assert proof == ref_consistency(old, size), (old, size)
        verify_consistency(old, size, proof, ref_mth(0, old), root)


def test_every_size_up_to_64_matches_the_reference(reference_log: MerkleLog) -> None:
    assert reference_log.root(0) == ref_mth(0, 0)
    for size in range(1, 65):
        check_against_reference(reference_log, size)


@settings(max_examples=25, deadline=None)
@given(size=st.integers(1, 300))
def test_random_sizes_up_to_300_match_the_reference(reference_log: MerkleLog, size: int) -> None:
    check_against_reference(reference_log, size)


# --- Tampering, with the messages users will read.


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_a_flipped_byte_in_an_entry_is_detected(reference_log: MerkleLog, data: st.DataObject) -> None:
    size = data.draw(st.integers(1, 300), "size")
    index = data.draw(st.integers(0, size - 1), "index")
    entry = bytearray(REFERENCE_ENTRIES[index] or b"\x00")
    position = data.draw(st.integers(0, len(entry) - 1), "position")
    entry[position] ^= data.draw(st.integers(1, 255), "xor")
    root = reference_log.root(size)
    with pytest.raises(
        ProofError, match=f"leaf {index} with hash {leaf_hash(bytes(entry)).hex()} .* root {root.hex()}"
    ):
        verify_inclusion(index, size, leaf_hash(bytes(entry)), reference_log.inclusion_proof(index, size), root)


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_a_proof_for_another_index_is_rejected(reference_log: MerkleLog, data: st.DataObject) -> None:
    size = data.draw(st.integers(2, 300), "size")
    index = data.draw(st.integers(0, size - 1), "index")
    other = data.draw(st.integers(0, size - 1).filter(lambda i: i != index), "other")
    leaf = reference_log.leaf_hash(index)
    with pytest.raises(ProofError):
        verify_inclusion(other, size, leaf, reference_log.inclusion_proof(index, size), reference_log.root(size))


def test_a_size_and_root_pair_is_what_a_proof_binds() -> None:
    """A root does not encode its tree size: for leaf 0, the proof for size 33 also "verifies" for 34.

    That is why sizes are only trusted from signed checkpoints, which sign size
    and root together; a changed size there breaks the signature (see test_checkpoint).
    """
    log = MerkleLog()
    log.append_many(REFERENCE_ENTRIES[:33])
    verify_inclusion(0, 34, log.leaf_hash(0), log.inclusion_proof(0), log.root())


def test_proofs_from_another_tree_are_rejected(reference_log: MerkleLog, vector_log: MerkleLog) -> None:
    with pytest.raises(ProofError, match=r"the proof yields root .* but the tree head has root"):
        verify_inclusion(5, 8, vector_log.leaf_hash(5), reference_log.inclusion_proof(5, 8), vector_log.root())
    with pytest.raises(ProofError, match="does not match the old tree head"):
        verify_consistency(6, 8, reference_log.consistency_proof(6, 8), vector_log.root(6), vector_log.root())


@pytest.mark.parametrize(
    ("index", "size", "proof", "message"),
    [
        (8, 8, [], "leaf index 8 is outside the tree of size 8"),
        (-1, 8, [], "leaf index -1 is outside the tree of size 8"),
        (5, 8, VECTOR_INCLUSION[2][2][:2], "inclusion proof for leaf 5 in a tree of size 8 has 2 hashes, expected 3"),
        (5, 8, [*VECTOR_INCLUSION[2][2], SOME_HASH], "has 4 hashes, expected 3"),
        (
            5,
            8,
            [SOME_HASH[:20], *VECTOR_INCLUSION[2][2]],
            "hash 0 of the inclusion proof for leaf 5 .* is 20 bytes, expected 32",
        ),
    ],
)
def test_inclusion_failures_say_what_is_wrong(index: int, size: int, proof: list[bytes], message: str) -> None:
    with pytest.raises(ProofError, match=message):
        verify_inclusion(index, size, leaf_hash(VECTOR_LEAVES[5]), proof, VECTOR_ROOTS[size - 1])


def test_messages_are_one_line(vector_log: MerkleLog) -> None:
    with pytest.raises(ProofError) as caught:
        verify_inclusion(5, 8, leaf_hash(b"forged"), vector_log.inclusion_proof(5), vector_log.root())
    assert "\n" not in str(caught.value)
    assert f"hash {leaf_hash(b'forged').hex()}" in str(caught.value)


# --- The log over its store.


class RecordingStore(InMemoryNodeStore):
    """Counts store calls, to pin down the batching a database-backed store relies on."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: list[int] = []
        self.puts: list[list[Node]] = []

    def get_many(self, ids: Sequence[NodeId]) -> list[bytes]:
        self.gets.append(len(ids))
        return super().get_many(ids)

    def put_many(self, nodes: Sequence[Node]) -> None:
        self.puts.append(list(nodes))
        super().put_many(nodes)


def test_append_returns_indices_and_writes_one_batch() -> None:
    store = RecordingStore()
    log = MerkleLog(store)
    assert log.append(b"first") == 0
    assert log.append_many([b"a", b"b", b"c"]) == range(1, 4)
    assert log.append_many([]) == range(4, 4)
    assert [len(batch) for batch in store.puts] == [1, 6, 0]
    assert store.puts[1] == [
        Node(0, 1, leaf_hash(b"a")),
        Node(1, 0, node_hash(leaf_hash(b"first"), leaf_hash(b"a"))),
        Node(0, 2, leaf_hash(b"b")),
        Node(0, 3, leaf_hash(b"c")),
        Node(1, 1, node_hash(leaf_hash(b"b"), leaf_hash(b"c"))),
        Node(2, 0, log.root()),
    ]


def test_every_perfect_subtree_is_stored_once() -> None:
    store = RecordingStore()
    MerkleLog(store).append_many(REFERENCE_ENTRIES)
    nodes = [node for batch in store.puts for node in batch]
    assert len(nodes) == 2 * 300 - bin(300).count("1")
    assert len({(n.level, n.index) for n in nodes}) == len(nodes)


def test_a_proof_is_one_batched_read(reference_log: MerkleLog) -> None:
    store = RecordingStore()
    log = MerkleLog(store)
    log.append_many(REFERENCE_ENTRIES)
    store.gets.clear()
    log.inclusion_proof(123, 299)
    log.consistency_proof(77, 299)
    log.root(211)
    assert len(store.gets) == 3
    assert max(store.gets) <= 2 * 9


def test_a_log_reopened_on_its_store_continues_the_same_tree(reference_log: MerkleLog) -> None:
    store = InMemoryNodeStore()
    MerkleLog(store).append_many(REFERENCE_ENTRIES[:137])
    reopened = MerkleLog(store)
    assert reopened.size == 137
    reopened.append_many(REFERENCE_ENTRIES[137:])
    assert reopened.root() == reference_log.root()
    assert reopened.consistency_proof(100) == reference_log.consistency_proof(100)


def test_the_store_is_append_only() -> None:
    store = InMemoryNodeStore()
    log = MerkleLog(store)
    log.append(b"x")
    with pytest.raises(ValueError, match="append-only"):
        store.put_many([Node(0, 0, SOME_HASH)])
    with pytest.raises(ValueError, match="append-only"):
        store.put_many([Node(0, 2, SOME_HASH)])
    with pytest.raises(KeyError, match="no node at level 1 index 0"):
        store.get_many([NodeId(1, 0)])


def test_a_second_writer_cannot_fork_the_log() -> None:
    """Two logs over one store (two processes on one database): the stale one's append is refused."""
    store = InMemoryNodeStore()
    first, second = MerkleLog(store), MerkleLog(store)
    first.append(b"one")
    with pytest.raises(ValueError, match="append-only"):
        second.append(b"another")
    assert second.size == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda log: log.inclusion_proof(8), "leaf index 8 is not in a tree of size 8"),
        (lambda log: log.inclusion_proof(3, 3), "leaf index 3 is not in a tree of size 3"),
        (lambda log: log.root(9), "tree size 9 is not between 0 and the log's size 8"),
        (lambda log: log.consistency_proof(5, 4), "old tree size 5 is not between 0 and the new size 4"),
        (lambda log: log.leaf_hash(-1), "leaf index -1 is not in a tree of size 8"),
    ],
)
def test_asking_for_what_the_log_does_not_hold_is_a_value_error(
    vector_log: MerkleLog, call: Callable[[MerkleLog], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(vector_log)
