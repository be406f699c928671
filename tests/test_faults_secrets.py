"""Fault family 8, secrets (issue 10): canary passwords in DOSSIER_DATABASE_URL and DOSSIER_SMTP_URL never show
where someone else could read them.

Three real `dossier run`s over two of the bundled demo's competitors (night1, night2, night2 again as a distributed run with a
`dossier crawl --worker`), each a process of its own with the secrets in its environment only, the database (and
with it the distributed run's job queue) a PostgreSQL role of its own, the SMTP server on loopback refusing the
login. Every process's
arguments are watched while they run (what `ps` shows every local user); then stdout, stderr, the log file, the
database, the .eml digests and the --json outputs are searched for the canaries.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner
from sqlalchemy import text

from fixtures.server import FixtureSites
from schedules.cli import cli
from storage.db import create_db_engine
from tests.conftest import POSTGRES_URL, postgres_admin

# random per session, so that a canary found can only come from this module's own runs
DB_CANARY = f"dbCanary{secrets.token_hex(6)}"
SMTP_CANARY = f"smtpCanary{secrets.token_hex(6)}"


def canary_id(value: object) -> str:
    """A test id without the canary's random part: ids must be the same in every test process (pytest-xdist)."""
    text = str(value)
    for canary, name in ((DB_CANARY, "DB_CANARY"), (SMTP_CANARY, "SMTP_CANARY")):
        text = text.replace(canary, name)
    return text
CANARIES = (DB_CANARY, SMTP_CANARY)
# the demo's competitors crawled: one of every static kind with its reviews, newsletters and mentions, and one with a
# rendered page (the browser's arguments are watched too); the rest of the demo adds pages, not places a secret goes
DEMO_COMPETITORS = ["kranrad", "toolshop"]
DEMO_SITES = ["kranrad", "reviewhub", "newsfeed", "tenders", "social", "toolshop", "adlibrary"]
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def leaks(text_or_bytes: str | bytes) -> list[str]:
    """The canaries found in the text, as written or hex-encoded (how PostgreSQL shows bytea)."""
    data = text_or_bytes if isinstance(text_or_bytes, str) else text_or_bytes.decode("utf-8", "replace")
    return [c for c in CANARIES if c in data or c.encode().hex() in data]


class RefusingServer:
    """An SMTP server on loopback that asks for a login and refuses every one, remembering the passwords tried."""

    def __init__(self, port: int) -> None:
        self.passwords: list[bytes] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=port, authenticator=self.authenticate,
                                     auth_required=True, auth_require_tls=False)

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            self.passwords.append(auth_data.password)
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope) -> str:
        return "250 OK"


class ProcessWatch:
    """Reads every process's arguments (/proc/PID/cmdline, as `ps` does) until stopped; keeps the arguments and
    environments (readable here: same user) of the crawl processes this test started (through a `dossier`
    process), and any arguments holding a canary."""

    def __init__(self) -> None:
        self.crawls: dict[int, tuple[list[str], dict[str, str]]] = {}
        self.exposed: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stopped.set()
        self.thread.join()

    def _loop(self) -> None:
        while not self.stopped.wait(0.02):
            for entry in Path("/proc").iterdir():
                if entry.name.isdigit():
                    self._look(entry)

    def _look(self, entry: Path) -> None:
        try:
            argv = (entry / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
            if leaks(" ".join(argv)):
                self.exposed.append(" ".join(argv))
            if "-m" in argv and argv[argv.index("-m") + 1:][:1] == ["crawler"] and int(entry.name) not in self.crawls \
                    and _parent(_parent(int(entry.name))) == os.getpid():  # ours, not another test session's
                environ = (entry / "environ").read_bytes().decode("utf-8", "replace").split("\0")
                self.crawls[int(entry.name)] = (argv, dict(v.split("=", 1) for v in environ if "=" in v))
        except OSError:
            return  # the process ended between the listing and the read: nothing of it left to read


def _parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])  # after the command name, which may hold spaces


@pytest.fixture(scope="module")
def canary_database():
    """A PostgreSQL role with the canary password and a schema of its own; the URL carries the password."""
    role, schema = f"canary_{uuid.uuid4().hex[:8]}", f"canary_{uuid.uuid4().hex[:8]}"
    postgres_admin(f"CREATE ROLE {role} LOGIN PASSWORD '{DB_CANARY}'", f'CREATE SCHEMA "{schema}" AUTHORIZATION {role}')
    host = POSTGRES_URL.split("@", 1)[1]
    try:
        yield f"postgresql://{role}:{DB_CANARY}@{host}?options=-csearch_path%3D{schema}", schema
    finally:
        postgres_admin(f'DROP SCHEMA "{schema}" CASCADE', f"DROP ROLE {role}")


def dossier(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedules.cli", *args], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def nights(tmp_path_factory, pick_port, canary_database):
    """Night1 (-v, text logs), night2 (-v, JSON logs; a digest whose login is refused), night2 again as a
    distributed run (no -v on the coordinator; the worker with -v)."""
    database_url, schema = canary_database
    folder = tmp_path_factory.mktemp("secrets")
    log_file, outbox = folder / "dossier.log", folder / "outbox"
    smtp = RefusingServer(pick_port())
    smtp.controller.start()
    env = {**os.environ, "DOSSIER_DATABASE_URL": database_url,
           "DOSSIER_SMTP_URL": f"smtp://mailer:{SMTP_CANARY}@127.0.0.1:{smtp.controller.port}?timeout=10"}
    runs = []
    try:
        with FixtureSites(sites=DEMO_SITES) as sites, ProcessWatch() as watch:
            config = folder / "competitors.yaml"
            config.write_text(sites.render_config(competitors=DEMO_COMPETITORS), encoding="utf-8")
            common = ["--log-file", str(log_file), "run", "--config", str(config), "--outbox", str(outbox)]
            runs.append(dossier("-v", "--log-format", "text", *common, "--json", env=env, cwd=folder))
            sites.night = "night2"
            runs.append(dossier("-v", "--log-format", "json", *common, "--json", env=env, cwd=folder))
            worker = subprocess.Popen([sys.executable, "-m", "schedules.cli", "-v", "--log-file", str(log_file),
                                       "crawl", "--worker", "--idle-timeout", "300"], env=env,
                                      cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            output = {"out": [], "err": []}  # read as it comes: its crawls' -v logs would fill a pipe's buffer
            readers = [threading.Thread(target=lambda stream=stream, lines=lines: lines.extend(stream), daemon=True)
                       for stream, lines in ((worker.stdout, output["out"]), (worker.stderr, output["err"]))]
            for reader in readers:
                reader.start()
            try:
                runs.append(dossier(*common, "--distributed", env=env, cwd=folder))
            finally:
                worker.terminate()  # it finishes its host first, and there is none left
                worker.wait(timeout=120)
                for reader in readers:
                    reader.join(timeout=30)
            worker_out, worker_err = "".join(output["out"]), "".join(output["err"])
    finally:
        smtp.controller.stop()
    runner = CliRunner()
    cli_env = {"DOSSIER_DATABASE_URL": database_url}
    reports = {"runs --json": runner.invoke(cli, ["runs", "--json"], env=cli_env),
               "alerts list --json": runner.invoke(cli, ["alerts", "list", "--json"], env=cli_env),
               "changes --json": runner.invoke(cli, ["changes", "--json"], env=cli_env),
               "init": runner.invoke(cli, ["init"], env=cli_env)}
    for run_id in (1, 2, 3):
        reports[f"runs show {run_id} --json"] = runner.invoke(cli, ["runs", "show", str(run_id), "--json"],
                                                              env=cli_env)
    yield {"runs": runs, "worker": (worker.returncode, worker_out, worker_err), "watch": watch, "smtp": smtp,
           "reports": reports, "log_file": log_file, "outbox": outbox, "database_url": database_url,
           "schema": schema}


def test_the_canaries_were_really_in_use(nights):
    """Else their absence below would prove nothing: the SMTP server was offered the password, the crawls wrote
    through the canary's role, the distributed run went through the job queue in it, and the refused login was
    reported."""
    first, second, third = nights["runs"]
    assert [json.loads(first.stdout)["status"], json.loads(second.stdout)["status"]] == ["succeeded", "succeeded"]
    assert third.returncode == 0 and "run 3: succeeded" in third.stdout, (third.stdout, third.stderr)
    assert json.loads(second.stdout)["changes"], "night2 has changes, so a digest to send"
    assert SMTP_CANARY.encode() in nights["smtp"].passwords
    assert nights["worker"][0] == 0 and "worker" in nights["worker"][2]
    assert json.loads(nights["reports"]["runs show 3 --json"].stdout)["workers"]
    outbox = json.loads(nights["reports"]["alerts list --json"].stdout)
    assert outbox and all("login as 'mailer' refused (535" in entry["error"] for entry in outbox)


def test_the_crawl_processes_get_the_database_url_in_their_environment_not_their_arguments(nights):
    crawls = nights["watch"].crawls
    assert len(crawls) > 3, "one crawl process per run, and the worker's one per host"
    for argv, environ in crawls.values():
        assert "--db" not in argv and not leaks(" ".join(argv)), argv
        assert environ["DOSSIER_DATABASE_URL"] == nights["database_url"]
    assert nights["watch"].exposed == []  # no process at all showed a canary to `ps`


@pytest.mark.parametrize("night", [0, 1, 2])
def test_no_canary_in_what_a_run_prints(nights, night):
    run = nights["runs"][night]
    assert leaks(run.stdout) == [] and leaks(run.stderr) == []
    assert "Traceback" not in run.stderr


def test_the_refused_login_is_reported_without_the_password(nights):
    second, third = nights["runs"][1], nights["runs"][2]
    refused = [line for line in second.stderr.splitlines() if "login as 'mailer' refused (535" in line]
    assert refused and leaks("\n".join(refused)) == []
    assert "alert not sent: SMTP 127.0.0.1" in third.stdout  # the retry of night2's digest, refused again


def test_no_canary_in_the_worker_s_output(nights):
    _, out, err = nights["worker"]
    assert "Scrapy" in err  # with -v the worker's crawl logs at INFO: its settings were there to be leaked
    assert leaks(out) == [] and leaks(err) == []


def test_no_canary_in_the_log_file(nights):
    lines = nights["log_file"].read_text(encoding="utf-8").splitlines()
    assert len(lines) > 20 and all(json.loads(line)["message"] is not None for line in lines)
    assert leaks("\n".join(lines)) == []


def test_no_canary_in_the_json_outputs(nights):
    for name, result in nights["reports"].items():
        assert result.exit_code == 0, (name, result.output)
        assert leaks(result.output) == [], name
    assert "***" in nights["reports"]["init"].output  # the database URL shown, its password masked


def test_no_canary_in_the_digests(nights):
    digests = list(nights["outbox"].glob("*.eml"))
    assert digests
    for digest in digests:
        assert leaks(digest.read_bytes()) == [], digest


def test_no_canary_in_any_table(nights):
    """Every row of every table as JSON text (bytea as hex): run stats, errors, the outbox, the locks, the job
    queue."""
    engine = create_db_engine(nights["database_url"])
    try:
        with engine.connect() as connection:
            tables = connection.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema "
                                             "= :schema AND table_type = 'BASE TABLE'"),
                                        {"schema": nights["schema"]}).scalars().all()
            dump = {table: connection.execute(text(f'SELECT row_to_json(t)::text FROM "{nights["schema"]}"."{table}" '
                                                   "t")).scalars().all() for table in tables}
    finally:
        engine.dispose()
    assert {"crawl_run", "fetch", "alert_outbox", "run_lock", "procrastinate_jobs"} <= set(tables)
    assert dump["crawl_run"] and dump["procrastinate_jobs"]  # the distributed night's jobs, their crawl orders
    assert {table: leaks("\n".join(rows)) for table, rows in dump.items() if leaks("\n".join(rows))} == {}


# -- errors that name a URL holding a password ---------------------------------------------------------------------
@pytest.fixture
def config_file(tmp_path):
    config = tmp_path / "competitors.yaml"
    config.write_text(yaml.safe_dump({"competitors": [{"slug": "k", "name": "K", "sources": [
        {"kind": "site", "url": "https://k.invalid/"}]}]}))
    return config


def assert_one_line_without_canary(result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert leaks(result.output) == [] and leaks(str(result.exception)) == []


@pytest.mark.parametrize("url", ids=canary_id, argvalues=[
    f"postgresql://dossier:{DB_CANARY}@127.0.0.1:{{port}}/dossier",  # unreachable
    f"postgresql://no_such_role_here:{DB_CANARY}@127.0.0.1:5432/test",  # refused by the server
    f"postgresql://dossier:{DB_CANARY}@127.0.0.1:5432/test?sslmode=bogus",
    f"postgresql://dossier:ab@{DB_CANARY}@127.0.0.1:{{port}}/dossier",  # '@' not percent-encoded
    f"postgresql://dossier:{DB_CANARY}/x@127.0.0.1:{{port}}/dossier",  # '/' not percent-encoded
    f"postgresql://dossier:{DB_CANARY}?x@127.0.0.1:{{port}}/dossier",
    f"postgresql://dossier:{DB_CANARY}#x@127.0.0.1:{{port}}/dossier",
    f"postgresql://dossier:{DB_CANARY}@127.0.0.1:port/dossier",
    f"postgresql://dossier:{DB_CANARY}@[::1/dossier",
    f"postgres ql://dossier:{DB_CANARY}@127.0.0.1/dossier",
    f"postgresql:/dossier:{DB_CANARY}@127.0.0.1/dossier",
    f"mysql://dossier:{DB_CANARY}@127.0.0.1/dossier",
    f"sqlite://dossier:{DB_CANARY}@host/dossier.db",
])
@pytest.mark.parametrize("how", ["--db", "environment"])
@pytest.mark.parametrize("command", ["init", "run", "run --distributed", "runs", "crawl --worker"])
def test_a_bad_database_url_is_one_line_without_its_password(tmp_path, config_file, pick_port, monkeypatch, url, how,
                                                             command):
    monkeypatch.delenv("DOSSIER_SMTP_URL", raising=False)
    url = url.replace("{port}", str(pick_port()))
    run = ["run", "--config", str(config_file), "--outbox", str(tmp_path / "o")]
    args = {"init": ["init"], "run": run, "run --distributed": [*run, "--distributed"], "runs": ["runs"],
            "crawl --worker": ["crawl", "--worker", "--idle-timeout", "0"]}[command]
    result = CliRunner().invoke(cli, ["-v", *args, *(["--db", url] if how == "--db" else [])],
                                env={"DOSSIER_DATABASE_URL": url} if how == "environment" else {})
    assert_one_line_without_canary(result)


@pytest.mark.parametrize("url", ids=canary_id, argvalues=[
    f"smtp://mailer:{SMTP_CANARY}/x@127.0.0.1:25", f"smtp://mailer:{SMTP_CANARY}?x@127.0.0.1:25",
    f"smtp://mailer:{SMTP_CANARY}#x@127.0.0.1:25", f"smtp://mailer:{SMTP_CANARY}@127.0.0.1:port",
    f"smtp://mailer:{SMTP_CANARY}@[::1:25", f"smtps://mailer:{SMTP_CANARY}@127.0.0.1:465?starttls=1",
    f"http://mailer:{SMTP_CANARY}@127.0.0.1", f"smtp://mailer:{SMTP_CANARY}@127.0.0.1:25/path",
    f"smtp://mailer:{SMTP_CANARY}@127.0.0.1:25?timeout=forever", f"smtp://:{SMTP_CANARY}@127.0.0.1:25",
])
@pytest.mark.parametrize("command", ["run", "alerts retry"])
def test_a_bad_smtp_url_is_one_line_without_its_password(tmp_path, config_file, monkeypatch, url, command):
    monkeypatch.setenv("DOSSIER_SMTP_URL", url)
    database = f"sqlite:///{tmp_path / 'dossier.db'}"
    args = ["run", "--config", str(config_file)] if command == "run" else ["alerts", "retry"]
    assert_one_line_without_canary(CliRunner().invoke(cli, [*args, "--db", database]))
    assert not (tmp_path / "dossier.db").exists()


def test_the_crawl_process_can_still_be_given_the_database_by_hand(tmp_path, monkeypatch):
    """`python -m crawler` without --db reads $DOSSIER_DATABASE_URL; without either it says what to set."""
    monkeypatch.delenv("DOSSIER_DATABASE_URL", raising=False)
    result = subprocess.run([sys.executable, "-m", "crawler", "--order", "-"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and "set DOSSIER_DATABASE_URL (or pass --db)" in result.stderr


def test_dossier_errors_from_urls_never_hold_the_password():
    """The parsers behind the variables, called directly with every misreadable password character."""
    from schedules.mailer import SmtpSettings
    from storage.db import create_db_engine as engine_for
    from storage.db import libpq_url

    for character in "/?#":
        for parse, url in ((SmtpSettings.from_url, f"smtp://u:a{character}{SMTP_CANARY}@127.0.0.1:1"),
                           (libpq_url, f"postgresql://u:a{character}{DB_CANARY}@127.0.0.1:1/d"),
                           (lambda u: engine_for(u).connect(), f"postgresql://u:a{character}{DB_CANARY}@127.0.0.1:1/d")):
            with pytest.raises(Exception) as caught:  # noqa: B017 (DossierError, or a driver's own error)
                parse(url)
            assert leaks(str(caught.value)) == [], (url, str(caught.value))
