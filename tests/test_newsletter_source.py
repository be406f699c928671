"""A `newsletter` source in the run: the competitor's mail read from the team mailbox, stored once per message,
`newsletter_new` the night a message arrives, and a mailbox that cannot be read failing the source like a site."""
from __future__ import annotations

import mailbox
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from crawler.newsletters import mailbox_location, read_newsletters
from storage import models
from storage.db import session_scope
from storage.diff import diff_run
from storage.queries import list_changes
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources

COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [
    {"kind": "newsletter", "url": "mbox:mail/team.mbox", "senders": ["@kranrad.example"]}]},
    {"slug": "gruzovoz", "name": "ГрузоВоз", "sources": [
        {"kind": "newsletter", "url": "mbox:mail/team.mbox", "senders": ["news@gruzovoz.example"]}]}]


def message(sender: str, subject: str, days_ago: int, body: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "team@example.org"
    mail["Subject"] = subject
    mail["Date"] = format_datetime(datetime.now(timezone.utc) - timedelta(days=days_ago))
    mail["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    mail.set_content(body)
    mail.add_alternative(f"<p>{body} <a href='https://{sender.split('@')[1]}/angebot?utm_source=mail'>Angebot</a></p>",
                         subtype="html")
    return mail


def deliver(folder: Path, *messages: EmailMessage) -> None:
    box = mailbox.mbox(folder / "mail" / "team.mbox")
    box.lock()
    for each in messages:
        box.add(each)
    box.flush()
    box.unlock()


def night(engine, folder: Path):
    refs = sync_sources(engine, COMPETITORS)
    run_id = start_run(engine)
    read = read_newsletters(engine, run_id, refs, folder, environ={})
    outcomes = record_source_outcomes(engine, run_id, refs)
    finish_run(engine, run_id, "succeeded" if all(o.status == "succeeded" for o in outcomes) else "partial")
    diff_run(engine, run_id)
    return run_id, read, {o.source_id: o for o in outcomes}


def test_each_competitor_gets_its_own_mail_once_and_news_the_night_it_arrives(engine, tmp_path):
    (tmp_path / "mail").mkdir()
    deliver(tmp_path, message("news@kranrad.example", "Herbstaktion: 10 % auf Laufräder", 5, "Nur bis Freitag."),
            message("news@gruzovoz.example", "Скидка 15% на Газель", 4, "Промокод OSEN15."),
            message("spam@elsewhere.example", "You won", 1, "Click."))
    first, read, _ = night(engine, tmp_path)
    assert read == 2
    assert list_changes(engine, run_id=first) == []  # the first read is the baseline
    deliver(tmp_path, message("news@kranrad.example", "Neu: Laufrad SR 500", 0, "Jetzt bestellen."))
    second, read, outcomes = night(engine, tmp_path)
    assert {o.status for o in outcomes.values()} == {"succeeded"}
    news = list_changes(engine, run_id=second, kind="newsletter_new")
    assert [(c.competitor_slug, c.title, c.after) for c in news] == [
        ("kranrad", "news@kranrad.example: Neu: Laufrad SR 500", "Jetzt bestellen.")]
    with session_scope(engine) as session:
        stored = session.execute(select(models.Newsletter.subject, models.Newsletter.links)
                                 .order_by(models.Newsletter.id)).all()
    assert [subject for subject, _ in stored] == ["Herbstaktion: 10 % auf Laufräder", "Скидка 15% на Газель",
                                                 "Neu: Laufrad SR 500"]
    assert stored[0].links == {"links": ["https://kranrad.example/angebot"]}  # utm_* dropped
    third, _, _ = night(engine, tmp_path)
    assert list_changes(engine, run_id=third, kind="newsletter_new") == []
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Newsletter)) == 3  # never twice


def test_a_mailbox_that_cannot_be_read_fails_its_source_with_the_reason(engine, tmp_path):
    (tmp_path / "mail").mkdir()
    deliver(tmp_path, message("news@kranrad.example", "Herbstaktion", 5, "Nur bis Freitag."))
    night(engine, tmp_path)
    (tmp_path / "mail" / "team.mbox").unlink()
    run_id, read, outcomes = night(engine, tmp_path)
    assert read == 0
    assert {o.status for o in outcomes.values()} == {"failed"}
    reasons = {o.reason for o in outcomes.values()}
    assert all("team.mbox" in reason for reason in reasons), reasons
    unreachable = list_changes(engine, run_id=run_id, kind="source_unreachable")
    assert len(unreachable) == 2
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(models.Newsletter)) == 1  # nothing lost


def test_a_local_mailbox_path_is_relative_to_the_config_file(tmp_path):
    assert mailbox_location("mbox:mail/team.mbox", tmp_path) == f"mbox:{tmp_path / 'mail' / 'team.mbox'}"
    assert mailbox_location("maildir:///srv/mail", tmp_path) == "maildir:/srv/mail"
    assert mailbox_location("imaps://imap.example.org/INBOX", tmp_path) == "imaps://imap.example.org/INBOX"
