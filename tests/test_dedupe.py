"""Dedupe: exact hashes tell unchanged from revised; signatures find syndicated copies."""

from __future__ import annotations

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.dedupe import (
    NUM_PERM,
    SCHEME,
    SEED,
    NearDuplicates,
    content_hash,
    lsh_shape,
    shingles,
    signature,
    similarity,
)

RELEASE = "\n".join(
    [
        "Hong Kong Science and Technology Parks Corporation announced today that more than "
        "1,100 technology companies now operate across Science Park, the InnoCentre and the "
        "three industrial estates in Tai Po, Tseung Kwan O and Yuen Long.",
        "The corporation said its incubation programmes admitted a record number of start-ups "
        "this year, with particular growth in biotechnology, artificial intelligence and "
        "robotics.",
        "Its chief executive said new laboratory space would open to tenants next spring, "
        "giving research teams shared clean rooms and testing equipment.",
    ]
)
# What a press wire makes of it: its own dateline in front, its own "About" paragraph after.
SYNDICATED = (
    "HONG KONG, March 5, 2024 /Example Wire/ -- "
    + RELEASE
    + "\nAbout Example Wire\nExample Wire distributes press releases from organisations across "
    "Asia to newsrooms, investors and the public. For more information visit our website."
)
UNRELATED = (
    "The city council voted on Monday to extend the bus lane on the harbour road by two "
    "kilometres, citing rush-hour delays that commuters have complained about for years.\n"
    "Opponents said the change would push delivery vans onto side streets, and shop owners "
    "asked for loading bays near the market."
)

RELEASE_ZH = (
    "香港科技園公司今日宣布，香港科學園的培育計劃本年度共錄取超過一百間初創企業，創歷年新高。\n"
    "科學園現時匯聚逾一千一百間科技公司，研發人員超過一萬三千名，涵蓋生物醫藥、人工智能及金融科技等領域。"
)
SYNDICATED_ZH = (
    "【本報訊】二〇二四年三月五日香港電——"
    + RELEASE_ZH
    + "\n關於本通訊社：本社為亞洲各地機構向傳媒及公眾發布新聞稿。"
)
UNRELATED_ZH = (
    "政府今日公布，港鐵新線將於明年通車，沿線設有五個車站，預計每日載客量達十萬人次。"
    "運輸署表示會調整巴士路線配合，並呼籲市民留意最新安排。"
)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Science Park  opened\n\na lab.", "Science Park opened a lab."),
        ("  leading and trailing\t", "leading and trailing"),
        ("tabs\tand\r\nCRLF", "tabs and CRLF"),
        ("香港科學園\n今日宣布", "香港科學園 今日宣布"),
    ],
)
def test_content_hash_of_text_ignores_whitespace(one: str, other: str) -> None:
    assert content_hash(one) == content_hash(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("over 1,100 companies", "over 1,200 companies"),
        ("Science Park", "SciencePark"),
        ("Science Park", "science park"),
    ],
)
def test_content_hash_tells_changed_text(one: str, other: str) -> None:
    assert content_hash(one) != content_hash(other)


def test_content_hash_of_bytes_is_exact() -> None:
    assert content_hash(b"<p>a</p>") != content_hash(b"<p>a</p>\n")
    assert content_hash(b"<p>a</p>") == content_hash(b"<p>a</p>")


@pytest.mark.parametrize(
    ("original", "copy"),
    [(RELEASE, SYNDICATED), (RELEASE_ZH, SYNDICATED_ZH)],
    ids=["english", "chinese"],
)
def test_a_syndicated_copy_is_similar(original: str, copy: str) -> None:
    assert similarity(signature(original), signature(copy)) > 0.5


@pytest.mark.parametrize(
    ("one", "other"),
    [(RELEASE, UNRELATED), (RELEASE_ZH, UNRELATED_ZH), (RELEASE, RELEASE_ZH)],
    ids=["english", "chinese", "across-languages"],
)
def test_unrelated_texts_are_not_similar(one: str, other: str) -> None:
    assert similarity(signature(one), signature(other)) < 0.2


def test_signature_is_stable_bytes() -> None:
    """Signatures are stored: the same text must give the same bytes in any process."""
    sig = signature(RELEASE)
    assert isinstance(sig, bytes)
    assert sig == signature(RELEASE)
    assert similarity(sig, sig) == 1.0


def _datasketch_signature(text: str) -> bytes:
    """What the stored signatures were made with: datasketch's own MinHash."""
    minhash = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME)
    minhash.update_batch([gram.encode("utf-8") for gram in shingles(text)])
    return bytes(minhash.hashvalues.astype(np.uint64).tobytes())


WORDS = ["science", "park", "HKSTP", "1,700", "startups", "科技園", "公司", "初創", "€5m", ""]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=80).map(" ".join))
def test_signature_is_the_minhash_datasketch_makes(text: str) -> None:
    """Signatures stored by earlier crawls must stay comparable with new ones."""
    assert signature(text) == _datasketch_signature(text)


@pytest.mark.parametrize("text", ["", "   ", "one", RELEASE, RELEASE_ZH, SYNDICATED_ZH])
def test_signature_of_short_empty_and_chinese_text_is_datasketchs(text: str) -> None:
    assert signature(text) == _datasketch_signature(text)


@pytest.mark.parametrize("threshold", [n / 100 for n in range(1, 99)])
def test_the_index_is_shaped_and_keyed_as_datasketchs(threshold: float) -> None:
    """The shared index in Redis is datasketch's: the in-memory one must band a signature
    the same way, so a page's bands (and the write locks named after them) agree."""
    theirs = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    assert lsh_shape(threshold) == (theirs.b, theirs.r)
    sig = signature(RELEASE)
    values = LeanMinHash(seed=SEED, hashvalues=np.frombuffer(sig, np.uint64), scheme=SCHEME)
    expected = [theirs._H(values.hashvalues[start:end]) for start, end in theirs.hashranges]
    assert NearDuplicates(threshold)._band_values(sig) == expected


def test_signature_ignores_case_and_punctuation() -> None:
    assert signature("Science Park, opened: a LAB!") == signature("science park opened a lab")


def test_near_duplicates_finds_the_release_of_a_copy() -> None:
    index = NearDuplicates(threshold=0.5)
    index.add_all([("release", signature(RELEASE)), ("buses", signature(UNRELATED))])
    index.add("release-zh", signature(RELEASE_ZH))
    assert index.matches(signature(SYNDICATED)) == ["release"]
    assert index.matches(signature(SYNDICATED_ZH)) == ["release-zh"]
    assert index.matches(signature("Nothing alike: a recipe for steamed fish with ginger.")) == []


def test_near_duplicates_orders_matches_most_similar_first() -> None:
    index = NearDuplicates(threshold=0.5)
    index.add("copy", signature(SYNDICATED))
    index.add("release", signature(RELEASE))
    assert index.matches(signature(RELEASE)) == ["release", "copy"]


def test_re_adding_a_key_replaces_its_signature() -> None:
    index = NearDuplicates(threshold=0.5)
    index.add(1, signature(RELEASE))
    index.add(1, signature(UNRELATED))  # the article was revised into something else
    assert index.matches(signature(SYNDICATED)) == []
    assert index.matches(signature(UNRELATED)) == [1]


def _family(seed: int) -> list[bytes]:
    """Signatures agreeing with a base on their first k values and random after, for k of
    0, 5, 40, 64, 100 and 128: any two of them with k >= 5 share the index's first band
    (5 rows at 0.5), so whether the index matches them depends on their similarity alone."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**32, NUM_PERM, dtype=np.uint64)
    family = []
    for k in (0, 5, 40, 64, 100, 128):
        values = base.copy()
        values[k:] = rng.integers(0, 2**32, NUM_PERM - k, dtype=np.uint64)
        family.append(values.tobytes())
    return family


POOL = _family(1) + _family(2)


def _held(index: NearDuplicates) -> list[dict[bytes, set]]:
    """Each band's buckets as sets of keys, however the index keeps them."""
    return [
        {band: set(held) if isinstance(held, list) else {held} for band, held in bucket.items()}
        for bucket in index._buckets
    ]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(POOL)), max_size=40))
def test_the_index_matches_what_it_holds_after_any_adds_and_revisions(
    adds: list[tuple[int, bytes]],
) -> None:
    """Pages added, copies sharing buckets, pages revised into others and back: the index
    finds exactly the pages whose current signature is similar enough, most similar first,
    and forgets what a revised page said before."""
    assert lsh_shape(0.5) == (25, 5)  # the families above are built for this shape
    index = NearDuplicates(threshold=0.5)
    current: dict[int, bytes] = {}
    for key, sig in adds:
        index.add(key, sig)
        current[key] = sig
    assert len(index) == len(current)
    fresh = NearDuplicates(threshold=0.5)
    fresh.add_all(current.items())
    assert _held(index) == _held(fresh)  # nothing left of what revised pages said before
    for sig in POOL:
        found = index.matches(sig)
        expected = {k for k, held in current.items() if similarity(sig, held) >= 0.5}
        assert set(found) == expected and len(found) == len(expected)
        scores = [similarity(sig, current[k]) for k in found]
        assert scores == sorted(scores, reverse=True)
