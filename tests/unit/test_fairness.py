"""services/core/fairness: selection rates and impact ratios, checked against figures worked by hand."""

from __future__ import annotations

import pytest

from services.core.fairness import (
    DECLINED,
    UNKNOWN,
    FairnessReport,
    GroupRate,
    Outcome,
    Reported,
    audit,
    group_of,
)


def _pool(spec: dict[str, tuple[Reported, int, int]]) -> tuple[list[Outcome], dict[str, Reported]]:
    """spec: prefix -> (answers, considered, shortlisted); one job, candidates prefix-0, prefix-1, ..."""
    outcomes, people = [], {}
    for prefix, (answers, considered, shortlisted) in spec.items():
        for i in range(considered):
            people[f"{prefix}-{i}"] = answers
            outcomes.append(Outcome("job", f"{prefix}-{i}", i < shortlisted))
    return outcomes, people


def _row(report: FairnessReport, dimension: str, group: str) -> GroupRate:
    return next(g for g in report.groups if (g.dimension, g.group) == (dimension, group))


def test_rates_and_ratios_by_hand() -> None:
    # Women 12 considered, 3 shortlisted: 0.25. Men 20 considered, 8 shortlisted: 0.40.
    # Impact ratio of women = 0.25 / 0.40 = 0.625 < 0.8: flagged. Men are the reference: 1.0.
    outcomes, people = _pool({
        "fw": (Reported("Female", "White"), 6, 2),
        "fa": (Reported("Female", "Asian"), 6, 1),
        "mw": (Reported("Male", "White"), 12, 6),
        "ma": (Reported("Male", "Asian"), 8, 2),
    })  # fmt: skip
    report = audit(outcomes, people, min_group_size=10)
    women, men = _row(report, "sex", "Female"), _row(report, "sex", "Male")
    assert (women.considered, women.selected, women.rate) == (12, 3, 0.25)
    assert (men.considered, men.selected, men.rate) == (20, 8, 0.4)
    assert women.impact_ratio == pytest.approx(0.625) and women.adverse
    assert men.impact_ratio == 1.0 and not men.adverse
    # White 18 considered, 8 shortlisted: 4/9. Asian 14 considered, 3 shortlisted: 3/14.
    # Impact ratio of Asian = (3/14) / (4/9) = 27/56 = 0.482...
    asian = _row(report, "race_ethnicity", "Asian")
    assert asian.impact_ratio == pytest.approx(27 / 56) and asian.adverse
    assert (report.considered, report.selected) == (32, 11)
    assert {(g.dimension, g.group) for g in report.flagged()} >= {
        ("sex", "Female"),
        ("race_ethnicity", "Asian"),
    }


def test_intersections_and_small_samples() -> None:
    outcomes, people = _pool({
        "fw": (Reported("Female", "White"), 6, 2),
        "fa": (Reported("Female", "Asian"), 6, 1),
        "mw": (Reported("Male", "White"), 12, 6),
        "ma": (Reported("Male", "Asian"), 8, 2),
    })  # fmt: skip
    report = audit(outcomes, people, min_group_size=10)
    cells = {g.group: g for g in report.groups if g.dimension == "sex x race_ethnicity"}
    assert set(cells) == {"Female x White", "Female x Asian", "Male x White", "Male x Asian"}
    # Only Male x White (12) is large enough to be the reference: rate 0.5.
    assert cells["Male x White"].impact_ratio == 1.0 and not cells["Male x White"].small_sample
    assert cells["Female x White"].impact_ratio == pytest.approx((2 / 6) / 0.5)  # 0.667
    assert cells["Female x Asian"].impact_ratio == pytest.approx((1 / 6) / 0.5)  # 0.333
    assert cells["Male x Asian"].impact_ratio == pytest.approx((2 / 8) / 0.5)  # 0.5
    assert all(cells[g].small_sample for g in ("Female x White", "Female x Asian", "Male x Asian"))


def test_a_tiny_group_cannot_set_the_reference() -> None:
    # One Native American candidate, shortlisted (rate 1.0), against two groups of 10 at 0.5 and 0.4.
    outcomes, people = _pool({
        "w": (Reported(race_ethnicity="White"), 10, 5),
        "b": (Reported(race_ethnicity="Black or African American"), 10, 4),
        "n": (Reported(race_ethnicity="Native American or Alaska Native"), 1, 1),
    })  # fmt: skip
    report = audit(outcomes, people, min_group_size=10)
    assert _row(report, "race_ethnicity", "White").impact_ratio == 1.0
    assert _row(report, "race_ethnicity", "Black or African American").impact_ratio == pytest.approx(0.8)
    assert not _row(report, "race_ethnicity", "Black or African American").adverse  # 0.8 is not under 0.8
    tiny = _row(report, "race_ethnicity", "Native American or Alaska Native")
    assert tiny.impact_ratio == pytest.approx(2.0) and tiny.small_sample


def test_unknown_and_declined_are_counted_but_never_compared() -> None:
    outcomes, people = _pool({
        "m": (Reported("Male", "White"), 10, 5),
        "d": (Reported(DECLINED, DECLINED), 10, 0),
    })  # fmt: skip
    outcomes.append(Outcome("job", "never-asked", False))  # no demographics stored at all
    report = audit(outcomes, people, min_group_size=5)
    declined, unknown = _row(report, "sex", DECLINED), _row(report, "sex", UNKNOWN)
    assert (declined.considered, declined.impact_ratio, declined.adverse) == (10, None, False)
    assert (unknown.considered, unknown.selected, unknown.impact_ratio) == (1, 0, None)
    assert _row(report, "sex x race_ethnicity", UNKNOWN).considered == 11
    assert report.groups[-1].group in (UNKNOWN, DECLINED)  # not-compared groups are listed last


def test_nobody_selected_means_no_ratio_rather_than_all_adverse() -> None:
    outcomes, people = _pool({"f": (Reported("Female"), 5, 0), "m": (Reported("Male"), 5, 0)})
    report = audit(outcomes, people, min_group_size=1)
    assert all(g.impact_ratio is None and not g.adverse for g in report.groups)


def test_each_job_candidate_decision_counts_once_per_job() -> None:
    people = {"a": Reported("Female"), "b": Reported("Male")}
    outcomes = [Outcome("j1", "a", True), Outcome("j2", "a", False), Outcome("j1", "b", True)]
    women = _row(audit(outcomes, people, min_group_size=2), "sex", "Female")
    assert (women.candidates, women.considered, women.rate) == (1, 2, 0.5)
    assert women.small_sample  # two decisions, but one person


def test_group_names() -> None:
    assert group_of("sex x race_ethnicity", Reported("Female", "Asian")) == "Female x Asian"
    assert group_of("sex x race_ethnicity", Reported("Female", None)) == UNKNOWN
    assert group_of("race_ethnicity", None) == UNKNOWN
