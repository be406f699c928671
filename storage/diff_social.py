"""The diff of social channels (kind: social): new posts, an audience that moved, a posting rhythm that changed.
Queries here, the judgements in the pure functions at the top (no database in them).

- post_new: a post this source's read shows that no earlier good run saw (as mentions and reviews are told: not by
  `first_seen_run_id`, since a failed run may have read it first); one change per post, grouped into the night's
  event (storage/event_rules.py).
- subscribers_changed: the audience of the last good read against this one moved by at least
  `Rules.subscribers_change_pct` percent.
- cadence_changed: posts per week over the CADENCE_WEEKS weeks before the run started against the CADENCE_WEEKS
  weeks before those, by the posts' own dates; the rhythm is "up" when the newer window has at least
  `Rules.cadence_factor` times the posts of the older one (at least MIN_CADENCE_POSTS of them), "down" the other
  way round, else "steady". Told when the rhythm of this run differs from that of the baseline run and is not
  steady, so a rhythm that stays doubled is told once.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from storage import models
from storage.compare import Draft, Rules
from storage.runs import GOOD_RUNS, seen_by_an_earlier_good_run

CADENCE_WEEKS = 4
MIN_CADENCE_POSTS = 4  # posts in the busier window at least: 1 post against 3 is no rhythm, it is chance
POST_TITLE = 120  # characters of a post's text a change is titled with
POST_PREVIEW = 200
NETWORK_NAMES = {"telegram": "Telegram", "youtube": "YouTube", "vk": "VK"}


def channel_label(network: str, channel: str, title: str | None = None) -> str:
    """How changes and the report name a channel: "Telegram @gruzovoz_news", "YouTube Kranrad GmbH"."""
    name = NETWORK_NAMES.get(network, network)
    if network == "telegram":
        return f"{name} @{channel}"
    return f"{name} {title or channel}"


def subscribers_draft(entity: str, label: str, url: str | None, before: int | None, after: int | None,
                      rules: Rules, evidence: dict[str, object]) -> list[Draft]:
    """subscribers_changed when the audience moved by at least rules.subscribers_change_pct percent."""
    if before is None or after is None or before == after or before <= 0:
        return []
    pct = (Decimal(after - before) * 100 / Decimal(before)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    if abs(pct) < rules.subscribers_change_pct:
        return []
    severity = "medium" if abs(pct) >= 2 * max(rules.subscribers_change_pct, Decimal(1)) else "low"
    return [Draft("subscribers_changed", entity, label, url, str(before), str(after), pct, severity,
                  evidence=evidence)]


def cadence(published: Iterable[datetime | None], now: datetime, factor: Decimal) -> tuple[str, int, int]:
    """("up" | "down" | "steady", posts in the older window, posts in the newer one) as of `now`."""
    span = timedelta(weeks=CADENCE_WEEKS)
    newer = older = 0
    for when in published:
        if when is None:
            continue
        when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
        if now - span <= when < now:
            newer += 1
        elif now - 2 * span <= when < now - span:
            older += 1
    if max(newer, older) < MIN_CADENCE_POSTS:
        return "steady", older, newer
    if newer >= factor * max(older, 1):
        return "up", older, newer
    if older >= factor * max(newer, 1):
        return "down", older, newer
    return "steady", older, newer


def cadence_draft(entity: str, label: str, url: str | None, before_state: str,
                  now: tuple[str, int, int]) -> list[Draft]:
    """cadence_changed when this run's rhythm is not steady and was not so at the baseline."""
    state, older, newer = now
    if state == "steady" or state == before_state:
        return []
    ratio = (Decimal(newer) / Decimal(max(older, 1))).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return [Draft("cadence_changed", entity, label, url, _per_week(older), _per_week(newer), ratio, "low",
                  evidence={"direction": state, "weeks": CADENCE_WEEKS, "older_posts": older, "newer_posts": newer})]


def _per_week(posts: int) -> str:
    return f"{Decimal(posts) / CADENCE_WEEKS:.2f}"


# -- queries ---------------------------------------------------------------------------------------------------

def social_drafts(session: Session, run_id: int, base: int, source: models.Source, rules: Rules) -> list[Draft]:
    """The changes of this source's channels in `run_id` against its baseline run `base`."""
    snapshots = session.execute(
        select(models.ChannelSnapshot, models.SocialChannel)
        .join(models.SocialChannel, models.SocialChannel.id == models.ChannelSnapshot.social_channel_id)
        .where(models.ChannelSnapshot.run_id == run_id, models.ChannelSnapshot.source_id == source.id)).all()
    if not snapshots:
        return []
    started = _started(session, run_id)
    base_started = _started(session, base)
    drafts: list[Draft] = []
    for snapshot, channel in snapshots:
        label = channel_label(channel.network, channel.channel, channel.title)
        evidence = {"network": channel.network, "channel": channel.channel, "label": label}
        drafts += _post_drafts(session, run_id, source.id, channel, label, evidence)
        before = session.scalar(select(models.ChannelSnapshot.subscribers).where(
            models.ChannelSnapshot.run_id == base, models.ChannelSnapshot.social_channel_id == channel.id))
        drafts += subscribers_draft(f"subscribers:{channel.id}", label, channel.url, before, snapshot.subscribers,
                                    rules, evidence)
        factor = rules.cadence_factor
        before_state = cadence(_published(session, channel.id, base), base_started, factor)[0]
        drafts += cadence_draft(f"cadence:{channel.id}", label, channel.url, before_state,
                                cadence(_published(session, channel.id, run_id), started, factor))
    return drafts


def _post_drafts(session: Session, run_id: int, source_id: int, channel: models.SocialChannel, label: str,
                 evidence: dict[str, object]) -> list[Draft]:
    seen_before = seen_by_an_earlier_good_run(models.SocialPostObservation,
                                              models.SocialPostObservation.social_post_id, models.SocialPost.id,
                                              run_id)
    rows = session.execute(
        select(models.SocialPost)
        .join(models.SocialPostObservation, and_(models.SocialPostObservation.social_post_id == models.SocialPost.id,
                                                 models.SocialPostObservation.run_id == run_id,
                                                 models.SocialPostObservation.source_id == source_id))
        .where(models.SocialPost.social_channel_id == channel.id, ~seen_before)
        .order_by(models.SocialPost.published.desc(), models.SocialPost.id)).scalars()
    return [Draft("post_new", f"post:{channel.network}:{channel.channel}:{post.post_id}",
                  _first_line(post.text) or f"{label} #{post.post_id}", post.url, None,
                  (post.text or "")[:POST_PREVIEW] or None, evidence=evidence) for post in rows]


def _published(session: Session, channel_id: int, up_to_run: int) -> list[datetime | None]:
    """The dates of the channel's posts that a good run up to `up_to_run` read."""
    observed = (select(models.SocialPostObservation.id)
                .join(models.CrawlRun, models.CrawlRun.id == models.SocialPostObservation.run_id)
                .where(models.SocialPostObservation.social_post_id == models.SocialPost.id,
                       models.SocialPostObservation.run_id <= up_to_run,
                       models.CrawlRun.status.in_(GOOD_RUNS) | (models.CrawlRun.id == up_to_run)))
    return list(session.scalars(select(models.SocialPost.published).where(
        models.SocialPost.social_channel_id == channel_id, exists(observed))))


def _started(session: Session, run_id: int) -> datetime:
    started = session.scalar(select(models.CrawlRun.started).where(models.CrawlRun.id == run_id))
    started = started or datetime.now(timezone.utc)
    return started if started.tzinfo else started.replace(tzinfo=timezone.utc)


def _first_line(text: str | None) -> str | None:
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), None)
    return line[:POST_TITLE] if line else None
