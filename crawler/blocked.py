"""Blocked pages: a 2xx that is a captcha or bot wall instead of the page (the template is recognised by
extractors/challenge.py). The spider records such a page as a failed fetch, `blocked: …`, and reads nothing in it.
"""
from __future__ import annotations

from crawler.observations import Observation
from crawler.sources import SourceKind, SourcePlan
from extractors import Document
from extractors.challenge import Challenge, challenge_page


def blocking_challenge(kind: SourceKind, plan: SourcePlan,
                       document: Document) -> tuple[Challenge | None, list[Observation] | None]:
    """The challenge that stands in for the page, or None; and the page's observations when they had to be
    extracted to decide (so that they are extracted once), else None.

    A challenge template on a page that still holds the items its kind expects is no wall: a shop with a captcha in
    its newsletter form is a page of the shop.
    """
    challenge = challenge_page(document)
    if challenge is None:
        return None, None
    observations = list(kind.extract(plan, document, document.headers))
    if any(o.item_keys() for o in observations):
        return None, observations
    return challenge, observations
