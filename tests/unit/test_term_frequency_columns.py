"""`TermFrequencies.of`: one column's repeated values, split from all columns once."""

from __future__ import annotations

import pandas as pd

from matching.term_frequencies import TermFrequencies


def test_each_column_gets_its_own_rows_and_an_unknown_column_none() -> None:
    counts = pd.DataFrame(
        {
            "column": ["email", "phone", "email", "postcode"],
            "hash": ["a1", "b1", "a2", "c1"],
            "n": [3, 2, 5, 9],
        }
    )
    tf = TermFrequencies(counts, {"email": 10, "phone": 4, "postcode": 20})
    assert tf.of("email").to_dict("list") == {"hash": ["a1", "a2"], "n": [3, 5]}
    assert tf.of("phone").to_dict("list") == {"hash": ["b1"], "n": [2]}
    # Asked again, the same rows (split once, kept).
    assert tf.of("email") is tf.of("email")
    unknown = tf.of("dob")
    assert list(unknown.columns) == ["hash", "n"] and unknown.empty


def test_no_counts_at_all() -> None:
    tf = TermFrequencies(pd.DataFrame({"column": [], "hash": [], "n": []}), {})
    assert tf.of("email").empty and list(tf.of("email").columns) == ["hash", "n"]
