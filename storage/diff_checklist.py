"""The diff of the checklist's sections beyond prices and reviews: site audit, contact channels and promos, content,
job postings, newsletters, mentions, tenders (storage/diff_tenders.py) and social channels (storage/diff_social.py).
Queries here; the comparisons are storage/compare.py's."""
from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage import models
from storage.compare import Draft, Rules, SiteFacts, compare_audits, compare_sets
from storage.diff_social import social_drafts
from storage.diff_tenders import tender_drafts
from storage.runs import GOOD_RUNS, seen_by_an_earlier_good_run

NEWSLETTER_PREVIEW = 200  # characters of a newsletter's text a change shows


def checklist_drafts(session: Session, run_id: int, base: int, source: models.Source, complete: bool,
                     unseen: set[str], rules: Rules) -> list[Draft]:
    """Changes of `run_id` against the baseline run `base` of one source. Nothing is reported gone unless the page
    it was seen on was read tonight (a failed fetch is not a removal)."""
    drafts = compare_audits(_site_facts(session, base, source.id), _site_facts(session, run_id, source.id),
                            str(source.id), source.url, rules)
    read = _pages_read(session, run_id, source.id) - unseen
    drafts += _channel_drafts(session, run_id, base, source, read)
    drafts += _content_drafts(session, run_id, source)
    closable = complete and not unseen
    drafts += compare_sets("job_posted", "job_closed", "job", _jobs(session, base, source.id),
                           _jobs(session, run_id, source.id), source.url, severity="medium")
    if not closable:
        drafts = [d for d in drafts if d.kind != "job_closed"]
    drafts += _newsletter_drafts(session, run_id, source)
    drafts += _mention_drafts(session, run_id, source)
    drafts += tender_drafts(session, run_id, source)
    drafts += social_drafts(session, run_id, base, source, rules)
    return drafts


def _site_facts(session: Session, run_id: int, source_id: int) -> SiteFacts | None:
    row = session.scalar(select(models.SiteAudit).where(models.SiteAudit.run_id == run_id,
                                                        models.SiteAudit.source_id == source_id))
    if row is None:
        return None
    return SiteFacts(row.robots_hash, tuple((row.robots_rules or {}).get("rules") or ()), row.sitemap_urls,
                     row.broken_links)


def _pages_read(session: Session, run_id: int, source_id: int) -> set[str]:
    return set(session.scalars(select(models.PageSnapshot.url).where(
        models.PageSnapshot.run_id == run_id, models.PageSnapshot.source_id == source_id)))


def _channels(session: Session, run_id: int, source_id: int) -> dict[tuple[str, str], tuple[str | None, str | None]]:
    rows = session.execute(select(models.ContactChannel.kind, models.ContactChannel.value, models.ContactChannel.label,
                                  models.ContactChannel.url)
                           .where(models.ContactChannel.run_id == run_id, models.ContactChannel.source_id == source_id))
    return {(kind, value): (label, url) for kind, value, label, url in rows}


def _channel_drafts(session: Session, run_id: int, base: int, source: models.Source, read: set[str]) -> list[Draft]:
    before, after = _channels(session, base, source.id), _channels(session, run_id, source.id)
    drafts = []
    for (kind, value), (label, url) in after.items():
        if (kind, value) not in before:
            added = "promo_new" if kind == "promo" else "channel_added"
            drafts.append(Draft(added, f"{kind}:{value}", channel_title(kind, value, label), url, None,
                                label if kind == "promo" else value, severity="medium"))
    for (kind, value), (label, url) in before.items():
        if (kind, value) not in after and url in read:  # its page was read tonight and no longer shows it
            removed = "promo_ended" if kind == "promo" else "channel_removed"
            drafts.append(Draft(removed, f"{kind}:{value}", channel_title(kind, value, label), url,
                                label if kind == "promo" else value, None, severity="medium"))
    return drafts


def channel_title(kind: str, value: str, label: str | None) -> str:
    """"Telegram @kranrad", "phone +4930…", "callback form (3 fields)", "JivoChat", a promo's text."""
    if kind == "messenger":
        return f"{label} {value.partition(':')[2]}"
    if kind in ("phone", "email"):
        return f"{label} {value}"
    if kind == "form":
        purpose, _, fields = value.partition(":")
        return f"{purpose} ({fields})"
    return value


def _content_drafts(session: Session, run_id: int, source: models.Source) -> list[Draft]:
    """Articles of this run that no earlier good crawl of the source listed."""
    earlier = (select(models.ContentItem.url).join(models.CrawlRun, models.CrawlRun.id == models.ContentItem.run_id)
               .where(models.ContentItem.source_id == source.id, models.ContentItem.run_id < run_id,
                      models.CrawlRun.status.in_(GOOD_RUNS)))
    rows = session.execute(select(models.ContentItem).where(
        models.ContentItem.run_id == run_id, models.ContentItem.source_id == source.id,
        models.ContentItem.url.not_in(earlier))).scalars()
    return [Draft("content_new", f"content:{item.url}", item.title, item.url, None,
                  item.published.isoformat() if item.published else item.kind) for item in rows]


def _jobs(session: Session, run_id: int, source_id: int) -> dict[str, str | None]:
    rows = session.execute(select(models.JobPosting.key, models.JobPosting.title, models.JobPosting.location)
                           .where(models.JobPosting.run_id == run_id, models.JobPosting.source_id == source_id))
    return {key: f"{title} ({location})" if location else title for key, title, location in rows}


def _newsletter_drafts(session: Session, run_id: int, source: models.Source) -> list[Draft]:
    """Newsletters first read in this run (or moved to it from a failed run that read them: storage/writer.py)."""
    rows = session.execute(select(models.Newsletter).where(
        models.Newsletter.run_id == run_id, models.Newsletter.source_id == source.id)
        .order_by(models.Newsletter.sent_at)).scalars()
    return [Draft("newsletter_new", f"newsletter:{letter.message_id}", f"{letter.sender}: {letter.subject or ''}",
                  next(iter((letter.links or {}).get("links") or []), None), None,
                  (letter.main_text or "")[:NEWSLETTER_PREVIEW] or None) for letter in rows]


def _mention_drafts(session: Session, run_id: int, source: models.Source) -> list[Draft]:
    """Mentions this source's feed shows now that no earlier good run saw (by any source of the competitor), as
    reviews are told: not by `first_seen_run_id`, since a failed run may have read one first."""
    seen_before = seen_by_an_earlier_good_run(models.MentionObservation, models.MentionObservation.mention_id,
                                              models.Mention.id, run_id)
    rows = session.execute(
        select(models.Mention)
        .join(models.MentionObservation, and_(models.MentionObservation.mention_id == models.Mention.id,
                                              models.MentionObservation.run_id == run_id,
                                              models.MentionObservation.source_id == source.id))
        .where(~seen_before).order_by(models.Mention.published.desc(), models.Mention.id)).scalars()
    # the entity names the competitor: one feed item may mention two of them, each its own change
    return [Draft("mention_new", f"mention:{m.competitor_id}:{m.key}", m.title or m.url or m.key, m.url, None,
                  m.snippet, severity="low") for m in rows]
