"""The record and flag rules: what a user sees flagged when HKSTP's figures move."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from figures.errors import RecordError
from figures.model import Mention, Qualifier, Unit
from figures.record import (
    Observation,
    compare_versions,
    evaluate,
    normalised_value,
    series_key,
)

_ids = itertools.count(1)


def mention(
    value: str | int,
    qualifier: Qualifier = "exact",
    *,
    on: date | None = date(2022, 7, 11),
    metric: str = "companies",
    unit: Unit = "count",
    subject: str = "HKSTP",
    start: int = 0,
) -> Mention:
    v = Decimal(value)
    return Mention(
        subject=subject,
        metric=metric,
        value=v,
        qualifier=qualifier,
        low=None,
        high=None,
        unit=unit,
        text=f"{qualifier} {v}",
        start=start,
        end=start + 10,
        sentence=f"HKSTP has {qualifier} {v} {metric}.",
        as_of=on,
    )


def obs(
    value: str | int,
    qualifier: Qualifier = "exact",
    *,
    article: str = "a",
    position: int = 0,
    key: int | None = None,
    dated: bool = True,
    **kw: object,
) -> Observation:
    m = mention(value, qualifier, start=position, **kw)  # type: ignore[arg-type]
    k = next(_ids) if key is None else key
    return Observation(
        key=k, mention=m, article=article, position=position, url=f"https://x/{k}", dated=dated
    )


def kinds(observations: list[Observation], **kw: object) -> list[tuple[str, Decimal]]:
    flags, _ = evaluate(observations, **kw)  # type: ignore[arg-type]
    return [(f.kind, f.observation.mention.value) for f in flags]


# --- tolerance and intervals --------------------------------------------------


# --- the examples ---------------------------------------------------------


def test_bounds_in_one_release_agree_and_tighter_stands_then_changed() -> None:
    release = date(2022, 7, 11)
    a = obs(1100, "at_least", on=release, article="d01", position=10)
    b = obs(1000, "at_least", on=release, article="d01", position=50)
    later = obs(1700, "at_least", on=date(2023, 7, 11), article="d02")

    flags, states = evaluate([a, b])
    assert [f.kind for f in flags] == ["new"]
    assert states[("HKSTP", "companies", "count")].current == a

    flags, states = evaluate([a, b, later])
    changed = flags[-1]
    assert changed.kind == "changed"
    assert changed.observation == later
    assert changed.previous == a
    assert changed.previous.url == a.url
    assert changed.delta == Decimal(600)
    assert changed.percent == Decimal("54.5")
    state = states[("HKSTP", "companies", "count")]
    assert state.current == later
    assert set(state.superseded) == {a, b}


@pytest.mark.parametrize("first_bound", [True, False])
def test_bound_and_exact_nine_days_apart_conflict(first_bound: bool) -> None:
    bound = obs(14000, "at_least", on=date(2024, 7, 19), metric="rnd", article="p")
    exact = obs(13000, on=date(2024, 7, 28) if first_bound else date(2024, 7, 10), metric="rnd")
    flags, _ = evaluate([bound, exact])
    assert [f.kind for f in flags] == ["new", "conflict"]
    assert flags[1].observation == (exact if first_bound else bound)


def test_superseded_number_restated_is_outdated() -> None:
    old = obs(1000, "at_least", on=date(2022, 7, 11), article="d01")
    record = obs(1800, "at_least", on=date(2024, 7, 19), article="d14")
    blog = obs(1000, "at_least", on=date(2024, 11, 18), article="d15")
    flags, states = evaluate([blog, record, old])
    assert [f.kind for f in flags] == ["new", "changed", "outdated"]
    outdated = flags[2]
    assert outdated.previous == record
    assert outdated.restates == old
    assert outdated.delta == Decimal(-800)
    assert states[("HKSTP", "companies", "count")].current == record


def test_chinese_lower_bound_and_exact_a_day_apart_agree() -> None:
    zh = obs("1.1E+4", "at_least", on=date(2022, 6, 5), metric="rnd", article="d11")
    en = obs(11000, on=date(2022, 6, 6), metric="rnd", article="d01")
    flags, states = evaluate([zh, en])
    assert [f.kind for f in flags] == ["new"]
    assert states[("HKSTP", "rnd", "count")].current == en  # exact is tighter than a bound


def test_same_date_exact_counts_conflict() -> None:
    day = date(2020, 5, 28)
    news = obs(78, on=day, metric="incubation_graduates", article="d09")
    release = obs(108, on=day, metric="incubation_graduates", article="d10")
    flags, _ = evaluate([release, news])
    assert [(f.kind, f.observation) for f in flags] == [("new", news), ("conflict", release)]
    assert flags[1].previous == news
    assert flags[1].delta == Decimal(30)


def test_unicorn_history() -> None:
    """three (2022) -> 12 (2024) -> a blog's three (late 2024) -> 13 (2025)."""
    history = [
        obs(3, on=date(2022, 7, 11), metric="unicorns"),
        obs(12, on=date(2024, 7, 19), metric="unicorns"),
        obs(3, on=date(2024, 11, 18), metric="unicorns"),
        obs(13, on=date(2025, 11, 7), metric="unicorns"),
    ]
    assert kinds(history) == [
        ("new", Decimal(3)),
        ("changed", Decimal(12)),
        ("outdated", Decimal(3)),
        ("changed", Decimal(13)),
    ]


def test_restatement_after_the_window_joins_without_flag() -> None:
    first = obs(17000, on=date(2022, 7, 11), metric="workforce")
    again = obs(17000, "about", on=date(2023, 1, 1), metric="workforce")
    assert kinds([first, again]) == [("new", Decimal(17000))]


def test_window_is_configurable() -> None:
    a = obs(13000, on=date(2024, 1, 1), metric="rnd")
    b = obs(14000, "at_least", on=date(2024, 2, 20), metric="rnd")
    assert [k for k, _ in kinds([a, b])] == ["new", "changed"]
    assert [k for k, _ in kinds([a, b], window_days=60)] == ["new", "conflict"]


# --- order independence --------------------------------------------------------------


def _sample() -> list[Observation]:
    d = date(2022, 7, 11)
    return [
        obs(1100, "at_least", on=d, article="d01", position=1, key=1),
        obs(1000, "at_least", on=d, article="d01", position=2, key=2),
        obs(1700, "at_least", on=d + timedelta(days=365), article="d02", key=3),
        obs(1800, "at_least", on=date(2024, 7, 19), article="d14", key=4),
        obs(1000, "at_least", on=date(2024, 11, 18), article="d15", key=5),
        obs(78, on=date(2020, 5, 28), metric="grads", article="d09", key=6),
        obs(108, on=date(2020, 5, 28), metric="grads", article="d10", key=7),
        obs(278, on=d, metric="grads", article="d01", position=3, key=8),
        obs(14000, "at_least", on=date(2024, 7, 19), metric="rnd", article="d14", key=9),
        obs(13000, on=date(2024, 7, 28), metric="rnd", article="d16", key=10),
    ]


@settings(database=None, max_examples=60)
@given(st.permutations(_sample()))
def test_shuffled_input_gives_same_flags(shuffled: list[Observation]) -> None:
    assert evaluate(shuffled) == evaluate(_sample())


_qualifiers = st.sampled_from(["exact", "at_least", "at_most", "about"])


@st.composite
def _observations(draw: st.DrawFn) -> list[Observation]:
    n = draw(st.integers(min_value=1, max_value=12))
    out = []
    for key in range(n):
        out.append(
            Observation(
                key=key,
                mention=mention(
                    draw(st.sampled_from([78, 108, 1000, 1100, 1700, 1800, 11000, 13000])),
                    draw(_qualifiers),
                    on=date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 120))),
                    metric=draw(st.sampled_from(["companies", "rnd"])),
                ),
                article=draw(st.sampled_from(["a", "b", 3])),
                position=draw(st.integers(0, 2)),
                url=None,
            )
        )
    return out


@settings(database=None, max_examples=150)
@given(_observations(), st.randoms(use_true_random=False))
def test_any_set_of_mentions_is_order_independent(
    observations: list[Observation], rnd: object
) -> None:
    shuffled = list(observations)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    dismissed = {o.key for o in observations[::2]}
    assert evaluate(shuffled) == evaluate(observations)
    assert evaluate(shuffled, dismissed=dismissed) == evaluate(observations, dismissed=dismissed)


# --- what a mention means: undated, noise, repetition ----------------------------------


def test_an_undated_blog_fills_history_but_flags_nothing() -> None:
    """A years-old undated guide, dated by its feed entry's update: its 1,700 joins the
    record of its time, and its stale 13,000 neither conflicts nor is outdated."""
    old = obs(1000, "at_least", on=date(2022, 7, 11), article="d01")
    record = obs(1700, "at_least", on=date(2023, 8, 30), article="d12")
    rnd = obs(14000, "at_least", on=date(2024, 2, 20), metric="rnd", article="d13")
    guide = dict(on=date(2024, 3, 1), article="blog", dated=False)
    joins = obs(1700, "at_least", position=1, **guide)  # type: ignore[arg-type]
    stale = obs(1000, position=2, **guide)  # type: ignore[arg-type]
    low = obs(13000, metric="rnd", position=3, **guide)  # type: ignore[arg-type]
    first = obs(26, metric="countries", position=4, **guide)  # type: ignore[arg-type]
    flags, states = evaluate([old, record, rnd, joins, stale, low, first])
    assert [(f.kind, f.observation) for f in flags] == [
        ("new", old),
        ("changed", record),
        ("new", rnd),
        ("new", first),  # nothing came before: it fills history
    ]
    assert states[("HKSTP", "companies", "count")].period == (record, joins)
    assert states[("HKSTP", "rnd", "count")].current == rnd
    assert states[("HKSTP", "countries", "count")].current == first


def test_a_dated_mention_is_still_compared_with_an_undated_one() -> None:
    """Undated mentions raise nothing on their own; a dated one after them still does."""
    undated = obs(26, metric="countries", on=date(2024, 3, 1), dated=False)
    dated = obs(28, metric="countries", on=date(2024, 7, 19))
    assert kinds([undated, dated]) == [("new", Decimal(26)), ("changed", Decimal(28))]


def test_noise_outside_the_catalogue_is_kept_but_never_flagged() -> None:
    """A HK$68 lunch in a blog and HK$10 billion elsewhere: one other:money series, no flags."""
    fund = obs(10**10, metric="other:money", unit="HKD", on=date(2024, 2, 28))
    lunch = obs(68, metric="other:money", unit="HKD", on=date(2024, 11, 18))
    flags, states = evaluate([fund, lunch])
    assert flags == []
    assert states[("HKSTP", "other:money", "HKD")].current == lunch  # queryable as before


def test_a_headline_and_body_stating_one_figure_are_one_statement() -> None:
    """The headline's "about 1,000 companies" and the body's "some 1,000 companies" conflict
    once, not twice, with another article's 1,100 of that week; the narrowest of an article's
    repetitions is its statement ("1,000+" is wider than the body's exact 1,000)."""
    other = obs(1100, on=date(2024, 7, 1), article="wire")
    headline = obs(1000, "about", on=date(2024, 7, 3), article="nr", position=0)
    body = obs(1000, "about", on=date(2024, 7, 3), article="nr", position=200)
    flags, _ = evaluate([other, headline, body])
    assert [(f.kind, f.observation) for f in flags] == [("new", other), ("conflict", headline)]
    wide = obs(1000, "at_least", on=date(2022, 7, 3), article="old", position=0)
    exact = obs(1000, on=date(2022, 7, 3), article="old", position=90)
    flags, states = evaluate([wide, exact])
    assert [(f.kind, f.observation) for f in flags] == [("new", exact)]
    assert states[("HKSTP", "companies", "count")].period == (exact,)


@st.composite
def _mixed(draw: st.DrawFn) -> list[Observation]:
    """Observations of catalogue and noise series, dated and undated."""
    out = []
    for o in draw(_observations()):
        metric = draw(st.sampled_from([o.mention.metric, "other:money"]))
        out.append(
            Observation(
                key=o.key,
                mention=dataclasses.replace(o.mention, metric=metric),
                article=o.article,
                position=o.position,
                dated=draw(st.booleans()),
            )
        )
    return out


@settings(database=None, max_examples=150)
@given(_mixed())
def test_undated_and_noise_mentions_never_raise_more_than_new(
    observations: list[Observation],
) -> None:
    flags, _ = evaluate(observations)
    assert all(not f.observation.mention.metric.startswith("other:") for f in flags)
    assert all(f.kind == "new" for f in flags if not f.observation.dated)
    assert evaluate(list(reversed(observations))) == (flags, evaluate(observations)[1])


@settings(database=None, max_examples=150)
@given(_observations(), st.data())
def test_repeating_a_figure_in_its_article_changes_no_flag(
    observations: list[Observation], data: st.DataObject
) -> None:
    """A copy of any mention later in the same article (another key) adds no flag."""
    original = data.draw(st.sampled_from(observations))
    repeat = Observation(
        key=1000,
        mention=dataclasses.replace(original.mention, start=original.mention.start + 50),
        article=original.article,
        position=original.position + 50,
    )

    def shown(obs_: list[Observation]) -> list[tuple[str, Decimal, object]]:
        flags, _ = evaluate(obs_)
        return [(f.kind, f.observation.mention.value, f.observation.article) for f in flags]

    assert shown([*observations, repeat]) == shown(observations)


# --- review -----------------------------------------------------------------------------


def test_dismissing_a_change_restores_the_previous_value() -> None:
    before = obs(1100, "at_least", on=date(2022, 7, 11))
    wrong = obs(17000, on=date(2023, 7, 11))
    echo = obs(1100, "at_least", on=date(2023, 9, 1))
    key = ("HKSTP", "companies", "count")

    flags, states = evaluate([before, wrong, echo])
    assert [f.kind for f in flags] == ["new", "changed", "outdated"]
    assert states[key].current == wrong

    flags, states = evaluate([before, wrong, echo], dismissed={wrong.key})
    assert [f.kind for f in flags] == ["new", "changed"]  # still listed with its flag
    assert states[key].period == (before, echo)  # the echo now joins the restored record
    assert states[key].current == echo  # equal intervals: the latest statement stands
    assert states[key].current.mention.value == Decimal(1100)
    assert wrong not in states[key].superseded


def test_dismissing_a_conflict_keeps_the_standing_value() -> None:
    bound = obs(14000, "at_least", on=date(2024, 7, 19), metric="rnd")
    exact = obs(13000, on=date(2024, 7, 28), metric="rnd")
    key = ("HKSTP", "rnd", "count")
    _, states = evaluate([bound, exact])
    assert states[key].current == exact  # open or accepted: the finite interval stands
    flags, states = evaluate([bound, exact], dismissed=[exact.key])
    assert [f.kind for f in flags] == ["new", "conflict"]
    assert states[key].current == bound


def test_dismissing_a_new_flag_makes_the_next_mention_new() -> None:
    bad = obs(5, on=date(2022, 1, 1), metric="awards")
    good = obs(56, on=date(2022, 6, 1), metric="awards")
    flags, states = evaluate([bad, good], dismissed={bad.key})
    assert [(f.kind, f.observation) for f in flags] == [("new", bad), ("new", good)]
    assert states[("HKSTP", "awards", "count")].current == good


# --- units and series ---------------------------------------------------------------------


def test_square_feet_and_square_metres_share_a_series() -> None:
    feet = mention(3550000, unit="sqft", metric="floor_area", on=date(2018, 4, 10))
    metres = mention(330000, unit="sqm", metric="floor_area", on=date(2019, 4, 10))
    hectares = mention(22, unit="ha", metric="floor_area")
    assert series_key(feet) == series_key(metres) == series_key(hectares)
    assert normalised_value(feet) == Decimal("329805.7920")
    assert normalised_value(hectares) == Decimal(220000)
    flags, states = evaluate(
        [
            Observation(1, feet, "d07", 0),
            Observation(2, metres, "d08", 0),
        ]
    )
    assert [f.kind for f in flags] == ["new"]  # same area, stated in two units
    assert len(states[series_key(metres)].period) == 2


def test_currencies_are_separate_series() -> None:
    hkd = obs(68000000000, unit="HKD", metric="funds_raised", on=date(2022, 7, 11))
    usd = obs(8700000000, unit="USD", metric="funds_raised", on=date(2022, 7, 12))
    flags, states = evaluate([hkd, usd])
    assert [f.kind for f in flags] == ["new", "new"]
    assert set(states) == {
        ("HKSTP", "funds_raised", "HKD"),
        ("HKSTP", "funds_raised", "USD"),
    }


def test_subjects_are_separate_series() -> None:
    park = obs(1000, on=date(2022, 1, 1))
    branch = obs(40, on=date(2023, 1, 1), subject="HKSTP Shenzhen")
    assert [k for k, _ in kinds([park, branch])] == ["new", "new"]


# --- input errors -----------------------------------------------------------------------------


def test_undated_mention_is_refused() -> None:
    with pytest.raises(RecordError, match="no as-of date"):
        evaluate([obs(1700, on=None, key=77)])


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(RecordError, match="more than once"):
        evaluate([obs(1, key=5), obs(2, key=5)])


# --- revisions ---------------------------------------------------------------------------------


def test_compare_versions_reports_changed_added_removed() -> None:
    old = [
        mention(2300, metric="companies", start=10),
        mention(500, metric="startups", start=40),
        mention(11000, metric="rnd", start=70),
        mention(22000, "at_least", metric="workforce", start=90),
    ]
    new = [
        mention(2400, metric="companies", start=10),
        mention(500, metric="startups", start=45),  # moved, same statement
        mention(13, metric="unicorns", start=80),
        mention(22000, "about", metric="workforce", start=95),
    ]
    changes = compare_versions(old, new)
    summary = [(c.kind, c.series[1], c.old and c.old.value, c.new and c.new.value) for c in changes]
    assert summary == [
        ("changed", "companies", Decimal(2300), Decimal(2400)),
        ("removed", "rnd", Decimal(11000), None),
        ("added", "unicorns", None, Decimal(13)),
        ("changed", "workforce", Decimal(22000), Decimal(22000)),
    ]
    assert changes[3].old.qualifier == "at_least" and changes[3].new.qualifier == "about"


def test_compare_versions_matches_repeated_statements_first() -> None:
    old = [mention(11000, start=5), mention(11000, "at_least", start=50)]
    new = [mention(11000, "at_least", start=5), mention(12000, start=50)]
    changes = compare_versions(old, new)
    assert [(c.kind, c.old.qualifier, c.new.value) for c in changes] == [
        ("changed", "exact", Decimal(12000))
    ]
    assert compare_versions(old, old) == []
