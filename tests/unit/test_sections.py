"""Section splitting: headings of résumés and job descriptions, and full coverage of the text."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.core.model import Section
from services.core.sections import SectionRange, heading_section, section_at, split_sections


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("Summary", Section.SUMMARY),
        ("PROFILE", Section.SUMMARY),
        ("About Me:", Section.SUMMARY),
        ("Objective", Section.SUMMARY),
        ("Experience", Section.EXPERIENCE),
        ("WORK HISTORY", Section.EXPERIENCE),
        ("Employment", Section.EXPERIENCE),
        ("  Professional Experience  ", Section.EXPERIENCE),
        ("Projects", Section.PROJECTS),
        ("## Technical Skills", Section.SKILLS),
        ("Skill Details", Section.SKILLS),
        ("**Core Competencies**", Section.SKILLS),
        ("Skills & Abilities", Section.SKILLS),
        ("EDUCATION", Section.EDUCATION),
        ("Academics", Section.EDUCATION),
        ("1. Education", Section.EDUCATION),
        ("Requirements", Section.REQUIREMENTS),
        ("Qualifications:", Section.REQUIREMENTS),
        ("What you bring", Section.REQUIREMENTS),
        ("Must-have:", Section.REQUIREMENTS),
        ("Minimum Qualifications", Section.REQUIREMENTS),
        ("You have", Section.REQUIREMENTS),
        ("Preferred", Section.PREFERRED),
        ("Nice to have:", Section.PREFERRED),
        ("Bonus points", Section.PREFERRED),
        ("Pluses", Section.PREFERRED),
        ("### Preferred Qualifications ###", Section.PREFERRED),
        ("Responsibilities", Section.OTHER),
        ("What you’ll do", Section.OTHER),
        ("About the role", Section.SUMMARY),
        ("Benefits", Section.OTHER),
        ("Interests", Section.OTHER),
        ("=" * 40 + " SKILLS " + "=" * 40, Section.SKILLS),
    ],
)
def test_heading_lines(line: str, section: Section) -> None:
    assert heading_section(line) == section


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("Skills: Python, SQL, Docker", Section.SKILLS),
        ("TECHNICAL SKILLS: Python", Section.SKILLS),
        ("Skills • Python • SQL", Section.SKILLS),
        ("Education - BSc Computer Science", Section.EDUCATION),
        ("Nice to have: Kafka", Section.PREFERRED),
    ],
)
def test_inline_headings(line: str, section: Section) -> None:
    assert heading_section(line) == section


@pytest.mark.parametrize(
    "line",
    [
        "",
        "Python",
        "Experience with Python is required",
        "experience",  # a lower-case lone word is a line wrap, not a heading
        "Skills that matter most to our customers are listed further down this long page",
        "Python - 5 years",
        "Tools: Git, Docker",  # inline tool lists annotate a job entry
        "Note: remote friendly",
    ],
)
def test_not_headings(line: str) -> None:
    assert heading_section(line) is None


RESUME = """Jane Doe
jane@example.com

SUMMARY
ML engineer.

Experience
Acme — built ranking models.
Tools: PyTorch, Docker
Shipped a feature store.

## Technical Skills
Python, SQL
Education: MSc, 2017
"""


def _sections(text: str) -> list[tuple[Section, str]]:
    return [(r.section, text[r.start : r.end]) for r in split_sections(text)]


def test_resume_sections_in_order() -> None:
    got = _sections(RESUME)
    assert [s for s, _ in got] == [
        Section.OTHER,
        Section.SUMMARY,
        Section.EXPERIENCE,
        Section.SKILLS,
        Section.EDUCATION,
    ]
    assert got[0][1].startswith("Jane Doe")
    assert got[1][1].startswith("SUMMARY")
    # "Tools:" inside the job entry does not end the experience section.
    assert "Shipped a feature store." in got[2][1]
    assert got[4][1] == "Education: MSc, 2017\n"


def test_job_requirements_keep_inline_labels() -> None:
    text = (
        "About the role\nBuild things.\nRequirements:\n- Experience: 3+ years of Python\n"
        "- Education: BSc\nNice to have\n- Kafka\nBenefits\n- Pension\n"
    )
    got = _sections(text)
    assert [s for s, _ in got] == [Section.SUMMARY, Section.REQUIREMENTS, Section.PREFERRED, Section.OTHER]
    assert "Education: BSc" in got[1][1]


def test_crlf_and_no_trailing_newline() -> None:
    text = "Profile\r\nData person\r\nSkills\r\nSQL"
    got = _sections(text)
    assert [s for s, _ in got] == [Section.SUMMARY, Section.SKILLS]
    assert got[1][1] == "Skills\r\nSQL"


def test_empty_text_is_one_empty_range() -> None:
    assert split_sections("") == [SectionRange(Section.OTHER, 0, 0)]


def test_section_at() -> None:
    ranges = split_sections(RESUME)
    for r in ranges:
        assert section_at(ranges, r.start) == r.section
        assert section_at(ranges, r.end - 1) == r.section
    assert section_at(ranges, -5) == ranges[0].section
    assert section_at(ranges, len(RESUME) + 10) == ranges[-1].section
    assert section_at([], 3) == Section.OTHER
    assert section_at(ranges, RESUME.index("Shipped")) == Section.EXPERIENCE
    assert section_at(ranges, RESUME.index("SQL")) == Section.SKILLS


_LINES = st.sampled_from(
    ["Skills", "EXPERIENCE", "Requirements:", "Nice to have", "Skills: Python", "Tools: Git", "", "  "]
) | st.text(max_size=40)


@given(st.lists(_LINES, max_size=30), st.sampled_from(["\n", "\r\n"]))
def test_ranges_cover_text_contiguously(lines: list[str], newline: str) -> None:
    text = newline.join(lines)
    ranges = split_sections(text)
    assert ranges[0].start == 0
    assert ranges[-1].end == len(text)
    for left, right in pairwise(ranges):
        assert left.end == right.start
        assert left.start < left.end
        assert left.section != right.section
    for offset in range(0, len(text), 7):
        holder = next(r for r in ranges if r.start <= offset < r.end)
        assert section_at(ranges, offset) == holder.section
