"""The index's search for the files that mention a name: searching one name at a time finds
exactly the files that splitting every file into words finds (the optimisation is never a
different answer), before and after the search switches to the word table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opsux_lint.analysis import mentions
from opsux_lint.analysis.mentions import WordSearch

NAMES = st.sampled_from(["abc", "_abc", "abc9", "a9abc", "9abc", "x", "é", "", "self", "ab"])
TEXT = st.lists(st.sampled_from(["abc", "_", "9", "a", "x", " ", ".", "é", "\n", "self", "b", "("]), max_size=14).map("".join)


def _table_answer(sources: dict[str, bytes], names: list[str]) -> set[str]:
    table = mentions._word_table(sources)
    return set().union(*(table.get(name.encode("utf-8"), set()) for name in names))


@given(st.dictionaries(st.sampled_from(["m1", "m2", "m3", "m4"]), TEXT.map(lambda t: t.encode("utf-8"))), st.lists(NAMES, max_size=4))
def test_searching_name_by_name_agrees_with_the_word_table(sources: dict[str, bytes], names: list[str]) -> None:
    assert WordSearch(sources).modules(names) == _table_answer(sources, names)


def test_a_name_is_a_whole_token() -> None:
    search = WordSearch({"digits": b"x = 9abc", "longer": b"a9abc + abc9 + _abc", "plain": b"abc()"})
    assert search.modules(["abc"]) == {"digits", "plain"}  # a digit cannot start a token: 9abc holds abc
    assert search.modules(["a9abc", "_abc"]) == {"longer"}
    assert search.modules(["9abc", ""]) == set()


def test_many_names_switch_to_the_word_table_with_the_same_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mentions, "SEARCHES_BEFORE_INDEX", 2)
    sources = {"a": b"import os\nstart(x)", "b": b"restart(y) # start", "c": b"def os_start(): pass"}
    search = WordSearch(sources)
    names = ["start", "os", "restart", "pass", "x", "missing"]
    answers = [search.modules([name]) for name in names]
    assert search._table is not None, "past the threshold the files are split into words once"
    assert answers == [_table_answer(sources, [name]) for name in names]
