"""The outbox against a real SMTP server (aiosmtpd on 127.0.0.1): queued on failure, sent exactly once, TLS."""
from __future__ import annotations

import datetime as dt
import email
import ipaddress
import ssl
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from dossier.config import parse_config
from extractors.records import Product
from schedules.alerts import AlertResult, alert_run, send_unsent
from schedules.cli import cli
from schedules.mailer import SmtpSettings
from storage import outbox
from storage.diff import diff_run
from storage.runs import finish_run, record_source_outcomes, start_run, sync_sources
from storage.writer import RunWriter

SHOP = "https://shop.example/"
USER, PASSWORD = "dossier", "s3cr3t"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def config(to=("team@example.org",), **email_extra):
    return parse_config({
        "competitors": [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [{"kind": "catalog", "url": SHOP}]}],
        "alerts": {"email": {"from": "dossier@example.org", "to": list(to), **email_extra}},
    })


def night(engine, prices):
    refs = sync_sources(engine, [{"slug": "kranrad", "name": "Kranrad GmbH",
                                  "sources": [{"kind": "catalog", "url": SHOP}]}])
    run_id = start_run(engine)
    writer = RunWriter(engine, run_id)
    writer.record_fetch(refs[0].source_id, SHOP, 200, None, 5, 100, "h")
    writer.add_products(refs[0].source_id, refs[0].competitor_id, [
        Product(name=f"Laufrad {sku}", price=Decimal(price), currency="EUR", availability="in_stock", sku=sku,
                url=f"{SHOP}{sku}") for sku, price in prices.items()], SHOP)
    writer.close()
    record_source_outcomes(engine, run_id, refs)
    finish_run(engine, run_id, "succeeded")
    diff_run(engine, run_id)
    return run_id


def changed_run(engine):
    night(engine, {"A": "100", "B": "200", "C": "300"})
    return night(engine, {"A": "80", "B": "150", "C": "310"})


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (USER.encode(),
                                                                                           PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


def serve(inbox, port, **options):
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    return controller


def rows(engine):
    return {e.recipients[0] if e.recipients else "": e for e in outbox.list_outbox(engine)}


def test_server_down_then_login_refused_then_back_sends_exactly_once(engine, tmp_path, pick_port):
    run_id = changed_run(engine)
    port = pick_port()
    down = alert_run(engine, run_id, config(), tmp_path, SmtpSettings("127.0.0.1", port, timeout=5))
    (entry,) = outbox.list_outbox(engine)
    assert (down.sent, entry.status, entry.attempts) == (False, "failed", 1)
    assert entry.last_error == down.errors[0] == f"SMTP 127.0.0.1:{port}: connection refused — check DOSSIER_SMTP_URL"
    inbox = Inbox()
    server = serve(inbox, port, authenticator=authenticator, auth_required=True, auth_require_tls=False)
    try:
        refused = AlertResult()
        assert send_unsent(engine, SmtpSettings("127.0.0.1", port, username=USER, password="wrong", timeout=5),
                           result=refused) == []
        (entry,) = outbox.list_outbox(engine)
        assert (entry.status, entry.attempts, inbox.messages) == ("failed", 2, [])
        assert "login as 'dossier' refused (535" in entry.last_error
        good = SmtpSettings("127.0.0.1", port, username=USER, password=PASSWORD, timeout=5)
        assert [e.id for e in send_unsent(engine, good)] == [entry.id]
        assert send_unsent(engine, good) == []  # a second retry sends nothing
        alert_run(engine, run_id, config(), tmp_path, good)  # nor does alerting the same run again
    finally:
        server.stop()
    (entry,) = outbox.list_outbox(engine)
    assert (entry.status, entry.attempts, entry.last_error) == ("sent", 3, None)
    ((recipients, message),) = inbox.messages
    assert recipients == ["team@example.org"]
    written = email.message_from_bytes(Path(entry.eml_path).read_bytes(), policy=policy.default)
    assert message["Message-ID"] == written["Message-ID"] == entry.message_id
    assert message["Subject"] == "Dossier: 1 price rise, 2 price drops at Kranrad GmbH"


def test_an_interrupted_send_is_unknown_and_resent_only_when_forced(tmp_path, pick_port, monkeypatch):
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    from storage.db import create_db_engine, upgrade

    engine = create_db_engine(database_url)
    upgrade(engine)
    run_id = changed_run(engine)
    alert_run(engine, run_id, config(), tmp_path)  # no SMTP: stored and written only
    (entry,) = outbox.list_outbox(engine)
    assert outbox.claim(engine, entry.id)  # the process died between claim (and maybe the send) and the mark
    inbox, port = Inbox(), pick_port()
    server = serve(inbox, port)
    monkeypatch.setenv("DOSSIER_SMTP_URL", f"smtp://127.0.0.1:{port}")
    runner = CliRunner()
    try:
        unknown = runner.invoke(cli, ["alerts", "retry", "--db", database_url])
        assert (unknown.exit_code, inbox.messages) == (1, [])
        assert f"digest {entry.id}: delivery unknown" in unknown.output
        listed = runner.invoke(cli, ["alerts", "list", "--db", database_url])
        assert " unknown " in listed.output
        forced = runner.invoke(cli, ["alerts", "retry", "--db", database_url, "--force"])
        assert (forced.exit_code, forced.output) == (0, "sent 1 digest\n")
        again = runner.invoke(cli, ["alerts", "retry", "--db", database_url, "--force"])
        assert (again.exit_code, again.output) == (0, "sent 0 digests\n")
    finally:
        server.stop()
        engine.dispose()
    ((_, message),) = inbox.messages
    assert message["Message-ID"] == entry.message_id  # the same identity as the interrupted attempt
    assert message["From"] == "dossier@example.org"  # from the stored .eml


def test_retry_without_smtp_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("DOSSIER_SMTP_URL", raising=False)
    result = CliRunner().invoke(cli, ["alerts", "retry", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code == 2
    assert result.output.startswith("error: DOSSIER_SMTP_URL is not set: nothing can be sent")


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_starttls_and_ssl_with_login(engine, tmp_path, pick_port, monkeypatch, mode):
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client verifies the server against this certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), pick_port()
    # with implicit TLS aiosmtpd does not count the connection as TLS for AUTH (it only knows STARTTLS)
    tls = ({"tls_context": context, "require_starttls": True} if mode == "starttls"
           else {"ssl_context": context, "auth_require_tls": False})
    server = serve(inbox, port, authenticator=authenticator, auth_required=True, **tls)
    url = (f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}?starttls=1&timeout=5" if mode == "starttls"
           else f"smtps://{USER}:{PASSWORD}@127.0.0.1:{port}?timeout=5")
    try:
        result = alert_run(engine, changed_run(engine), config(), tmp_path, SmtpSettings.from_url(url))
    finally:
        server.stop()
    assert (result.sent, result.errors, len(inbox.messages)) == (True, [], 1)


def test_one_digest_per_recipient_with_their_subscriptions(engine, tmp_path, pick_port):
    run_id = changed_run(engine)
    subscribers = ["team@example.org",
                   {"address": "boss@example.org", "kinds": ["price_down"], "min_severity": "high"},
                   {"address": "other@example.org", "competitors": ["someone-else"]}]
    inbox, port = Inbox(), pick_port()
    server = serve(inbox, port)
    try:
        result = alert_run(engine, run_id, config(subscribers), tmp_path, SmtpSettings("127.0.0.1", port, timeout=5))
    finally:
        server.stop()
    assert set(rows(engine)) == {"team@example.org", "boss@example.org"}  # nothing to say to other@: no mail
    assert len(result.eml_paths) == 2 and result.errors == []
    received = {tuple(to): message["Subject"] for to, message in inbox.messages}
    assert received == {("team@example.org",): "Dossier: 1 price rise, 2 price drops at Kranrad GmbH",
                        ("boss@example.org",): "Dossier: 2 price drops at Kranrad GmbH"}
    assert len({message["Message-ID"] for _, message in inbox.messages}) == 2


def test_the_rules_filter_kinds_and_competitors(engine, tmp_path):
    run_id = changed_run(engine)
    cfg = config()
    only_rises = cfg.model_copy(update={"alerts": cfg.alerts.model_copy(update={
        "rules": cfg.alerts.rules.model_copy(update={"kinds": ["price_up"]})})})
    alert_run(engine, run_id, only_rises, tmp_path)
    assert rows(engine)["team@example.org"].subject == "Dossier: 1 price rise at Kranrad GmbH"
    elsewhere = cfg.model_copy(update={"alerts": cfg.alerts.model_copy(update={
        "rules": cfg.alerts.rules.model_copy(update={"competitors": ["toolshop"]})})})
    assert alert_run(engine, night(engine, {"A": "1", "B": "2", "C": "3"}), elsewhere, tmp_path).eml_paths == []


def test_nothing_to_say_means_no_mail_unless_asked(engine, tmp_path):
    night(engine, {"A": "100"})
    quiet = night(engine, {"A": "100"})
    assert alert_run(engine, quiet, config(), tmp_path).outbox_id is None
    assert outbox.list_outbox(engine) == []
    asked = alert_run(engine, quiet, config(send_empty=True), tmp_path)
    assert rows(engine)["team@example.org"].subject == "Dossier: no changes" and asked.eml_path.exists()
