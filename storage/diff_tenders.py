"""The diff of a tenders source (kind: tenders): tender_new, a notice naming the competitor that no earlier good run
saw, and tender_won, a notice where it is the winner that no earlier good run saw it win (a new notice won, or one
it bid in now awarded to it). Compared with every earlier good run, as mentions are, not with the baseline alone:
a notice that drops out of a search's answer and comes back is not new."""
from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from storage import models
from storage.compare import Draft
from storage.runs import seen_by_an_earlier_good_run


def tender_drafts(session: Session, run_id: int, source: models.Source) -> list[Draft]:
    """This source's notices tonight, each told once: won (high) if no earlier good run saw the competitor win it,
    else new (low) if no earlier good run saw it at all."""
    def seen_before(won: bool):
        won_then = (lambda earlier: earlier.role == "winner",) if won else ()
        return seen_by_an_earlier_good_run(models.TenderObservation, models.TenderObservation.tender_id,
                                           models.Tender.id, run_id, *won_then)

    tonight = models.TenderObservation
    rows = session.execute(
        select(models.Tender, tonight.role, seen_before(False).label("seen"))
        .join(tonight, and_(tonight.tender_id == models.Tender.id, tonight.run_id == run_id,
                            tonight.source_id == source.id))
        .where(~seen_before(True))
        .order_by(models.Tender.published.desc(), models.Tender.id)).all()
    drafts = []
    for tender, role, seen in rows:
        if role == "winner":
            kind, severity = "tender_won", "high"
        elif not seen:
            kind, severity = "tender_new", "low"
        else:
            continue  # a bidder still, as before
        value = f"{tender.value} {tender.currency}".strip() if tender.value is not None else None
        # the entity names the competitor: one notice may name two of them, each its own change
        drafts.append(Draft(kind, f"tender:{tender.competitor_id}:{tender.format}:{tender.notice_id}",
                            tender.title or tender.notice_id, tender.url, "bidder" if seen else None, value,
                            severity=severity,
                            evidence={"notice": tender.notice_id, "format": tender.format, "buyer": tender.buyer,
                                      "role": role, "awarded": tender.awarded.isoformat() if tender.awarded
                                      else None}))
    return drafts
