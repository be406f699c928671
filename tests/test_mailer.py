"""The digest e-mail: message, .eml outbox file, DOSSIER_SMTP_URL, and sending to a real SMTP server on loopback."""
from __future__ import annotations

import email
import socket
from datetime import datetime, timezone
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from dossier.errors import AlertError, ConfigError
from schedules.digest import Digest, DigestItem, render_digest
from schedules.mailer import SmtpSettings, build_message, parse_address, send_message, write_eml

SENDER = "dossier@example.org"
TEAM = ["team@example.org", "Analyst <analyst@example.org>"]
USER, PASSWORD = "dossier", "s3cr3t pa:ss@word"
# aiosmtpd warns when AUTH is allowed without TLS; on loopback in a test that is the point
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def free_port() -> int:
    """A port nobody listens on now (aiosmtpd's port=0 does not work on this machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def digest() -> Digest:
    items = [DigestItem("kranrad", "Kranrad GmbH", "price_up", "Kranrad LR 250", "489.00 EUR", "512.00 EUR",
                        Decimal("4.70"), "medium", "https://kranrad.example/produkte/lr-250")]
    return render_digest(items, run_id=7, run_started=datetime(2025, 3, 2, 2, 0, tzinfo=timezone.utc))


class Inbox:
    """An aiosmtpd handler keeping every envelope; rejects recipients at refused.example."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope, session.authenticated))
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535 itself


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1: yields (inbox, port)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def smtp_auth_server():
    """A real SMTP server on 127.0.0.1 that requires AUTH (allowed over plain text for the test)."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_required=True, auth_require_tls=False)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def assert_one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text and "\r" not in text and text
    assert PASSWORD not in text and "s3cr3t" not in text
    return text


# --- build_message --------------------------------------------------------------------------------------------------

def test_message_has_both_parts_and_headers():
    message = build_message(digest(), "Dossier <dossier@example.org>", TEAM)
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Subject"] == "Dossier: 1 price rise at Kranrad GmbH"
    assert parsed["From"] == "Dossier <dossier@example.org>"
    assert parsed["To"] == "team@example.org, Analyst <analyst@example.org>"
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsed["Date"].datetime.tzinfo is not None
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert "489.00 EUR → 512.00 EUR (+4.70 %)" in parsed.get_body(("plain",)).get_content()
    assert "Kranrad LR 250" in parsed.get_body(("html",)).get_content()


def test_message_without_recipients_is_for_the_outbox_only():
    message = build_message(digest(), "dossier@localhost", [])
    assert message["To"] is None
    assert message["Message-ID"].endswith("@localhost>")


@pytest.mark.parametrize("address", [
    "x", "a@", "@example.org", "a b@example.org", "team@example.org, boss@example.org", "a@b..c", "a@-b.example",
    "team@example.org\r\nBcc: victim@example.org", "", ".a@example.org", "a..b@example.org",
])
def test_bad_recipient_names_the_field(address):
    with pytest.raises(AlertError) as caught:
        build_message(digest(), SENDER, ["ok@example.org", address])
    text = assert_one_line(caught.value)
    assert text.startswith("alerts.email.to: '") and text.endswith("' is not an e-mail address")


def test_bad_sender_names_the_field():
    with pytest.raises(AlertError, match=r"^alerts\.email\.from: 'dossier' is not an e-mail address$"):
        build_message(digest(), "dossier", TEAM)


@pytest.mark.parametrize("address, expected", [
    ("team@example.org", "team@example.org"),
    ("Team <team@example.org>", "Team <team@example.org>"),
    ("first.last+tag@sub.example.co.uk", "first.last+tag@sub.example.co.uk"),
    ("info@bücher.example", "info@xn--bcher-kva.example"),
    ("dossier@localhost", "dossier@localhost"),
])
def test_good_addresses(address, expected):
    assert str(parse_address(address, "alerts.email.to")) == expected


def test_subject_from_the_outbox_is_cleaned_again():
    stored = Digest("Dossier: 1 price rise\r\nBcc: victim@example.org", "text", "<p>html</p>", 1)
    parsed = email.message_from_bytes(build_message(stored, SENDER, TEAM).as_bytes(), policy=policy.default)
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "Dossier: 1 price rise Bcc: victim@example.org"


# --- write_eml ------------------------------------------------------------------------------------------------------

def test_write_eml_round_trip(tmp_path):
    message = build_message(digest(), SENDER, TEAM)
    path = write_eml(message, tmp_path / "outbox" / "nested", "run-00007")
    assert path == tmp_path / "outbox" / "nested" / "run-00007.eml"
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == message["Subject"]
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed.get_body(("plain",)).get_content() == message.get_body(("plain",)).get_content()
    assert parsed.get_body(("html",)).get_content() == message.get_body(("html",)).get_content()
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_write_eml_replaces_an_earlier_file(tmp_path):
    first = write_eml(build_message(digest(), SENDER, TEAM), tmp_path, "run-1.eml")
    second = write_eml(build_message(Digest("Second", "t", "<p>h</p>", 1), SENDER, TEAM), tmp_path, "run-1")
    assert first == second
    assert email.message_from_bytes(second.read_bytes(), policy=policy.default)["Subject"] == "Second"
    assert [p.name for p in tmp_path.iterdir()] == ["run-1.eml"]


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "run 1", "x" * 300])
def test_write_eml_refuses_names_that_are_not_plain(tmp_path, name):
    with pytest.raises(AlertError, match="is not a file name"):
        write_eml(build_message(digest(), SENDER, TEAM), tmp_path, name)


def test_write_eml_into_a_file_is_one_line(tmp_path):
    blocker = tmp_path / "outbox"
    blocker.write_text("not a directory")
    with pytest.raises(AlertError) as caught:
        write_eml(build_message(digest(), SENDER, TEAM), blocker, "run-1")
    assert assert_one_line(caught.value).startswith(f"outbox {blocker / 'run-1.eml'}: cannot write")


# --- SmtpSettings.from_url ------------------------------------------------------------------------------------------

GOOD_URLS = [
    ("smtp://user:pass@mail.example.org:587?starttls=1", ("mail.example.org", 587, False, True, "user", "pass", 30.0)),
    ("smtps://user:pass@mail.example.org:465", ("mail.example.org", 465, True, False, "user", "pass", 30.0)),
    ("smtp://mail.example.org:25", ("mail.example.org", 25, False, False, None, None, 30.0)),
    ("smtp://mail.example.org", ("mail.example.org", 25, False, False, None, None, 30.0)),
    ("smtps://mail.example.org", ("mail.example.org", 465, True, False, None, None, 30.0)),
    ("SMTP://Mail.Example.org/", ("mail.example.org", 25, False, False, None, None, 30.0)),
    ("smtp://u%40corp:p%3A%2Fw%40rd@127.0.0.1:2525?timeout=5&starttls=0",
     ("127.0.0.1", 2525, False, False, "u@corp", "p:/w@rd", 5.0)),
    ("smtp://[::1]:2525", ("::1", 2525, False, False, None, None, 30.0)),
    ("  smtp://host:25  ", ("host", 25, False, False, None, None, 30.0)),
    ("smtp://user:@host", ("host", 25, False, False, "user", "", 30.0)),
    ("smtp://host?starttls=true&timeout=2.5", ("host", 25, False, True, None, None, 2.5)),
]


@pytest.mark.parametrize("url, expected", GOOD_URLS, ids=[u for u, _ in GOOD_URLS])
def test_good_smtp_urls(url, expected):
    s = SmtpSettings.from_url(url)
    assert (s.host, s.port, s.use_ssl, s.starttls, s.username, s.password, s.timeout) == expected


BAD_URLS = [
    ("http://user:s3cr3t@host", "scheme 'http' is not supported"),
    ("mail.example.org:25", "not a URL"),
    ("", "not a URL"),
    ("smtp://", "no host"),
    ("smtp://user:s3cr3t@:25", "no host"),
    ("smtp://user:s3cr3t@host:abc", "port 'abc' is not a number from 1 to 65535"),
    ("smtp://user:s3cr3t@host:70000", "port '70000' is not a number from 1 to 65535"),
    ("smtp://user:s3cr3t@host:0", "port '0' is not a number from 1 to 65535"),
    ("smtp://user:s3cr3t@[::1", "malformed host"),
    ("smtp://host/path", "unexpected path '/path'"),
    ("smtp://host?starttls=maybe", "starttls='maybe'"),
    ("smtp://host?timeout=soon", "timeout='soon'"),
    ("smtp://host?timeout=0", "timeout='0'"),
    ("smtp://host?tls=1", "unknown option 'tls'"),
    ("smtps://user:s3cr3t@host?starttls=1", "smtps:// is already TLS"),
    ("smtp://user@host", "user 'user' has no password"),
    ("smtp://:s3cr3t@host", "a password without a user"),
]


@pytest.mark.parametrize("url, message", BAD_URLS, ids=[u or "empty" for u, _ in BAD_URLS])
def test_bad_smtp_urls_name_the_variable_not_the_password(url, message):
    with pytest.raises(ConfigError) as caught:
        SmtpSettings.from_url(url)
    text = assert_one_line(caught.value)
    assert text.startswith("DOSSIER_SMTP_URL: ")
    assert message in text


def test_settings_repr_hides_the_password():
    settings = SmtpSettings.from_url(f"smtp://{USER}:s3cr3t@host:587?starttls=1")
    assert "s3cr3t" not in repr(settings)


# --- send_message to a real server ----------------------------------------------------------------------------------

def test_send_to_a_real_server(smtp_server):
    inbox, port = smtp_server
    message = build_message(digest(), SENDER, [*TEAM, "Boss <boss@example.org>"])
    send_message(message, SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    [(envelope, authenticated)] = inbox.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["team@example.org", "analyst@example.org", "boss@example.org"]
    assert not authenticated
    received = email.message_from_bytes(envelope.content, policy=policy.default)
    assert received["Subject"] == "Dossier: 1 price rise at Kranrad GmbH"
    assert received["Message-ID"] == message["Message-ID"]
    assert "489.00 EUR → 512.00 EUR (+4.70 %)" in received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert '<a href="https://kranrad.example/produkte/lr-250"' in html


def test_send_with_login(smtp_auth_server):
    inbox, port = smtp_auth_server
    send_message(build_message(digest(), SENDER, TEAM),
                 SmtpSettings.from_url(f"smtp://{USER}:s3cr3t%20pa%3Ass%40word@127.0.0.1:{port}"))
    [(envelope, authenticated)] = inbox.envelopes
    assert authenticated
    assert envelope.rcpt_tos == ["team@example.org", "analyst@example.org"]


def test_wrong_password_is_one_line_without_the_password(smtp_auth_server):
    inbox, port = smtp_auth_server
    settings = SmtpSettings(host="127.0.0.1", port=port, username=USER, password=PASSWORD + "x")
    with pytest.raises(AlertError) as caught:
        send_message(build_message(digest(), SENDER, TEAM), settings)
    text = assert_one_line(caught.value)
    assert text.startswith(f"SMTP 127.0.0.1:{port}: login as 'dossier' refused (535")
    assert text.endswith("check the user and password in DOSSIER_SMTP_URL")
    assert inbox.envelopes == []


def test_no_login_where_one_is_required(smtp_auth_server):
    _, port = smtp_auth_server
    with pytest.raises(AlertError) as caught:
        send_message(build_message(digest(), SENDER, TEAM), SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    assert "530" in assert_one_line(caught.value)


def test_refused_connection_is_one_line():
    port = free_port()
    with pytest.raises(AlertError) as caught:
        send_message(build_message(digest(), SENDER, TEAM), SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    assert assert_one_line(caught.value) == f"SMTP 127.0.0.1:{port}: connection refused — check DOSSIER_SMTP_URL"


def test_silent_server_times_out():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        with pytest.raises(AlertError) as caught:
            send_message(build_message(digest(), SENDER, TEAM),
                         SmtpSettings.from_url(f"smtp://127.0.0.1:{port}?timeout=0.5"))
    assert assert_one_line(caught.value).startswith(f"SMTP 127.0.0.1:{port}: no answer within 0.5 s")


def test_starttls_against_a_server_without_tls(smtp_server):
    inbox, port = smtp_server
    with pytest.raises(AlertError) as caught:
        send_message(build_message(digest(), SENDER, TEAM),
                     SmtpSettings.from_url(f"smtp://127.0.0.1:{port}?starttls=1"))
    assert "STARTTLS" in assert_one_line(caught.value)
    assert inbox.envelopes == []


def test_smtps_against_a_plain_server(smtp_server):
    _, port = smtp_server
    with pytest.raises(AlertError) as caught:
        send_message(build_message(digest(), SENDER, TEAM),
                     SmtpSettings.from_url(f"smtps://127.0.0.1:{port}?timeout=5"))
    assert "TLS failed" in assert_one_line(caught.value)


def test_refused_recipients(smtp_server):
    inbox, port = smtp_server
    with pytest.raises(AlertError) as caught:
        send_message(build_message(digest(), SENDER, ["nobody@refused.example"]),
                     SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    text = assert_one_line(caught.value)
    assert "recipients refused: nobody@refused.example (550)" in text and text.endswith("check alerts.email.to")
    assert inbox.envelopes == []


def test_partly_refused_recipients_still_deliver(smtp_server, caplog):
    inbox, port = smtp_server
    send_message(build_message(digest(), SENDER, ["team@example.org", "nobody@refused.example"]),
                 SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    [(envelope, _)] = inbox.envelopes
    assert envelope.rcpt_tos == ["team@example.org"]
    assert "nobody@refused.example" in caplog.text


def test_message_without_recipients_is_not_sent(smtp_server):
    inbox, port = smtp_server
    with pytest.raises(AlertError, match="no recipients — set alerts.email.to"):
        send_message(build_message(digest(), SENDER, []), SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    assert inbox.envelopes == []


def test_eml_written_then_sent_is_the_same_message(smtp_server, tmp_path):
    inbox, port = smtp_server
    message = build_message(digest(), SENDER, TEAM)
    path = write_eml(message, tmp_path, "run-7")
    send_message(message, SmtpSettings.from_url(f"smtp://127.0.0.1:{port}"))
    stored = email.message_from_bytes(Path(path).read_bytes(), policy=policy.default)
    received = email.message_from_bytes(inbox.envelopes[0][0].content, policy=policy.default)
    assert stored["Message-ID"] == received["Message-ID"]
    html = received.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert stored.get_body(("html",)).get_content() == html
