"""Newsletters: the parser over tests/samples/newsletters (each `<case>.eml` beside `<case>.expected.json`), and
reading mailboxes: a Maildir and an mbox built here, and a real Dovecot over imaps on 127.0.0.1."""
from __future__ import annotations

import imaplib
import json
import logging
import mailbox
import socket
import ssl
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crawler.mailbox import MailboxError, imap_mailbox_name, read_mailbox, search_criteria, sender_rules
from dossier.errors import CrawlError, DossierError
from extractors.newsletter import MAX_MAIN_TEXT, parse_newsletter
from extractors.records import Newsletter

from tests import imapserver
from tests.imapserver import PASSWORD, USER

SAMPLES = Path(__file__).parent / "samples" / "newsletters"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))
FIELDS = ("message_id", "sender", "sender_name", "subject", "sent", "links")
MARCH = datetime(2025, 3, 1, tzinfo=timezone.utc)


# --- the parser ---------------------------------------------------------------------------------------------------

def as_json(record: Newsletter) -> dict:
    return {name: (value.isoformat() if isinstance(value, datetime) else value)
            for name in FIELDS for value in [getattr(record, name)]}


def test_every_sample_has_its_expectation():
    assert sorted(p.stem for p in SAMPLES.glob("*.eml")) == CASES


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    record = parse_newsletter((SAMPLES / f"{case}.eml").read_bytes())
    if spec["record"] is None:
        assert record is None
        return
    assert isinstance(record, Newsletter)
    assert as_json(record) == spec["record"]
    assert record.sent is None or record.sent.tzinfo is not None
    for phrase in spec["main_text_contains"]:
        assert phrase in (record.main_text or ""), phrase
    for phrase in spec["main_text_excludes"]:
        assert phrase not in (record.main_text or ""), phrase


def message(sender: str = "Kranrad GmbH <news@kranrad.example>", subject: str = "Neu im März",
            sent: datetime | None = MARCH, body: str = "Hallo", html: str | None = None,
            message_id: str | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "scout@dossier.example"
    mail["Subject"] = subject
    if sent is not None:
        mail["Date"] = format_datetime(sent)
    mail["Message-ID"] = message_id or make_msgid(domain=sender.rpartition("@")[2].rstrip(">"))
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail.as_bytes()


def test_subject_has_no_line_breaks():
    raw = b"From: a@kranrad.example\r\nSubject: one\r\n\ttwo\r\n  three\r\n\r\nbody\r\n"
    assert parse_newsletter(raw).subject == "one two three"


def test_main_text_is_capped():
    record = parse_newsletter(message(body="Lastenrad " * 5_000))
    assert len(record.main_text) == MAX_MAIN_TEXT


def test_html_part_gives_links_even_when_text_gives_main_text():
    record = parse_newsletter(message(body="Plain words only", html='<p><a href="https://kranrad.example/a?'
                                                                   'utm_source=x&amp;id=1">A</a></p>'))
    assert record.main_text == "Plain words only"
    assert record.links == ["https://kranrad.example/a?id=1"]


def test_empty_text_part_falls_back_to_html():
    record = parse_newsletter(message(body="\n \n", html="<h1>Frühjahr</h1><p>Neue <b>Preise</b></p>"))
    assert record.main_text == "Frühjahr\nNeue Preise"


def test_date_without_zone_is_utc():
    raw = b"From: a@kranrad.example\r\nDate: Mon, 3 Mar 2025 07:30:00 -0000\r\n\r\nx\r\n"
    assert parse_newsletter(raw).sent == datetime(2025, 3, 3, 7, 30, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw", [b"", b"   ", b"\x00" * 100, b"From: nobody\r\n\r\n", b"Subject: no sender\r\n\r\nx",
                                 "not bytes", None, b"From: =?x-unknown?B?////?= <@>\r\n\r\n"])
def test_not_a_message_is_none(raw):
    assert parse_newsletter(raw) is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000) | st.text(max_size=2000).map(lambda t: ("From: a@b.example\r\n" + t).encode(
    "utf-8", "surrogatepass")))
def test_never_raises(raw):
    result = parse_newsletter(raw)
    assert result is None or isinstance(result, Newsletter)


# --- local mailboxes ----------------------------------------------------------------------------------------------

MESSAGES = [
    message("Kranrad GmbH <news@kranrad.example>", "Kranrad Februar", MARCH - timedelta(days=20)),
    message("Kranrad GmbH <NEWS@Kranrad.Example>", "Kranrad März", MARCH + timedelta(days=2)),
    message("Kranrad Händler <haendler@mail.kranrad.example>", "Kranrad Händler", MARCH + timedelta(days=3)),
    message("ГрузоВоз <news@gruzovoz.example>", "ГрузоВоз март", MARCH + timedelta(days=4)),
    message("Northwind Tools <news@northwind-tools.example>", "Northwind spring", MARCH + timedelta(hours=1)),
    message("Imposter <news@notkranrad.example>", "Not Kranrad", MARCH + timedelta(days=5)),
]


def subjects(raws: list[bytes]) -> list[str]:
    return sorted(parse_newsletter(raw).subject for raw in raws)


FILTERS = [
    (None, None, sorted(["Kranrad Februar", "Kranrad März", "Kranrad Händler", "ГрузоВоз март", "Northwind spring",
                         "Not Kranrad"])),
    (["news@kranrad.example"], None, ["Kranrad Februar", "Kranrad März"]),
    (["@Kranrad.example"], None, ["Kranrad Februar", "Kranrad Händler", "Kranrad März"]),
    (["kranrad.example", "news@gruzovoz.example"], MARCH, ["Kranrad Händler", "Kranrad März", "ГрузоВоз март"]),
    (None, MARCH + timedelta(days=3), ["Kranrad Händler", "Not Kranrad", "ГрузоВоз март"]),
    (None, datetime(2025, 3, 1, 0, 30), ["Kranrad Händler", "Kranrad März", "Not Kranrad", "Northwind spring",
                                          "ГрузоВоз март"]),  # naive since: UTC
    ([], None, []),
]


@pytest.fixture
def maildir_path(tmp_path) -> Path:
    path = tmp_path / "Maildir"
    box = mailbox.Maildir(path, factory=None, create=True)
    for raw in MESSAGES:
        box.add(raw)
    return path


@pytest.fixture
def mbox_path(tmp_path) -> Path:
    path = tmp_path / "newsletters.mbox"
    box = mailbox.mbox(path, factory=None, create=True)
    for raw in MESSAGES:
        box.add(raw)
    box.flush()
    box.close()
    return path


@pytest.mark.parametrize("senders, since, expected", FILTERS)
def test_maildir_filters(maildir_path, senders, since, expected):
    assert subjects(read_mailbox(f"maildir:{maildir_path}", senders, since)) == sorted(expected)


@pytest.mark.parametrize("senders, since, expected", FILTERS)
def test_mbox_filters(mbox_path, senders, since, expected):
    assert subjects(read_mailbox(f"mbox:{mbox_path}", senders, since)) == sorted(expected)


def test_maildir_url_forms_and_raw_bytes(maildir_path):
    assert read_mailbox(f"maildir://{maildir_path}") == read_mailbox(f"maildir:{maildir_path}")
    assert sorted(read_mailbox(f"maildir:{maildir_path}")) == sorted(MESSAGES)


def test_maildir_is_left_as_it_was(maildir_path):
    before = sorted(str(p.relative_to(maildir_path)) for p in maildir_path.rglob("*"))
    read_mailbox(f"maildir:{maildir_path}")
    assert sorted(str(p.relative_to(maildir_path)) for p in maildir_path.rglob("*")) == before


def test_undated_message_falls_back_to_delivery(tmp_path):
    box = mailbox.Maildir(tmp_path / "m", factory=None, create=True)
    box.add(b"From: news@kranrad.example\r\nSubject: undated\r\n\r\nx\r\n")  # delivered now
    assert len(read_mailbox(f"maildir:{tmp_path / 'm'}", since=MARCH)) == 1
    assert read_mailbox(f"maildir:{tmp_path / 'm'}", since=datetime.now(timezone.utc) + timedelta(days=1)) == []


def assert_one_line(error: Exception, *secrets: str) -> str:
    text = str(error)
    assert text and "\n" not in text and "\r" not in text
    for secret in (PASSWORD, *secrets):
        assert secret not in text and secret not in repr(error)
    return text


@pytest.mark.parametrize("url, phrase", [
    ("pop3://mail.kranrad.example/", "not a mailbox URL"),
    ("/var/mail/scout", "not a mailbox URL"),
    ("imap://127.0.0.1:143/INBOX", "use imaps://127.0.0.1:143"),
    ("maildir:/nonexistent/Maildir", "no such directory /nonexistent/Maildir"),
    ("maildir://mail.example/x", "names no host"),
    ("mbox:/nonexistent/news.mbox", "no such file /nonexistent/news.mbox"),
    ("imaps://127.0.0.1:99999/INBOX", "is not a port number"),
])
def test_bad_urls(url, phrase):
    with pytest.raises(MailboxError) as caught:
        read_mailbox(url, timeout=2)
    assert phrase in assert_one_line(caught.value)


def test_a_directory_without_cur_and_new_is_not_a_maildir(tmp_path):
    with pytest.raises(MailboxError, match="is not a Maildir"):
        read_mailbox(f"maildir:{tmp_path}")


@pytest.mark.parametrize("url", [
    f"imaps://{USER}:{PASSWORD}@127.0.0.1/INBOX", "imap://scout:hunter2-secret@127.0.0.1/INBOX",
    "imaps://:hunter2-secret@127.0.0.1", "pop3://scout:hunter2-secret@127.0.0.1/",
])
def test_password_in_url_is_refused_and_not_shown(url):
    with pytest.raises(MailboxError) as caught:
        read_mailbox(url, environ={}, timeout=2)
    text = assert_one_line(caught.value, "hunter2-secret", "s3cret")
    assert "DOSSIER_IMAP_PASSWORD" in text or "imaps://" in text


def test_missing_credentials_name_the_variables():
    with pytest.raises(MailboxError) as caught:
        read_mailbox("imaps://127.0.0.1/INBOX", environ={}, timeout=2)
    text = assert_one_line(caught.value)
    assert text.endswith("no IMAP credentials: set DOSSIER_IMAP_USER and DOSSIER_IMAP_PASSWORD")
    with pytest.raises(MailboxError, match=r"set DOSSIER_IMAP_PASSWORD$"):
        read_mailbox("imaps://scout@127.0.0.1/INBOX", environ={}, timeout=2)


@pytest.mark.parametrize("entry", ["", "news", "a b@kranrad.example", 'x"@kranrad.example', "news@", "@"])
def test_bad_sender_entry(entry):
    with pytest.raises(MailboxError, match=r"^senders: .* is neither an e-mail address"):
        sender_rules([entry])


def test_search_narrows_on_the_server():
    rules = sender_rules(["news@kranrad.example", "@gruzovoz.example"])
    assert search_criteria(rules, MARCH) == 'SINCE 28-Feb-2025 (OR FROM "news@kranrad.example" FROM "gruzovoz.example")'
    assert search_criteria(None, None) == "ALL"


def test_mailbox_error_is_a_crawl_error():
    assert issubclass(MailboxError, CrawlError) and issubclass(MailboxError, DossierError)


# --- a real IMAP server ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def imap_server():
    """Dovecot on 127.0.0.1 (imaps only) with the messages of MESSAGES in INBOX and one in a Newsletters folder."""
    binary = imapserver.find_dovecot()
    if binary is None:
        pytest.fail(imapserver.INSTALL_HINT, pytrace=False)
    server = imapserver.start_server(binary)
    try:
        for raw in MESSAGES:
            server.deliver(raw)
        on_disk = imap_mailbox_name("Рассылки").strip('"')  # Dovecot keeps Maildir++ folder names in modified UTF-7
        server.deliver(message("ГрузоВоз <news@gruzovoz.example>", "В папке", MARCH), folder=on_disk)
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_env(imap_server, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_server.ca_file))
    monkeypatch.setenv("DOSSIER_IMAP_USER", USER)
    monkeypatch.setenv("DOSSIER_IMAP_PASSWORD", PASSWORD)
    return f"imaps://127.0.0.1:{imap_server.port}"


def flags(server, ca_file: Path) -> list[bytes]:
    client = imaplib.IMAP4_SSL("127.0.0.1", server.port, ssl_context=ssl.create_default_context(cafile=str(ca_file)),
                               timeout=5)
    try:
        client.login(USER, PASSWORD)
        client.select("INBOX", readonly=True)
        status, reply = client.fetch("1:*", "(FLAGS)")
        assert status == "OK"
        return [line for line in reply if line]
    finally:
        client.logout()


@pytest.mark.parametrize("senders, since, expected", FILTERS)
def test_imaps_filters(imap_env, senders, since, expected):
    assert subjects(read_mailbox(f"{imap_env}/INBOX", senders, since, timeout=5)) == sorted(expected)


def test_imaps_returns_the_raw_messages_and_marks_none_seen(imap_server, imap_env):
    found = read_mailbox(imap_env, timeout=5)  # folder defaults to INBOX
    assert sorted(raw.replace(b"\r\n", b"\n") for raw in found) == sorted(raw.replace(b"\r\n", b"\n")
                                                                             for raw in MESSAGES)
    seen = flags(imap_server, imap_server.ca_file)
    assert len(seen) == len(MESSAGES)
    assert not any(b"\\Seen" in line for line in seen)


def test_imaps_user_in_url_and_explicit_environ(imap_server):
    environ = {"DOSSIER_IMAP_PASSWORD": PASSWORD, "SSL_CERT_FILE": str(imap_server.ca_file)}
    found = read_mailbox(f"imaps://{USER}@localhost:{imap_server.port}/INBOX", ["gruzovoz.example"], environ=environ,
                         timeout=5)
    assert subjects(found) == ["ГрузоВоз март"]


def test_imaps_folder_outside_ascii(imap_env):
    assert subjects(read_mailbox(f"{imap_env}/Рассылки", timeout=5)) == ["В папке"]


def test_imaps_missing_folder(imap_env):
    with pytest.raises(MailboxError) as caught:
        read_mailbox(f"{imap_env}/Newsletters", timeout=5)
    text = assert_one_line(caught.value)
    assert "no folder 'Newsletters'" in text and "INBOX" in text


def test_imaps_wrong_password(imap_env, monkeypatch, caplog):
    wrong = "wrong-Kranrad-password"
    monkeypatch.setenv("DOSSIER_IMAP_PASSWORD", wrong)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(MailboxError) as caught:
        read_mailbox(imap_env, timeout=5)
    text = assert_one_line(caught.value, wrong)
    assert text.startswith("DOSSIER_IMAP_USER/DOSSIER_IMAP_PASSWORD rejected by 127.0.0.1:")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert wrong not in caplog.text


def test_imaps_wrong_password_for_the_user_of_the_url(imap_server):
    environ = {"DOSSIER_IMAP_USER": "ignored", "DOSSIER_IMAP_PASSWORD": "nope-Kranrad",
               "SSL_CERT_FILE": str(imap_server.ca_file)}
    with pytest.raises(MailboxError) as caught:
        read_mailbox(f"imaps://{USER}@127.0.0.1:{imap_server.port}", environ=environ, timeout=5)
    text = assert_one_line(caught.value, "nope-Kranrad")
    assert text.startswith("the user 'scout' of the URL with DOSSIER_IMAP_PASSWORD rejected by 127.0.0.1:")


def test_unreadable_ca_file_is_named(imap_server):
    environ = {"DOSSIER_IMAP_USER": USER, "DOSSIER_IMAP_PASSWORD": PASSWORD, "SSL_CERT_FILE": "/nonexistent/ca.pem"}
    with pytest.raises(MailboxError, match=r"^SSL_CERT_FILE=/nonexistent/ca.pem: cannot load it"):
        read_mailbox(f"imaps://127.0.0.1:{imap_server.port}", environ=environ, timeout=5)


def test_imaps_untrusted_certificate(imap_env, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(MailboxError) as caught:
        read_mailbox(imap_env, timeout=5)
    text = assert_one_line(caught.value)
    assert "certificate not trusted" in text and "SSL_CERT_FILE" in text


def test_imaps_closed_port(imap_env):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connections are refused
        with pytest.raises(MailboxError) as caught:
            read_mailbox(f"imaps://127.0.0.1:{port}/INBOX", timeout=3)
    text = assert_one_line(caught.value)
    assert text.startswith(f"127.0.0.1:{port}: connection refused")


def test_imaps_plain_port_is_not_tls(imap_env):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]  # accepts, never answers: the TLS handshake times out
        with pytest.raises(MailboxError) as caught:
            read_mailbox(f"imaps://127.0.0.1:{port}/INBOX", timeout=1)
    assert assert_one_line(caught.value) == f"127.0.0.1:{port}: no answer within 1 s"
