"""PMap behaves as an insertion-ordered dict that is never changed in place, and its
versions share their structure (a room's replay window keeps thousands of them)."""

from __future__ import annotations

import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from facilitation.pmap import PMap

pairs = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers()), max_size=40)


@given(initial=pairs, updates=pairs)
def test_a_pmap_is_an_ordered_dict_whose_versions_never_change(
    initial: list[tuple[str, int]], updates: list[tuple[str, int]]
) -> None:
    model = dict(initial)
    pmap = PMap(initial)
    assert pmap == model
    assert list(pmap.items()) == list(model.items())  # insertion order, as a dict
    versions = [(pmap, dict(model))]
    for key, value in updates:
        if value % 3 == 0:  # a third of the updates delete instead
            pmap = pmap.delete(key)
            model.pop(key, None)
        else:
            pmap = pmap.set(key, value)
            model[key] = value
        versions.append((pmap, dict(model)))
    for version, expected in versions:  # every earlier version is as it was
        assert list(version.items()) == list(expected.items())
        assert list(version.values()) == list(expected.values())
        assert list(version.items()) == list(expected.items())  # listed once, kept
        assert len(version) == len(expected)
        for key in "abcdefghz":
            assert (key in version) == (key in expected)
            assert version.get(key) == expected.get(key)
            assert version.get(key, -1) == expected.get(key, -1)


def test_built_from_a_mapping_or_pairs_and_shown_as_a_dict() -> None:
    assert PMap({"b": 1, "a": 2}) == PMap([("b", 1), ("a", 2)]) == {"b": 1, "a": 2}
    assert list(PMap([("b", 1), ("a", 2), ("b", 3)])) == ["b", "a"]  # a key keeps its place
    assert PMap({"a": 1})["a"] == 1
    assert repr(PMap({"a": 1})) == "PMap({'a': 1})"
    assert PMap() == {}
    assert PMap({"a": 1}) != {"a": 2}


def test_versions_share_their_structure() -> None:
    # 3,000 versions of a 2,000-entry map, all kept, as a room's window keeps its states:
    # as dict copies they would hold 6 million entries (about 300 MB).
    base = PMap((f"p{i}", i) for i in range(2000))
    tracemalloc.start()
    try:
        versions = [base]
        for i in range(3000):
            versions.append(versions[-1].set(f"p{i % 2000}", -i))
        used, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(versions[-1]) == 2000
    assert used < 20 * 1024 * 1024
