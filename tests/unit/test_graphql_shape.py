"""The document measure (`api.graphql.shape`): linear in the document whatever its fragments
do, and the figures the limits read."""

from __future__ import annotations

from graphql import parse

from api.graphql import shape
from api.graphql.limits import MAX_COST, MAX_DEPTH, shape_error
from api.graphql.shape import measure


def bomb(levels: int, fan: int) -> str:
    frags = [
        f"fragment F{i} on Profile {{ {f'...F{i + 1} ' * fan if i + 1 < levels else 'pid'} }}"
        for i in range(levels)
    ]
    return 'query { profile(pid: "x") { ...F0 } } ' + " ".join(frags)


def test_each_fragment_is_measured_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = 0
    real = shape._Measurer.selection_set

    def counting(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(shape._Measurer, "selection_set", counting)
    for levels in (10, 100, 400):
        calls = 0
        got = measure(parse(bomb(levels, 5)), None, {})
        # One selection set per fragment, the operation's two: never 5 ** levels.
        assert calls == levels + 2
        assert got.depth == 1 and got.cost == 2


def test_a_fragment_spread_twice_in_one_selection_counts_once() -> None:
    doc = parse("fragment F on Profile { records { rid } } { profile(pid: 1) { ...F ...F } }")
    assert measure(doc, None, {}).cost == 1 + (1 + 10 * 1)


def test_aliases_through_fragments_are_counted_per_spread_without_expanding() -> None:
    frags = " ".join(
        f"fragment F{i} on Profile {{ a: pid b: pid {'...F' + str(i + 1) if i < 59 else ''} }}"
        for i in range(60)
    )
    got = measure(parse('{ profile(pid: "x") { ...F0 } } ' + frags), None, {})
    assert got.aliases == 120


def test_fragment_cycles_and_unknown_fragments_measure_as_empty() -> None:
    doc = parse(
        "fragment A on Profile { pid ...B } fragment B on Profile { rid ...A } "
        '{ profile(pid: "x") { ...A ...Nope } }'
    )
    got = measure(doc, None, {})
    assert got.cost == 1 + 1 + 1 and got.depth == 1


def test_shape_errors_name_the_limit() -> None:
    deep = "pid"
    for _ in range(MAX_DEPTH):
        deep = f"records {{ {deep} }}"
    err = shape_error(measure(parse(f'{{ profile(pid: "x") {{ {deep} }} }}'), None, {}), "Q")
    assert err is not None and "maximum operation depth" in err.message
    same = parse('{ profile(pid: "x") { pid pid pid pid pid } }')
    err = shape_error(measure(same, None, {}), "Q")
    assert err is not None and "5 times" in err.message
    inline = parse('{ profile(pid: "x") { pid ... on Profile { pid pid } ... { pid pid } } }')
    assert measure(inline, None, {}).same_key == 5
    cheap = parse('{ profile(pid: "x") { pid records { rid } } }')
    assert shape_error(measure(cheap, None, {}), "Q") is None
    assert measure(cheap, None, {}).cost < MAX_COST
