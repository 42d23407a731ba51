"""Split a résumé or job description into sections by its headings.

A heading is a short line naming a known section ("EXPERIENCE", "## Skills",
"Nice to have:"), or a known name followed by a colon and inline text
("Skills: Python, SQL"). Text before the first heading is OTHER (names,
contact details, a job's opening blurb). Ranges are contiguous and cover the
whole text, so every offset belongs to exactly one section.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from services.core.model import Section

__all__ = ["SectionRange", "heading_section", "section_at", "split_sections"]


@dataclass(frozen=True, slots=True)
class SectionRange:
    section: Section
    start: int
    end: int


# Normalised heading text (lower case, "&" spelt "and", straight apostrophes) per section.
# Headings that are not about skills (benefits, interests, about us) are listed under OTHER
# so that text beneath them is not credited to the section above.
_HEADING_TABLE: dict[Section, str] = {
    Section.SUMMARY: """
        summary | profile | about | about me | objective | career objective | professional summary |
        career summary | executive summary | personal statement | professional profile | personal
        profile | overview | introduction | bio | about the role | the role | role overview | job
        summary | job overview | position summary | position overview | role summary | job description |
        the opportunity | about the job | about the position | about this role
    """,
    Section.EXPERIENCE: """
        experience | work experience | professional experience | relevant experience | employment |
        employment history | work history | career history | professional background | industry
        experience | internships | internship | internship experience | experience details | company
        details | professional experience and projects | work experience and projects | positions held |
        research experience | teaching experience | volunteer experience
    """,
    Section.PROJECTS: """
        projects | project | personal projects | academic projects | key projects | selected projects |
        side projects | project details | project experience | publications | research | open source |
        open source contributions | portfolio
    """,
    Section.SKILLS: """
        skills | technical skills | skill details | core competencies | competencies | key skills |
        skills summary | skill set | skillset | skills and abilities | areas of expertise | expertise |
        technical expertise | technical proficiencies | technologies | tools | tools and technologies |
        technologies and tools | tech stack | technical stack | our stack | toolbox | it skills |
        computer skills | professional skills | skills and tools | skills and technologies | technical
        summary | core skills | relevant skills | additional skills
    """,
    Section.EDUCATION: """
        education | academics | academic background | education details | educational background |
        education and training | qualifications and education | education and certifications |
        certifications | certificates | licenses and certifications | certifications and training |
        training | courses | coursework | relevant coursework
    """,
    Section.REQUIREMENTS: """
        requirements | job requirements | key requirements | minimum requirements | qualifications |
        required qualifications | minimum qualifications | basic qualifications | key qualifications |
        required skills | required experience | must have | must haves | must-have | must-haves | what
        you bring | what you'll bring | what you will bring | what we're looking for | what we are
        looking for | who you are | you have | you are | about you | your profile | your background |
        your skills | your experience | skills and qualifications | skills and experience | requirements
        and qualifications | what you need | what you'll need | what you will need | you'll have | you
        will have | ideal candidate | the ideal candidate | candidate profile | essential skills |
        essential requirements | essential | we're looking for | we are looking for
    """,
    Section.PREFERRED: """
        preferred | preferred qualifications | preferred skills | preferred experience | nice to have |
        nice to haves | nice-to-have | nice-to-haves | bonus | bonus points | pluses | plus | extra
        credit | good to have | desired | desired qualifications | desired skills | desirable |
        desirable skills | additional qualifications | it's a plus if you have | bonus if you have |
        even better if you have | ideally
    """,
    Section.OTHER: """
        responsibilities | key responsibilities | duties | what you'll do | what you will do | what
        you'll be doing | what you will be doing | your role | your responsibilities | day to day | your
        impact | the work | benefits | perks | perks and benefits | what we offer | compensation |
        salary | about us | about the company | who we are | our team | the team | about the team | why
        join us | why us | equal opportunity | equal opportunity employer | how to apply | interests |
        hobbies | references | awards | honors | honours | achievements | awards and honors |
        volunteering | activities | extracurricular activities | additional information | personal
        details | contact | contact information | location | spoken languages
    """,
}


def _labels(table: str) -> list[str]:
    return [label.strip() for label in " ".join(table.split()).split("|")]


_HEADINGS: dict[str, Section] = {
    label: section for section, table in _HEADING_TABLE.items() for label in _labels(table)
}

# Labels that open a skills section only on a line of their own: inline ("Tools: Git,
# Docker") they usually annotate a job or project entry and must not end it.
_BARE_ONLY = frozenset(
    _labels("""
        tools | technologies | tools and technologies | technologies and tools | tech stack | technical
        stack | our stack | toolbox | skills and tools | skills and technologies
    """)
)
# Inside a job's requirements, "Experience: 3+ years" or "Education: BSc" is a requirement,
# not the start of a résumé-style section.
_JOB_SECTIONS = frozenset({Section.REQUIREMENTS, Section.PREFERRED})

# Decorations around a heading: markdown hashes and emphasis, bullets, rules, numbering.
_DECOR = " \t#*_=~|>•▪➢◦·-–—:.()[]0123456789"
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_SPACES = re.compile(r"\s+")
# "Skills: Python", "Skills • Python", "Skills - Python": a short label, a separator, then text.
_INLINE = re.compile(r"(.{1,50}?)\s*(?::|\s[*•▪➢◦·|–—-]\s)\s*(\S.*)", re.S)
_LINE = re.compile(r"[^\n]*\n?")


def _normalise(label: str) -> str:
    label = label.translate(_APOSTROPHES).replace("&", " and ").strip(_DECOR)
    return _SPACES.sub(" ", label).lower()


def _classify(line: str) -> tuple[Section, bool] | None:
    """(section, is_inline) for a heading line, else None."""
    stripped = line.strip()
    if not stripped or len(stripped) > 200:
        return None
    inline = _INLINE.match(stripped)
    if inline:
        label = _normalise(inline.group(1))
        section = None if label in _BARE_ONLY else _HEADINGS.get(label)
        return None if section is None else (section, True)
    first_alpha = next((c for c in stripped if c.isalpha()), "")
    # A lower-case lone word is more likely a PDF line wrap ("...industry\nexperience") than a heading.
    if not stripped.endswith(":") and not first_alpha.isupper():
        return None
    section = _HEADINGS.get(_normalise(stripped))
    return None if section is None else (section, False)


def heading_section(line: str) -> Section | None:
    """The section a line opens, or None if it is not a heading."""
    found = _classify(line)
    return None if found is None else found[0]


def split_sections(text: str) -> list[SectionRange]:
    """Contiguous ranges covering text; adjacent ranges of the same section are merged."""
    ranges: list[SectionRange] = []
    current, start = Section.OTHER, 0
    for match in _LINE.finditer(text):
        if match.start() == match.end():
            break
        found = _classify(match.group())
        if found is None:
            continue
        section, inline = found
        if section == current:
            continue
        if inline and current in _JOB_SECTIONS and section not in _JOB_SECTIONS and section != Section.OTHER:
            continue
        if match.start() > start:
            ranges.append(SectionRange(current, start, match.start()))
        current, start = section, match.start()
    ranges.append(SectionRange(current, start, len(text)))
    return ranges


def section_at(ranges: Sequence[SectionRange], offset: int) -> Section:
    """Section holding offset; offsets past either end take the nearest range's section."""
    if not ranges:
        return Section.OTHER
    index = bisect_right([r.start for r in ranges], offset) - 1
    return ranges[max(index, 0)].section
