"""Every platform and review-widget page of fixtures/labelled/platforms read with no configuration: all fields right."""
from __future__ import annotations

import pytest

from extractors.platforms import all_platforms
from fixtures.labelled import platform_pages

PAGES = platform_pages.pages()


@pytest.mark.parametrize(("folder", "page"), PAGES, ids=[f"{f}/{p}" for f, p in PAGES])
def test_a_platform_page_reads_right_with_no_configuration(folder: str, page: str) -> None:
    wrong = [f"{c.field}: expected {c.expected!r}, got {c.got!r}" for c in platform_pages.checks(folder, page)
             if not c.ok]
    assert not wrong, "\n".join(wrong)


def test_every_platform_row_names_its_ground_and_markers() -> None:
    for platform in all_platforms():
        assert platform.ground.strip(), platform.name
        assert platform.markers and all(m == m.lower() and len(m) >= 4 for m in platform.markers), platform.name


def test_every_platform_row_has_labelled_pages() -> None:
    labelled = {platform_pages.load(d)["platform"] for d in platform_pages.platform_dirs()}
    assert {p.name for p in all_platforms()} <= labelled
