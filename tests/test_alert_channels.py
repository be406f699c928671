"""Chat and webhook channels against a real HTTP receiver on 127.0.0.1 (Apprise's json://): stored before sent,
sent exactly once across a failure and a retry, each channel on its own, unknown after a crash."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dossier.config import parse_config
from dossier.errors import ConfigError
from schedules import channels as channels_module
from schedules.channels import alert_channels, mask_secrets, send_channel_messages
from schedules.cli import cli
from schedules.nightly import run_once
from storage import channel_outbox
from storage.db import create_db_engine
from storage.queries import get_run
from tests.crawlsites import Reply, Sites, write_config
from tests.test_alerts_outbox import SHOP, changed_run

COMPETITORS = [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [{"kind": "catalog", "url": SHOP}]}]
ALL_CHANGES = "Dossier: 1 price rise, 2 price drops at Kranrad GmbH"


def settings(*channels: dict) -> dict:
    return {"competitors": COMPETITORS, "alerts": {"channels": list(channels)}}


def config(*channels: dict):
    return parse_config(settings(*channels))


def hook(name: str, port: int, path: str = "/hook", **subscription) -> dict:
    return {"name": name, "url": f"json://127.0.0.1:{port}{path}", **subscription}


class Receiver:
    """A webhook receiver on 127.0.0.1: answers each POST with the next of `answers` (then 200) and keeps every
    POST as (path, JSON, status answered, what `on_post` returned when it arrived)."""

    def __init__(self, port: int, answers=(), on_post=None) -> None:
        self.answers, self.on_post, self.posts = list(answers), on_post, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                payload = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                status = receiver.answers.pop(0) if receiver.answers else 200
                seen = receiver.on_post() if receiver.on_post else None
                receiver.posts.append((self.path, payload, status, seen))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:  # the test's output stays quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def delivered(self, path: str = "/hook") -> list[dict]:
        return [payload for where, payload, status, _ in self.posts if where == path and status == 200]


def rows(engine) -> dict[str, channel_outbox.ChannelMessage]:
    return {message.channel: message for message in channel_outbox.list_messages(engine)}


def retry(database_url: str, config_file: Path, *extra: str):
    return CliRunner().invoke(cli, ["alerts", "retry", "--db", database_url, "--config", str(config_file), *extra])


def test_a_failed_post_is_retried_and_delivered_exactly_once(engine, database_url, tmp_path, pick_port,
                                                              monkeypatch):
    monkeypatch.delenv("DOSSIER_SMTP_URL", raising=False)  # channels only: retry needs no SMTP server
    run_id = changed_run(engine)
    port = pick_port()
    config_file = tmp_path / "competitors.yaml"
    config_file.write_text(yaml.safe_dump(settings(hook("team", port))), encoding="utf-8")
    with Receiver(port, answers=[500]) as receiver:
        failed = alert_channels(engine, run_id, config(hook("team", port)))
        (error,) = failed.errors  # Apprise's own words after the channel's name: only the status is ours to assert
        assert failed.sent_ids == [] and error.startswith("channel team: ") and "500" in error
        first = rows(engine)["team"]
        assert (first.status, first.attempts, first.last_error) == ("failed", 1, error.removeprefix("channel team: "))
        retried = retry(database_url, config_file)
        assert (retried.exit_code, retried.output) == (0, "sent 1 channel message\n")
        again = retry(database_url, config_file)  # a third attempt sends nothing more
        assert (again.exit_code, again.output) == (0, "sent 0 channel messages\n")
        assert alert_channels(engine, run_id, config(hook("team", port))).sent_ids == []  # nor does the next alert
    assert [status for _, _, status, _ in receiver.posts] == [500, 200]
    (delivered,) = receiver.delivered()
    assert delivered["title"] == ALL_CHANGES
    assert "Laufrad A" in delivered["message"] and "Laufrad C" in delivered["message"]
    sent = rows(engine)["team"]
    assert (sent.status, sent.attempts, sent.last_error, sent.sent_at is not None) == ("sent", 2, None, True)
    listed = CliRunner().invoke(cli, ["alerts", "list", "--db", database_url])
    assert f"run {run_id:<5} sent     channel team: {ALL_CHANGES}" in listed.output


def test_each_channel_on_its_own(engine, pick_port):
    run_id = changed_run(engine)
    port, closed = pick_port(), pick_port()
    with Receiver(port) as receiver:
        # the dead one first: its failure must not keep the other from being sent
        result = alert_channels(engine, run_id, config(hook("down", closed), hook("team", port)))
    assert [payload["title"] for payload in receiver.delivered()] == [ALL_CHANGES]
    found = rows(engine)
    assert (found["team"].status, found["down"].status, found["down"].attempts) == ("sent", "failed", 1)
    assert result.sent_ids == [found["team"].id]
    (error,) = result.errors
    assert error.startswith("channel down: ") and error.removeprefix("channel down: ") == found["down"].last_error


def test_a_message_is_stored_before_it_is_sent(engine, pick_port, monkeypatch):
    run_id = changed_run(engine)
    port = pick_port()
    cfg = config(hook("team", port))

    def die(channel):  # the process dies after the store, before anything is sent
        raise SystemExit("killed")

    monkeypatch.setattr(channels_module, "channel_service", die)
    with pytest.raises(SystemExit):
        alert_channels(engine, run_id, cfg)
    stored = rows(engine)["team"]
    assert (stored.status, stored.attempts, stored.title) == ("pending", 0, ALL_CHANGES)
    monkeypatch.undo()
    with Receiver(port, on_post=lambda: [(m.status, m.attempts) for m in channel_outbox.list_messages(engine)]) \
            as receiver:
        assert alert_channels(engine, run_id, cfg).sent_ids == [stored.id]  # the next run sends the stored one
    ((_, payload, _, seen),) = receiver.posts
    assert seen == [("sending", 1)]  # claimed in the database before the request went out
    assert payload["title"] == stored.title
    assert rows(engine)["team"].status == "sent"


def test_an_interrupted_send_is_unknown_and_resent_only_when_forced(engine, database_url, tmp_path, pick_port,
                                                                     monkeypatch):
    monkeypatch.delenv("DOSSIER_SMTP_URL", raising=False)
    run_id = changed_run(engine)
    port = pick_port()
    cfg = config(hook("team", port))

    def die(service, url, title, body):  # the process dies during the request: maybe it arrived, maybe not
        raise SystemExit("killed")

    monkeypatch.setattr(channels_module, "deliver", die)
    with pytest.raises(SystemExit):
        alert_channels(engine, run_id, cfg)
    monkeypatch.undo()
    message = rows(engine)["team"]
    assert (message.status, message.attempts) == ("sending", 1)
    config_file = tmp_path / "competitors.yaml"
    config_file.write_text(yaml.safe_dump(settings(hook("team", port))), encoding="utf-8")
    with Receiver(port) as receiver:
        next_run = alert_channels(engine, run_id, cfg)
        assert (next_run.sent_ids, next_run.unknown) == ([], [message.id])
        unknown = retry(database_url, config_file)
        assert unknown.exit_code == 1
        assert f"channel message {message.id}: delivery unknown" in unknown.output
        listed = CliRunner().invoke(cli, ["alerts", "list", "--db", database_url])
        assert " unknown  channel team" in listed.output
        assert receiver.posts == []
        forced = retry(database_url, config_file, "--force")
        assert (forced.exit_code, forced.output) == (0, "sent 1 channel message\n")
    assert len(receiver.delivered()) == 1
    assert (rows(engine)["team"].status, rows(engine)["team"].attempts) == ("sent", 2)


def test_each_channel_gets_the_changes_it_asks_for(engine, pick_port):
    run_id = changed_run(engine)
    port = pick_port()
    cfg = config(hook("everything", port, "/all"), hook("rises", port, "/rises", kinds=["price_up"]),
                 hook("urgent", port, "/urgent", min_severity="high"),
                 hook("elsewhere", port, "/elsewhere", competitors=["toolshop"]))
    with Receiver(port) as receiver:
        alert_channels(engine, run_id, cfg)
    received = {path: payload["title"] for path, payload, _, _ in receiver.posts}
    assert received == {"/all": ALL_CHANGES, "/rises": "Dossier: 1 price rise at Kranrad GmbH",
                        "/urgent": "Dossier: 2 price drops at Kranrad GmbH"}  # nothing to say elsewhere: no message
    assert set(rows(engine)) == {"everything", "rises", "urgent"}


def test_a_channel_no_longer_configured_keeps_its_message_queued(engine, pick_port):
    run_id = changed_run(engine)
    port = pick_port()
    alert_channels(engine, run_id, config(hook("old", pick_port())))  # nobody listens: failed, queued
    with Receiver(port) as receiver:
        result = send_channel_messages(engine, config(hook("new", port)).alerts.channels)
    assert receiver.posts == [] and rows(engine)["old"].status == "failed"
    assert result.errors == [f"channel old: not in alerts.channels (any more); message {rows(engine)['old'].id} "
                             f"of run {run_id} stays queued until it is"]


def product(price: str) -> Reply:
    offer = {"@type": "Offer", "price": price, "priceCurrency": "EUR", "availability": "https://schema.org/InStock"}
    data = {"@context": "https://schema.org", "@type": "Product", "name": "Laufrad A", "sku": "A", "offers": offer}
    return Reply(f"<!doctype html><html lang='en'><head><title>Laufrad A</title><script type='application/ld+json'>"
                 f"{json.dumps(data)}</script></head><body><h1>Laufrad A</h1><p>{price} EUR</p></body></html>")


def test_the_nightly_run_alerts_its_channels_and_reports_them(tmp_path, pick_port, monkeypatch):
    monkeypatch.delenv("DOSSIER_SMTP_URL", raising=False)
    port, closed = pick_port(), pick_port()
    database_url = f"sqlite:///{tmp_path / 'dossier.db'}"
    with Sites(shop={"/a": product("100.00")}) as sites, Receiver(port) as receiver:
        config_file = write_config(tmp_path, [{"slug": "kranrad", "name": "Kranrad GmbH",
                                               "sources": [{"kind": "catalog", "url": sites.base("shop") + "/a"}]}])
        written = yaml.safe_load(config_file.read_text(encoding="utf-8"))
        written["alerts"] = {"channels": [hook("team", port), hook("down", closed)]}
        config_file.write_text(yaml.safe_dump(written), encoding="utf-8")
        run_once(config_file, database_url, tmp_path / "outbox")
        sites.routes["shop"]["/a"] = product("80.00")
        result = run_once(config_file, database_url, tmp_path / "outbox")
    (delivered,) = receiver.delivered()
    (error,) = [error for error in result.alert.errors if error.startswith("channel ")]
    assert error.startswith("channel down: ")
    engine = create_db_engine(database_url)
    try:
        found = rows(engine)
        assert get_run(engine, result.run_id).stats["channels"] == {"sent": 1, "failed": 1, "unknown": 0}
    finally:
        engine.dispose()
    assert result.channels.sent_ids == [found["team"].id] and found["team"].run_id == result.run_id
    assert delivered["title"] == found["team"].title and "Kranrad GmbH" in delivered["title"]


EXAMPLES = "e.g. json://127.0.0.1:8080/hook, slack://TokenA/TokenB/TokenC or tgram://bottoken/chatid"


@pytest.mark.parametrize("channels, message", [
    ([{"name": "team", "url": "slack://xoxS3cr3tT0ken"}],
     "alerts.channels[0].url: Apprise cannot send to this slack:// URL (an unknown service, or a part of it missing "
     f"or malformed: see docs/alerts.md); {EXAMPLES}"),
    ([{"name": "team", "url": "telegrm://123456:S3cr3tT0ken/42"}],
     "alerts.channels[0].url: Apprise cannot send to this telegrm:// URL (an unknown service, or a part of it "
     f"missing or malformed: see docs/alerts.md); {EXAMPLES}"),
    ([{"name": "team", "url": "hooks.example.org/S3cr3tT0ken"}],
     f"alerts.channels[0].url: not an Apprise URL; {EXAMPLES}"),
    ([{"name": "team", "url": "tgram://${DOSSIER_TEST_UNSET_S3CR3T}/42"}],
     "alerts.channels[0].url: ${DOSSIER_TEST_UNSET_S3CR3T} is not set in the environment: export "
     "DOSSIER_TEST_UNSET_S3CR3T before running"),
    ([{"name": "team", "url": "json://127.0.0.1:8080/a"}, {"name": "team", "url": "json://127.0.0.1:8080/b"}],
     "alerts.channels: channels[1].name 'team' is used twice (first by channels[0]): give each channel its own name"),
    ([{"name": "Team Chat", "url": "json://127.0.0.1:8080/a"}],
     "alerts.channels[0].name: use lower-case letters, digits, - and _ (e.g. team-slack)"),
    ([{"name": "team", "url": "json://127.0.0.1:8080/a", "min_severity": "urgent"}],
     "alerts.channels[0].min_severity: Input should be 'high', 'medium' or 'low'"),
])
def test_config_mistakes_are_one_line_naming_the_field_without_the_secret(channels, message, caplog, monkeypatch):
    monkeypatch.delenv("DOSSIER_TEST_UNSET_S3CR3T", raising=False)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ConfigError) as caught:
        parse_config({"competitors": COMPETITORS, "alerts": {"channels": channels}}, "competitors.yaml")
    assert str(caught.value) == f"competitors.yaml: {message}"
    assert "S3cr3tT0ken" not in str(caught.value) and "S3cr3tT0ken" not in caplog.text


def test_a_secret_comes_from_the_environment_and_stays_out_of_the_config(monkeypatch):
    monkeypatch.setenv("DOSSIER_TEST_TELEGRAM_TOKEN", "123456789:AAHS3cr3tT0kenS3cr3t")
    (channel,) = config({"name": "tg", "url": "tgram://${DOSSIER_TEST_TELEGRAM_TOKEN}/42"}).alerts.channels
    assert channel.url == "tgram://${DOSSIER_TEST_TELEGRAM_TOKEN}/42"
    assert channel.service_url() == "tgram://123456789:AAHS3cr3tT0kenS3cr3t/42"


def test_errors_are_shown_with_the_urls_secrets_masked():
    import apprise

    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
    masked = apprise.Apprise.instantiate(url).url(privacy=True)
    said = "Failed to post to https://hooks.slack.com/services/T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ: 404"
    assert mask_secrets(said, url, masked) == "Failed to post to https://hooks.slack.com/services/***/***/***: 404"
    password = "json://dossier:pa55w0rd@127.0.0.1:8080/hook"
    masked = apprise.Apprise.instantiate(password).url(privacy=True)
    assert mask_secrets("login as dossier with pa55w0rd refused", password, masked) == \
        "login as dossier with *** refused"
