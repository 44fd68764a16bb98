"""Probabilistic matching with Splink: training, prediction, incremental matching, the
spec and the model store, on a small seeded synthetic population with known truth."""

from __future__ import annotations

import json
import logging
import math
import random
from collections import OrderedDict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from matching import probabilistic
from matching.model_store import ModelNotFound, ModelStore, NoCurrentModel
from matching.probabilistic import (
    OUTPUT_COLUMNS,
    DuplicateRecordIds,
    IndexModelMismatch,
    MatchIndex,
    MissingColumns,
    NotEnoughRecords,
    TrainedModel,
    blocking_report,
    fill_untrained_m,
    inline_plain_concat_ctes,
    predict,
    refit_prior,
    term_frequencies,
    train,
)
from matching.splink_settings import (
    BlockingRuleSpec,
    ComparisonSpec,
    KeyPart,
    MatchingSpec,
    blocking_keys_select_sql,
    build_settings,
    default_spec,
    hub_values_sql,
)

pytestmark = pytest.mark.unit

# --- synthetic people with noisy duplicates ------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


GIVEN = _words(
    "james john robert michael william david richard joseph thomas charles christopher "
    "daniel matthew anthony mark steven paul andrew joshua kenneth kevin brian george "
    "timothy ronald jason edward jeffrey ryan jacob gary nicholas eric jonathan stephen "
    "larry justin scott brandon benjamin samuel gregory alexander patrick frank raymond jack "
    "dennis jerry tyler aaron jose adam nathan henry douglas zachary peter kyle noah ethan "
    "jeremy walter christian keith roger terry austin sean gerald carl harold dylan arthur "
    "lawrence jordan jesse bryan mary patricia jennifer linda elizabeth barbara susan "
    "jessica sarah karen lisa nancy betty sandra margaret ashley kimberly emily donna "
    "michelle carol amanda melissa deborah stephanie dorothy rebecca sharon laura cynthia "
    "amy kathleen angela shirley brenda emma anna pamela nicole samantha katherine christine "
    "helen debra rachel carolyn janet maria catherine heather diane olivia julie joyce "
    "victoria ruth virginia lauren kelly christina joan evelyn judith andrea hannah megan "
    "cheryl jacqueline martha madison teresa gloria sara abigail sophia frances alice judy "
    "isabella julia grace amber denise danielle charlotte natalie lachlan isla mia ava chloe "
    "ruby zoe sienna matilda willow harper hamish angus callum declan liam oliver lucas leo "
    "charlie archie cooper wei jun ming minh tuan priya"
)
NICKNAMES = {
    "william": ("bill", "will", "liam"),
    "robert": ("bob", "rob"),
    "richard": ("rick", "rich"),
    "james": ("jim", "jamie"),
    "john": ("jack", "johnny"),
    "michael": ("mike", "mick"),
    "thomas": ("tom",),
    "christopher": ("chris",),
    "daniel": ("dan",),
    "matthew": ("matt",),
    "anthony": ("tony",),
    "andrew": ("andy", "drew"),
    "elizabeth": ("liz", "beth"),
    "jennifer": ("jen", "jenny"),
    "margaret": ("maggie", "peggy"),
    "katherine": ("kate", "kathy"),
    "rebecca": ("becky", "bec"),
    "samantha": ("sam",),
    "victoria": ("vicky", "tori"),
    "deborah": ("deb", "debbie"),
}
_SYL1 = _words(
    "bar ben bro car chal cor dal dun el far fen gar gil hal har hol kel ken lan lar mac mal "
    "mar mor nor pal par pen ram ros sal san sel sta tal ter thor val war wes wil win york "
    "ash bel bur cam cla dra ever fair grim hart kings lock mer ox pem quin red stan tre ul"
)
_SYL2 = _words(
    "ton ley son ford well wood field man ham worth by more stone land brook hurst ridge "
    "croft dale ling low wick cott mont ers ett ins kin sby bourne gate shaw ster"
)
COMMON_FAMILY = _words(
    "smith jones williams brown wilson taylor johnson white martin anderson thompson nguyen "
    "thomas walker harris lee ryan robinson kelly king davis wright evans roberts green hall "
    "wood jackson clarke patel khan lewis james phillips mitchell turner campbell scott "
    "edwards young hughes murphy cooper stewart baker wang li zhang chen liu tran le pham"
)
STREETS = ("st", "rd", "ave", "cres", "ct", "pl", "dr", "pde", "hwy", "lane")
DOMAINS = ("gmail.com", "hotmail.com", "outlook.com", "yahoo.com.au", "bigpond.com")
SOURCES = ("shop", "crm", "pos", "loyalty", "web")
COLUMNS = _words(
    "unique_id source given_name family_name dob postcode address city email email_local "
    "phone membership_no person_id"
)


def _zipf(n: int, offset: float) -> np.ndarray:
    weights = 1.0 / (np.arange(n) + offset)
    return np.asarray(weights / weights.sum())


def _family_names() -> list[str]:
    tail = [a + b for a in _SYL1 for b in _SYL2]
    tail += [a + v + b for v in "aeio" for a in _SYL1 for b in _SYL2]
    return list(dict.fromkeys([*COMMON_FAMILY, *tail]))


def _typo(rng: random.Random, s: str) -> str:
    if len(s) < 3:
        return s
    i = rng.randrange(1, len(s) - 1)
    op = rng.random()
    if op < 0.33:
        return s[:i] + s[i + 1 :]
    if op < 0.66:
        return s[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + s[i + 1 :]
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _noisy_dob(rng: random.Random, dob: str) -> str | None:
    r = rng.random()
    if r < 0.15:
        return None
    if r < 0.19:
        pos = rng.choice((2, 3, 5, 6, 8, 9))
        typo = dob[:pos] + str(rng.randrange(10)) + dob[pos + 1 :]
        try:
            return date.fromisoformat(typo).isoformat()
        except ValueError:
            return dob
    if r < 0.21 and int(dob[8:10]) <= 12:
        return f"{dob[:4]}-{dob[8:10]}-{dob[5:7]}"
    return dob


def _unique(email: str, taken: set[str]) -> str:
    """An address nobody else has yet: mailbox providers do not hand one out twice."""
    local, domain = email.split("@")
    n = 1
    while email in taken:
        n += 1
        email = f"{local}{n}@{domain}"
    taken.add(email)
    return email


def make_people(n_records: int, seed: int = 42) -> pd.DataFrame:
    """Records of synthetic people, 1-5 records each, with the true `person_id`.

    Every record is a noisy view of its person: typos, nicknames, swapped given/family
    names, missing or mistyped dates of birth, other or missing emails and phones,
    moves. Email addresses are unique to a person, as real ones are. About a third of
    the people share a household (family name, address, often the landline) with the
    previous person: the hard non-matches.
    """
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    family = _family_names()
    postcodes = [str(p) for p in sorted(nrng.choice(np.arange(2000, 8000), 2500, replace=False))]
    p_postcode = _zipf(len(postcodes), 20.0)
    cities = {
        pc: _SYL1[int(pc) % len(_SYL1)] + _SYL2[int(pc) // 7 % len(_SYL2)] for pc in postcodes
    }
    n_people = n_records  # an upper bound: every person has at least one record
    given_idx = nrng.choice(len(GIVEN), int(n_people), p=_zipf(len(GIVEN), 15.0))
    family_idx = nrng.choice(len(family), int(n_people), p=_zipf(len(family), 60.0))
    postcode_idx = nrng.choice(len(postcodes), int(n_people), p=p_postcode)
    copies = nrng.choice((1, 2, 3, 4, 5), int(n_people), p=(0.55, 0.25, 0.12, 0.05, 0.03))
    next_id = dict.fromkeys(SOURCES, 0)
    rows: list[tuple[object, ...]] = []
    household: tuple[str, str, str, str, str] | None = None
    taken: set[str] = set()
    person = 0
    while len(rows) < n_records:
        given, fam = GIVEN[given_idx[person]], family[family_idx[person]]
        if household is not None and rng.random() < 0.5:
            fam, pc, address, city, landline = household
            phone = landline if rng.random() < 0.3 else f"+614{rng.randrange(10**8):08d}"
            household = None
        else:
            pc = postcodes[postcode_idx[person]]
            address = f"{rng.randint(1, 300)} {rng.choice(family)} {rng.choice(STREETS)}"
            city = cities[pc]
            phone = f"+614{rng.randrange(10**8):08d}"
            household = (fam, pc, address, city, phone)
        dob = (date(1940, 1, 1) + timedelta(days=rng.randrange(66 * 365))).isoformat()
        style = rng.random()
        if style < 0.4:
            local = f"{given}{fam}"
        elif style < 0.7:
            local = f"{given[0]}{fam}{rng.randint(1, 99)}"
        else:
            local = f"{fam}{given[:3]}{rng.randint(1, 999)}"
        email = _unique(f"{local}@{rng.choice(DOMAINS)}", taken)
        for _ in range(int(copies[person])):
            if len(rows) >= n_records:
                break
            source = rng.choice(SOURCES)
            next_id[source] += 1
            g, f = given, fam
            r = rng.random()
            if r < 0.06 and given in NICKNAMES:
                g = rng.choice(NICKNAMES[given])
            elif r < 0.14:
                g = _typo(rng, g)
            if rng.random() < 0.07:
                f = _typo(rng, f)
            if rng.random() < 0.025:
                g, f = f, g
            e: str | None = email
            r = rng.random()
            if r < 0.35:
                e = None
            elif r < 0.43:
                e = _unique(f"{g}.{f}{rng.randint(1, 99)}@{rng.choice(DOMAINS)}", taken)
            ph: str | None = phone
            r = rng.random()
            if r < 0.35:
                ph = None
            elif r < 0.42:
                ph = f"+614{rng.randrange(10**8):08d}"
            p_pc: str | None = pc
            p_addr: str | None = address
            p_city: str | None = city
            r = rng.random()
            if r < 0.12:
                p_pc = postcodes[nrng.choice(len(postcodes), p=p_postcode)] if r < 0.1 else None
                p_addr = f"{rng.randint(1, 300)} {rng.choice(family)} {rng.choice(STREETS)}"
                p_city = cities.get(p_pc or "")
            elif r < 0.25:
                p_addr = None
            elif r < 0.3:
                p_addr = _typo(rng, address)
            member = f"M{person:08d}" if rng.random() < 0.3 else None
            rows.append(
                (
                    f"{source}:{next_id[source]}",
                    source,
                    g,
                    f,
                    _noisy_dob(rng, dob),
                    p_pc,
                    p_addr,
                    p_city,
                    e,
                    e.split("@")[0] if e else None,
                    ph,
                    member,
                    person,
                )
            )
        person += 1
    return pd.DataFrame(rows, columns=COLUMNS)


def true_pairs(records: pd.DataFrame) -> set[tuple[str, str]]:
    """Every pair of records of the same person, each as (smaller id, larger id)."""
    pairs: set[tuple[str, str]] = set()
    for ids in records.groupby("person_id")["unique_id"].agg(sorted):
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return pairs


def pair_set(scored: pd.DataFrame) -> set[tuple[str, str]]:
    return {(min(a, b), max(a, b)) for a, b in zip(scored.rid_l, scored.rid_r, strict=True)}


# --- fixtures ------------------------------------------------------------------------------

MEMBERSHIP = ComparisonSpec(column="membership_no", kind="exact", blocking=True)


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return make_people(2000, seed=7)


@pytest.fixture(scope="module")
def model(people: pd.DataFrame) -> TrainedModel:
    # Small u sample: the point is the mechanics, and it keeps the suite fast.
    return train(people, default_spec(MEMBERSHIP), seed=42, u_max_pairs=2e5, em_max_pairs=5e5)


@pytest.fixture(scope="module")
def scored(model: TrainedModel, people: pd.DataFrame) -> pd.DataFrame:
    return predict(model, people, threshold_probability=0.0)


@pytest.fixture(scope="module")
def batch(people: pd.DataFrame) -> pd.DataFrame:
    """200 records picked at random: the new batch; the other 1800 are existing."""
    return people.sample(200, random_state=3)


@pytest.fixture
def index(model: TrainedModel, people: pd.DataFrame, batch: pd.DataFrame) -> Iterator[MatchIndex]:
    with MatchIndex(model, people.drop(batch.index)) as idx:
        yield idx


# --- training and full dedupe --------------------------------------------------------------


def test_training_produces_a_versioned_model(model: TrainedModel) -> None:
    assert len(model.version) == 16
    assert model.record_count == 2000
    names = [c["output_column_name"] for c in model.settings["comparisons"]]
    assert names == [
        "given_name_family_name",
        "dob",
        "address_postcode",
        "email",
        "phone",
        "membership_no",
    ]
    assert 1e-5 < model.probability_two_random_records_match < 1e-2


def test_trained_prior_is_near_the_true_share_of_matching_pairs(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    sizes = people.groupby("person_id").size()
    n = len(people)
    truth = float((sizes * (sizes - 1) / 2).sum()) / (n * (n - 1) / 2)
    assert truth / 2 < model.probability_two_random_records_match < truth * 2


def test_every_level_but_the_last_is_trained_or_filled(model: TrainedModel) -> None:
    # Levels that no random pair reached have no u, and so no Bayes factor to fill.
    for comparison in model.settings["comparisons"]:
        levels = [lvl for lvl in comparison["comparison_levels"] if not lvl.get("is_null_level")]
        for level in levels[:-1]:
            if not isinstance(level.get("u_probability"), float):
                continue
            assert isinstance(level.get("m_probability"), float), (
                comparison["output_column_name"],
                level["label_for_charts"],
            )


def test_refit_prior_recovers_the_mixing_weight() -> None:
    # 100 clear matches and 5000 clear non-matches among the blocked pairs of 1e6 pairs.
    prior = refit_prior([20.0, -8.0], [100, 5000], 1e6, start=1e-6)
    assert prior == pytest.approx(1e-4, rel=0.02)
    # Pairs with no evidence either way count for their (small) match probability.
    neutral = refit_prior([20.0, 0.0], [100, 100], 1e6, start=1e-2)
    assert prior < neutral < prior * 1.001


def test_refit_prior_without_pairs_keeps_the_start() -> None:
    assert refit_prior([], [], 1e6, start=3e-5) == 3e-5


def _level(label: str, m: float | str | None, u: float | None) -> dict[str, Any]:
    level: dict[str, Any] = {"label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if u is not None:
        level["u_probability"] = u
    return level


def test_untrained_levels_take_the_bayes_factor_of_the_next_trained_level_below() -> None:
    settings: dict[str, Any] = {
        "comparisons": [
            {
                "output_column_name": "dob",
                "comparison_levels": [
                    {"label_for_charts": "Null", "is_null_level": True},
                    _level("Exact", 0.9, 0.001),
                    _level("Swapped", None, 1e-5),
                    _level("Typo", "level not observed", 0.002),
                    _level("Within a year", 0.08, 0.04),
                    _level("No u", None, None),
                    _level("All other", None, 0.9),
                ],
            }
        ]
    }
    filled = fill_untrained_m(settings)
    assert filled == [("dob", "Swapped"), ("dob", "Typo")]
    levels = settings["comparisons"][0]["comparison_levels"]
    assert levels[2]["m_probability"] == pytest.approx(2e-5)
    assert levels[3]["m_probability"] == pytest.approx(0.004)
    assert "m_probability" not in levels[5]
    assert "m_probability" not in levels[6]


def test_training_is_reproducible(people: pd.DataFrame) -> None:
    sample = people.iloc[:600]
    first = train(sample, seed=1, u_max_pairs=5e4, em_max_pairs=1e5)
    again = train(sample, seed=1, u_max_pairs=5e4, em_max_pairs=1e5)
    assert first.version == again.version
    assert first.settings_json == again.settings_json


def test_training_on_records_without_duplicates(people: pd.DataFrame) -> None:
    # One record per person (a single clean source, FEBRL's dataset4a): no pair passes
    # the strict rules or an EM block. Training still gives a usable model.
    unique = people.drop_duplicates("person_id").iloc[:600]
    model = train(unique, seed=1, u_max_pairs=5e4, em_max_pairs=1e5)
    assert 0 < model.probability_two_random_records_match < 1e-3
    assert predict(model, unique, threshold_probability=0.95).empty


def test_known_duplicates_score_high_and_non_duplicates_low(
    scored: pd.DataFrame, people: pd.DataFrame
) -> None:
    truth = true_pairs(people)
    is_true = np.array(
        [(min(a, b), max(a, b)) in truth for a, b in zip(scored.rid_l, scored.rid_r, strict=True)]
    )
    probability = scored.match_probability.to_numpy()
    matches, others = probability[is_true], probability[~is_true]
    assert np.median(matches) > 0.99
    assert np.median(others) < 0.01
    accepted = pair_set(scored[scored.match_probability >= 0.95])
    precision = len(accepted & truth) / len(accepted)
    recall = len(accepted & truth) / len(truth)
    assert precision > 0.85
    assert recall > 0.85


def test_a_typo_in_an_email_keeps_its_numbers_and_namesakes_emails_differ_in_theirs(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    record = {
        **people.iloc[0].to_dict(),
        "given_name": "amelia",
        "family_name": "zabriskie",
        "email": "ameliazabriskie78@gmail.com",
        "email_local": "ameliazabriskie78",
    }
    others = [
        {
            **record,
            "unique_id": "x:typo",
            "email": "ameliazabriksie78@gmail.com",
            "email_local": "ameliazabriksie78",
        },
        {
            **record,
            "unique_id": "x:namesake",
            "email": "ameliazabriskie66@gmail.com",
            "email_local": "ameliazabriskie66",
        },
    ]
    scored = predict(
        model, pd.DataFrame([record, *others]), threshold_probability=0.0, family_rule=False
    )
    level = {
        frozenset((r.rid_l, r.rid_r)): json.loads(r.evidence)["email"]["level"]
        for r in scored.itertuples()
    }
    rid = record["unique_id"]
    assert level[frozenset((rid, "x:typo"))] == "Jaro-Winkler >= 0.88, same numbers"
    # Two addresses built from one name with two numbers: two addresses, not a typo.
    assert level[frozenset((rid, "x:namesake"))] == "All other"


def test_full_dedupe_pairs_are_unique_and_never_self(scored: pd.DataFrame) -> None:
    assert tuple(scored.columns) == OUTPUT_COLUMNS
    assert not (scored.rid_l == scored.rid_r).any()
    assert len(pair_set(scored)) == len(scored)


def test_same_source_duplicates_are_matched(model: TrainedModel, people: pd.DataFrame) -> None:
    record = people.iloc[0].to_dict()
    # The same source, another id, a typo: a duplicate inside one source system.
    twin = {
        **record,
        "unique_id": f"{record['source']}:dup",
        "given_name": "x" + record["given_name"],
    }
    scored = predict(model, pd.DataFrame([record, twin]), people.iloc[1:])
    pair = scored[scored.rid_l.isin([record["unique_id"], twin["unique_id"]])]
    pair = pair[pair.rid_r.isin([record["unique_id"], twin["unique_id"]])]
    assert len(pair) == 1
    assert pair.match_probability.iloc[0] > 0.95


def test_nicknames_with_the_same_family_name_have_a_level(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    record = {**people.iloc[0].to_dict(), "given_name": "william", "family_name": "zabriskie"}
    others = [
        {**record, "unique_id": "x:bill", "given_name": "bill"},  # the maintained list
        {**record, "unique_id": "x:walter", "given_name": "walter"},
    ]
    scored = predict(
        model, pd.DataFrame([record, *others]), threshold_probability=0.0, family_rule=False
    )
    level = {
        (r.rid_l, r.rid_r): json.loads(r.evidence)["given_name_family_name"]["level"]
        for r in scored.itertuples()
    }
    rid = record["unique_id"]
    assert level.get((rid, "x:bill"), level.get(("x:bill", rid))) == "Nickname, same family name"
    assert level.get((rid, "x:walter"), level.get(("x:walter", rid))) == "Family name only"


def test_evidence_has_a_level_and_bayes_factor_per_comparison(
    scored: pd.DataFrame, model: TrainedModel
) -> None:
    names = {c["output_column_name"] for c in model.settings["comparisons"]}
    labels = {
        c["output_column_name"]: {lvl["label_for_charts"] for lvl in c["comparison_levels"]}
        for c in model.settings["comparisons"]
    }
    for raw in scored.evidence.head(200):
        evidence = json.loads(raw)
        assert set(evidence) == names
        for name, item in evidence.items():
            assert item["level"] in labels[name]
            assert item["bf"] > 0
    top = json.loads(scored.sort_values("match_weight").evidence.iloc[-1])
    assert top["given_name_family_name"]["bf"] > 1


def test_declared_extra_column_is_compared_and_blocked(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    assert "membership_no" not in json.dumps(
        build_settings(default_spec()).create_settings_dict("duckdb")
    )
    base = {c: None for c in people.columns}
    left = {
        **base,
        "unique_id": "crm:a",
        "given_name": "zebedee",
        "family_name": "quill",
        "membership_no": "M-1",
    }
    right = {
        **base,
        "unique_id": "pos:b",
        "given_name": "zeb",
        "family_name": "quil",
        "membership_no": "M-1",
    }
    scored = predict(model, pd.DataFrame([left, right]), threshold_probability=0.0)
    assert len(scored) == 1
    evidence = json.loads(scored.evidence.iloc[0])
    assert evidence["membership_no"]["level"] == "Exact match"
    assert evidence["membership_no"]["bf"] > 100


# --- incremental matching ------------------------------------------------------------------


def test_incremental_predict_pairs_new_with_new_and_existing_only(
    model: TrainedModel, people: pd.DataFrame, batch: pd.DataFrame
) -> None:
    existing = people.drop(batch.index)
    scored = predict(model, batch, existing, threshold_probability=0.5)
    new_ids, old_ids = set(batch.unique_id), set(existing.unique_id)
    pairs = list(zip(scored.rid_l, scored.rid_r, strict=True))
    assert all(left in new_ids for left, _ in pairs)
    assert any(right in old_ids for _, right in pairs)
    assert any(right in new_ids for _, right in pairs)
    # The pairs the full dedupe finds that touch the batch are found here too.
    full = pair_set(predict(model, people, threshold_probability=0.5))
    touching = {p for p in full if p[0] in new_ids or p[1] in new_ids}
    assert len(touching & pair_set(scored)) >= 0.95 * len(touching)


def test_match_index_matches_a_batch_and_then_indexes_it(
    index: MatchIndex, model: TrainedModel, people: pd.DataFrame, batch: pd.DataFrame
) -> None:
    first = index.match(batch)
    assert set(first.rid_l) <= set(batch.unique_id)
    assert not first.rid_r.isin(batch.unique_id).all()
    # The second batch replays the recorded SQL: same answer as the first.
    pd.testing.assert_frame_equal(index.match(batch), first)
    assert len(index) == 1800
    assert index.add(batch) == 200
    assert len(index) == 2000
    resent = batch.assign(unique_id=batch.unique_id + "-again")
    again = index.match(resent)
    # Each re-sent record now finds its original among the indexed ones.
    found = set(zip(again.rid_l, again.rid_r, strict=True))
    originals = set(zip(resent.unique_id, batch.unique_id, strict=True))
    assert len(found & originals) >= 0.95 * len(originals)


def test_an_index_replays_the_sql_another_index_of_its_model_recorded(
    model: TrainedModel,
    people: pd.DataFrame,
    batch: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    existing = people.drop(batch.index)
    monkeypatch.setattr(probabilistic, "_SHARED_PLANS", OrderedDict())
    with MatchIndex(model, existing) as first:
        expected = first.match(batch)

    def generate(*_: object, **__: object) -> None:
        raise AssertionError("Splink generated the SQL again")

    # A process's next index (a warm `cdp run --watch` opens one per batch) replays it.
    monkeypatch.setattr(MatchIndex, "_score_with_splink", generate)
    with MatchIndex(model, existing) as second:
        pd.testing.assert_frame_equal(second.match(batch), expected)
    # Another model's SQL is its own.
    other = model.model_copy(update={"version": "1" * 16})
    with MatchIndex(other, existing) as third, pytest.raises(AssertionError, match="generated"):
        third.match(batch)


def test_match_index_survives_in_a_file(
    model: TrainedModel, people: pd.DataFrame, batch: pd.DataFrame, tmp_path: Path
) -> None:
    path = tmp_path / "index.duckdb"
    with MatchIndex(model, people.drop(batch.index), database=path) as idx:
        before = idx.match(batch)
    with MatchIndex(model, database=path) as idx:
        assert len(idx) == 1800
        after = idx.match(batch)
    pd.testing.assert_frame_equal(before, after)
    other = model.model_copy(update={"version": "0" * 16})
    with pytest.raises(IndexModelMismatch):
        MatchIndex(other, database=path)


@pytest.mark.parametrize("frozen", [True, False], ids=["frozen_tf", "live_tf"])
@pytest.mark.parametrize("family_rule", [True, False], ids=["family_rule", "every_pair"])
def test_scoring_every_indexed_record_gives_the_full_dedupe(
    model: TrainedModel, people: pd.DataFrame, tmp_path: Path, frozen: bool, family_rule: bool
) -> None:
    tf = term_frequencies(model, people) if frozen else None
    expected = predict(
        model, people, threshold_probability=0.5, family_rule=family_rule, term_frequencies=tf
    )
    path = tmp_path / "index.duckdb"
    with MatchIndex(model, people, database=path, term_frequencies=tf) as idx:
        with idx.score_all(threshold_probability=0.5, family_rule=family_rule) as pairs:
            slices = list(pairs.batches(rows=300))
        # Its scratch tables dropped, the index matches a batch as one built for it does.
        assert len(idx) == 2000
        later = idx.match(people.head(50))
    assert len(slices) > 1
    got = pd.concat(slices, ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=0, atol=1e-9)
    with MatchIndex(model, people, term_frequencies=tf) as fresh:
        pd.testing.assert_frame_equal(later, fresh.match(people.head(50)))


def test_predictions_carry_no_blocking_key_and_score_alike(
    model: TrainedModel, people: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    def score() -> tuple[set[str], pd.DataFrame]:
        with MatchIndex(model, people) as idx, idx.score_all(threshold_probability=0.5) as pairs:
            con = idx._con
            tables = [t for (t,) in con.execute("show tables").fetchall() if "df_predict" in t]
            columns = {c for t in tables for c in probabilistic._columns_of(con, t)}
            return columns, pd.concat(list(pairs.batches()), ignore_index=True)

    columns, got = score()
    assert columns and not any(c.startswith("bk_") for c in columns)
    # What is read after scoring stays: levels, weights, the names the family rule compares.
    assert {"gamma_dob", "mw_dob", "given_name_l", "family_name_r"} <= columns
    monkeypatch.setattr(probabilistic, "_retain_no_blocking_keys", lambda linker: None)
    columns_before, expected = score()
    assert any(c.startswith("bk_") for c in columns_before)
    assert len(got) > 100
    pd.testing.assert_frame_equal(got, expected)


def test_scoring_an_empty_index_gives_no_pairs(model: TrainedModel) -> None:
    with MatchIndex(model) as idx, idx.score_all() as pairs:
        assert [len(s) for s in pairs.batches()] in ([], [0])


def _weights(scored: pd.DataFrame) -> dict[tuple[str, str], float]:
    return {
        (min(a, b), max(a, b)): round(float(w), 6)
        for a, b, w in zip(scored.rid_l, scored.rid_r, scored.match_weight, strict=True)
    }


def test_frozen_term_frequencies_score_a_pair_alike_whatever_is_indexed(
    model: TrainedModel, people: pd.DataFrame, batch: pd.DataFrame
) -> None:
    existing = people.drop(batch.index)
    # Half the other records loaded, or all of them: both within what training counted.
    loads = (existing, existing.iloc[::2])
    live = [_weights(predict(model, batch, e, threshold_probability=0.0)) for e in loads]
    common = live[0].keys() & live[1].keys()
    # Counted over what is loaded, a pair's weights depend on what else is.
    assert any(live[0][k] != live[1][k] for k in common)
    tf = term_frequencies(model, people)
    frozen = [
        _weights(predict(model, batch, e, threshold_probability=0.0, term_frequencies=tf))
        for e in loads
    ]
    common = frozen[0].keys() & frozen[1].keys()
    assert common and all(frozen[0][k] == frozen[1][k] for k in common)
    # A full run scores the pairs an incremental one scored, with the same weights.
    everything = _weights(predict(model, people, threshold_probability=0.0, term_frequencies=tf))
    assert all(everything[k] == w for k, w in frozen[0].items() if k in everything)


def test_a_value_more_common_now_than_in_training_weighs_less(
    model: TrainedModel, people: pd.DataFrame, batch: pd.DataFrame
) -> None:
    # A crowd loaded after training, with the batch's names and postcodes.
    crowd = pd.concat([batch] * 3, ignore_index=True).assign(
        unique_id=lambda d: "crowd:" + d.index.astype(str),
        dob=None,
        email=None,
        phone=None,
        address=None,
    )
    existing = people.drop(batch.index)
    tf = term_frequencies(model, people)
    before, after = (
        _weights(predict(model, batch, e, threshold_probability=0.0, term_frequencies=tf))
        for e in (existing, pd.concat([existing, crowd]))
    )
    common = before.keys() & after.keys()
    assert any(after[k] < before[k] for k in common)
    assert all(after[k] <= before[k] for k in common)


def test_frozen_term_frequencies_keep_no_value_in_clear(
    model: TrainedModel, people: pd.DataFrame, tmp_path: Path
) -> None:
    from matching import term_frequencies as tf_store

    tf = term_frequencies(model, people)
    assert {"address", "postcode", "email", "phone"} <= set(tf.totals)
    assert tf.totals["postcode"] == int(people.postcode.notna().sum())
    assert (tf.counts.n >= 2).all() and tf.counts.hash.str.fullmatch("[0-9a-f]{16}").all()
    path = tmp_path / "tf.parquet"
    tf_store.save(tf, path)
    again = tf_store.load(path)
    assert again.totals == tf.totals
    pd.testing.assert_frame_equal(again.counts, tf.counts, check_dtype=False)
    raw = path.read_bytes()
    assert not any(str(v).encode() in raw for v in people.email.dropna().head(50))


def test_a_pair_on_the_threshold_decides_on_its_rounded_weight() -> None:
    from matching.probabilistic import _result_sql, _splink_threshold, _threshold_weight

    weight = _threshold_weight(0.95)
    assert weight == round(math.log2(19), 6)
    assert _splink_threshold(0.95) < 0.95 and _threshold_weight(0.0) is None
    sql = _result_sql(("within", "between"), "'{}'", min_weight=weight)
    assert f"where round(match_weight, 6) >= {weight!r} order by rid_l, rid_r" in sql
    assert "where" not in _result_sql(("within",), "'{}'")


def test_indexing_junk_values_turns_them_into_hubs(index: MatchIndex, people: pd.DataFrame) -> None:
    junk = make_people(300, seed=11).assign(
        unique_id=lambda d: "junk:" + d.index.astype(str), phone="+61400000000"
    )
    index.add(junk)
    probe = make_people(1, seed=12).assign(unique_id="probe:1", phone="+61400000000")
    scored = index.match(probe, threshold_probability=0.0)
    # Uncapped, the shared phone alone would make 300 candidate pairs.
    assert scored.rid_r.str.startswith("junk:").sum() < 10


def test_bad_input_is_refused(model: TrainedModel, people: pd.DataFrame) -> None:
    with pytest.raises(MissingColumns) as missing:
        predict(model, people.drop(columns=["dob"]))
    assert missing.value.columns == ["dob"]
    with pytest.raises(DuplicateRecordIds):
        predict(model, pd.concat([people.iloc[:3], people.iloc[:1]]))


@pytest.mark.parametrize("count", [0, 1])
def test_training_on_fewer_than_two_records_says_so(people: pd.DataFrame, count: int) -> None:
    # An empty graph (a train before any ingest) used to end in Splink's ZeroDivisionError.
    with pytest.raises(NotEnoughRecords, match="cdp ingest") as refused:
        train(people.iloc[:count])
    assert refused.value.count == count


# --- blocking ------------------------------------------------------------------------------


def test_hub_values_do_not_explode_blocking(people: pd.DataFrame) -> None:
    junk = people.iloc[:400].assign(phone="+61400000000", email_local="test", given_name="test")
    report = blocking_report(pd.concat([people.iloc[400:], junk]))
    by_rule = dict(zip(report.rule, report.pairs, strict=True))
    # 400 records sharing a phone would be 79,800 pairs from that rule alone.
    assert by_rule["phone8"] < 5000
    assert by_rule["email_local"] < 5000
    assert report.cumulative_pairs.iloc[-1] < 50_000


def test_blocking_sql_is_built_from_checked_names() -> None:
    spec = default_spec()
    sql = blocking_keys_select_sql(spec, "input")
    assert "right(nullif(trim(cast(phone as varchar)), ''), 8) as bk_phone8" in sql
    assert "as bk_name_swapped_x" in sql
    rules = {r.name: r for r in spec.blocking_rules}
    assert rules["name_swapped"].rule_sql() == "l.bk_name_swapped = r.bk_name_swapped_x"
    assert rules["dob_swapped1"].rule_sql() == "l.bk_dob_swapped1 = r.bk_dob_swapped1_x"
    assert "having count(*) > 200" in hub_values_sql("bk_phone8", "t", 200)
    with pytest.raises(ValueError):
        hub_values_sql("phone; drop table t", "t", 200)
    with pytest.raises(ValueError):
        blocking_keys_select_sql(spec, "input; drop table x")


def test_only_plain_concat_ctes_are_inlined() -> None:
    sql = (
        "with __splink__df_concat_left as (select * from a), "
        "__splink__df_concat_right as (select * from b), "
        "__splink__df_concat_with_tf_right as (select * from c) select 1"
    )
    assert inline_plain_concat_ctes(sql) == (
        "with __splink__df_concat_left as not materialized (select * from a), "
        "__splink__df_concat_right as not materialized (select * from b), "
        "__splink__df_concat_with_tf_right as (select * from c) select 1"
    )


@pytest.mark.parametrize(
    "column", ["Given_Name", "name; drop table x", "a b", "x'--", "unique_id", "bk_phone", ""]
)
def test_column_names_that_could_inject_sql_are_refused(column: str) -> None:
    with pytest.raises(ValidationError):
        ComparisonSpec(column=column, kind="exact")
    with pytest.raises(ValidationError):
        KeyPart(column=column)


def test_spec_validation() -> None:
    with pytest.raises(ValidationError):
        ComparisonSpec(column="given_name", kind="forename_surname")
    with pytest.raises(ValidationError):
        ComparisonSpec(column="dob", kind="jaro_winkler", thresholds=(1.5,))
    with pytest.raises(ValidationError):
        ComparisonSpec(column="phone", kind="phone", thresholds=(8.5,))
    with pytest.raises(ValidationError):
        MatchingSpec(
            comparisons=(ComparisonSpec(column="dob", kind="date"),),
            blocking_rules=(BlockingRuleSpec(name="dob", parts=(KeyPart(column="dob"),)),),
            em_blocks=(("dob",),),
            deterministic_rules=(("dob",),),
        )


# --- model store ---------------------------------------------------------------------------


def test_model_store_round_trip(model: TrainedModel, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    assert store.versions() == []
    with pytest.raises(NoCurrentModel):
        store.load()
    path = store.save(model)
    assert path.name == f"model-{model.version}.json"
    assert store.load() == model
    assert store.load(model.version) == model
    older = model.model_copy(update={"version": "0123456789abcdef"})
    store.save(older, make_current=False)
    assert store.current_version() == model.version
    assert [v.version for v in store.versions()] == sorted([model.version, older.version])
    store.set_current(older.version)
    assert store.load().version == older.version
    assert store.term_frequencies(model.version) is None
    with pytest.raises(ModelNotFound):
        store.load("../../etc/passwd")
    with pytest.raises(ModelNotFound):
        store.load("fedcba9876543210")


def test_wiping_matching_state_removes_models_and_the_index_only(tmp_path: Path) -> None:
    from matching.model_store import wipe_matching_state

    names = ("current", "model-0123abcd.json", "model-0123abcd.tf.parquet", "match-index.duckdb")
    for name in (*names, "notes.txt"):
        (tmp_path / name).write_text("x")
    gone = wipe_matching_state(tmp_path)
    assert sorted(p.name for p in gone) == sorted(names)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert wipe_matching_state(tmp_path / "missing") == []


def test_training_says_once_what_it_could_not_learn(
    people: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        train(people.head(60))
    raw = [r for r in caplog.records if "not observed in dataset" in r.getMessage()]
    assert raw == []
    # Nor Splink's other warnings a user cannot act on (EM blocks with no pairs to sample,
    # predict() on untrained levels during the prior's refit): the summary says it.
    splink_warnings = [
        r.getMessage()[:80]
        for r in caplog.records
        if r.name.startswith("splink") and r.levelno >= logging.WARNING
    ]
    assert splink_warnings == []
    plain = [r for r in caplog.records if "Training found no example" in r.getMessage()]
    assert len(plain) <= 1


def test_members_of_one_family_are_never_joined(model: TrainedModel, people: pd.DataFrame) -> None:
    # Twins: one family name, date of birth, address and postcode; their own given names.
    twin = {**people.iloc[0].to_dict(), "given_name": "oliver", "family_name": "quennell"}
    other = {**twin, "unique_id": "x:harry", "given_name": "harry"}
    frame = pd.DataFrame([twin, other])
    assert predict(model, frame, threshold_probability=0.0).empty
    assert len(predict(model, frame, threshold_probability=0.0, family_rule=False)) == 1


def _levels(model: TrainedModel, records: list[dict[str, Any]], comparison: str) -> dict[str, str]:
    """Per other record: the level of `comparison` its pair with the first record fell in."""
    scored = predict(model, pd.DataFrame(records), threshold_probability=0.0, family_rule=False)
    first = records[0]["unique_id"]
    return {
        (r.rid_r if r.rid_l == first else r.rid_l): json.loads(r.evidence)[comparison]["level"]
        for r in scored.itertuples()
        if first in (r.rid_l, r.rid_r)
    }


def test_names_swapped_with_a_typo_are_proposed_and_have_a_level(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    """A record keyed family name first, with a typo ("stephenson elizbeth"): neither the
    exact swapped-names rule nor any other proposed it, and its names scored "All other"."""
    base = {
        **{c: None for c in people.columns},
        "dob": "1912-11-19",
        "postcode": "4127",
        "address": "hallen cl",
    }
    record = {**base, "unique_id": "x:org", "given_name": "elizabeth", "family_name": "stephenson"}
    swapped = {
        **base,
        "unique_id": "x:swapped",
        "given_name": "stephenson",
        "family_name": "elizbeth",
        "postcode": "4147",
        "address": "warar",
    }
    levels = _levels(model, [record, swapped], "given_name_family_name")
    assert levels == {"x:swapped": "Names swapped, Jaro-Winkler >= 0.88"}


def test_a_postcode_typo_under_a_similar_address_has_a_level(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    base = {c: None for c in people.columns} | {"given_name": "anika", "family_name": "spicer"}
    record = {**base, "unique_id": "x:org", "address": "melrose dr", "postcode": "2067"}
    others = [
        {**base, "unique_id": "x:swapped", "address": "melrosel dr", "postcode": "2076"},
        {**base, "unique_id": "x:typo", "address": "melrose dr", "postcode": "2068"},
        {**base, "unique_id": "x:far", "address": "melrose dr", "postcode": "3051"},
        {**base, "unique_id": "x:other", "address": "kent st", "postcode": "2061"},
    ]
    levels = _levels(model, [record, *others], "address_postcode")
    assert levels["x:swapped"] == "Address Jaro-Winkler >= 0.92, postcode one edit"
    assert levels["x:far"] == "Same address, other postcode"
    assert levels["x:other"] == "Same first 3 postcode characters"
    assert levels["x:typo"] == "Same address, other postcode"


def test_a_pair_with_one_date_of_birth_and_postcode_is_proposed(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    """Both names changed or mistyped (given name missing, family name replaced): only the
    date of birth and the postcode bring the two records together."""
    base = {c: None for c in people.columns} | {"dob": "1964-01-05", "postcode": "4020"}
    records = [
        {**base, "unique_id": "x:a", "family_name": "rundle", "address": "beaumont c lose"},
        {**base, "unique_id": "x:b", "family_name": "wilksn", "address": "beaumont cl"},
    ]
    assert set(_levels(model, records, "dob")) == {"x:b"}
    # Records naming nobody (placeholders are blanked before scoring) at one birth date and
    # postcode are junk ("Test Test", 1900-01-01): not proposed.
    junk = [{**base, "unique_id": f"x:junk{i}", "dob": "1900-01-01"} for i in range(2)]
    assert _levels(model, junk, "dob") == {}


def test_damerau_levenshtein_counts_a_swap_as_one_edit() -> None:
    spec = ComparisonSpec(column="ssn", kind="damerau_levenshtein", personal=True)
    assert spec.effective_thresholds == (1, 2)
    sql = json.dumps(build_settings(default_spec(spec)).create_settings_dict("duckdb"))
    assert 'damerau_levenshtein(\\"ssn_l\\", \\"ssn_r\\") <= 1' in sql
    assert "Damerau-Levenshtein <= 2" in sql
    with pytest.raises(ValidationError):
        ComparisonSpec(column="ssn", kind="damerau_levenshtein", thresholds=(0.5,))


def _till_card_weight(model: TrainedModel, people: pd.DataFrame, extra: pd.DataFrame) -> float:
    """The Bayes factor of the name of a till card (name and postcode only) against its
    person's web account, scored with `extra` records loaded too (live and frozen counts
    alike)."""
    person = {
        "source": "web",
        "given_name": "zebedee",
        "family_name": "quillfeather",
        "postcode": "7999",
        "address": "1 nowhere st",
        "email": "zq@example.org",
        "email_local": "zq",
        "phone": "+61299990000",
    }
    account = pd.DataFrame([{**person, "unique_id": "web:zq"}])
    card = pd.DataFrame(
        [
            {
                "unique_id": "pos:zq",
                "source": "pos",
                "given_name": "zebedee",
                "family_name": "quillfeather",
                "postcode": "7999",
            }
        ]
    )
    records = pd.concat([people, account, card, extra], ignore_index=True)
    # The trained model, counting full names per postcode (the settings are the same).
    model = model.model_copy(update={"spec": default_spec(MEMBERSHIP, count_names_per="postcode")})
    factors = []
    for tf in (None, term_frequencies(model, records)):
        got = predict(model, records, threshold_probability=0.0, term_frequencies=tf)
        pair = got[got.rid_l.isin(["pos:zq", "web:zq"]) & got.rid_r.isin(["pos:zq", "web:zq"])]
        evidence = json.loads(pair.evidence.iloc[0])["given_name_family_name"]
        assert evidence["level"] == "Exact match"
        factors.append(float(evidence["bf"]))
    assert factors[0] == pytest.approx(factors[1])
    return factors[0]


def test_a_name_counts_once_per_postcode_not_once_per_record(
    model: TrainedModel, people: pd.DataFrame
) -> None:
    """A customer with many records in one postcode (loyalty card, service tickets, ...) is
    one person of that name: a till card scores as high against them as against someone
    with one record. A second person of the name elsewhere makes it commoner."""
    alone = _till_card_weight(model, people, pd.DataFrame(columns=["unique_id"]))
    more_records = pd.DataFrame(
        [
            {
                "unique_id": f"svc:zq{i}",
                "source": "service",
                "given_name": "zebedee",
                "family_name": "quillfeather",
                "postcode": "7999",
                "email": "zq@example.org",
            }
            for i in range(4)
        ]
    )
    assert _till_card_weight(model, people, more_records) == alone
    elsewhere = more_records.iloc[:1].assign(
        unique_id="svc:other", postcode="2000", email="other@example.org"
    )
    assert _till_card_weight(model, people, elsewhere) < alone


def test_only_the_full_name_counts_per_postcode() -> None:
    from matching.splink_settings import term_frequency_holders

    # A family shares its family name and postcode: counted per postcode, a family of four
    # would weigh as one person; so the given and family names alone count per record.
    assert term_frequency_holders(default_spec()) == {}
    spec = default_spec(count_names_per="postcode")
    assert term_frequency_holders(spec) == {"dv_given_name_family_name_full": "postcode"}
    with pytest.raises(ValidationError):
        ComparisonSpec(column="email", kind="email", term_frequency_holder="postcode")
