"""Change severities, most severe first: the one ranking the diff's changes, the alerts' subscriptions, the digest,
the command line and the events go by."""
from __future__ import annotations

SEVERITIES = ("high", "medium", "low")
LOWEST = SEVERITIES[-1]


def known(severity: str | None) -> str:
    """The severity as ranked: one this version does not know (stored by a newer one) counts as the lowest."""
    return severity if severity in SEVERITIES else LOWEST


def rank(severity: str | None) -> int:
    """0 for the most severe."""
    return SEVERITIES.index(known(severity))


def at_least(severity: str | None, floor: str) -> bool:
    """Whether a change of `severity` reaches a subscription's `min_severity` of `floor`."""
    return rank(severity) <= rank(floor)


def strongest(severities) -> str:
    """The most severe of these (the lowest when there are none)."""
    return min((known(s) for s in severities), key=rank, default=LOWEST)
