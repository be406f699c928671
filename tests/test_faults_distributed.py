"""Faults of a distributed run (crawler/coordinator.py, crawler/reconcile.py): a worker killed mid-crawl, every
worker killed, a Redis restart. No URL is left uncrawled, or, when none can be, it is a failed fetch row of a
partial run, never a silent gap the diff would take for a removal. See docs/reliability.md."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from sqlalchemy import select

from crawler.coordinator import coordinate
from crawler.redis_run import ACTIVE_RUN, ALIVE_ENV, REDIS_ENV, WAIT_ENV, RunKeys, connect
from crawler.frontier import COUNTED, TAKEN, RedisFrontier, Settled, page_field
from crawler.reconcile import Ledger
from crawler.scheduler import _PUT, _TAKE
from crawler.sources import SourcePlan
from crawler.spider import CompetitorSpider
from dossier.errors import DossierError
from fixtures.synthetic import SyntheticSite, competitors_yaml
from schedules.nightly import run_once
from storage import models
from storage.db import create_db_engine, session_scope
from storage.queries import list_changes
from tests.conftest import wait_until

# a database of its own: runs are announced per database, and tests/test_distributed.py flushes 15
REDIS_URL = os.environ.get("DOSSIER_TEST_FAULTS_REDIS_URL", "redis://127.0.0.1:6379/14")
ALIVE = "8"  # seconds: a dead worker is noticed within seconds, not after a minute
PRODUCTS = 100  # and 5 catalog pages: 105 pages, which two workers crawl in a few seconds at DELAY a page
PER_PAGE = 20
DELAY = 0.05  # seconds per page while a fault is injected: two workers share the crawl, so a kill lands mid-crawl
KILL_AT = 30  # pages answered before a worker or Redis is killed: about a third of the crawl
KILL_CLAIMING = "/p/49.html"  # the crawl killed right after claiming this link (listed on catalog page 3 of 5)
WAIT = "3"  # seconds a coordinator whose workers all died waits for a new one (the default is a minute)
# A crawl process killed at one exact point: right after the run's frontier let it claim the link whose key ends
# with FAULT_KILL_AFTER_CLAIMING, before its request is queued. Only the first claim is killed (FAULT_KILLED_MARK).
# A sitecustomize module of this test's own (test code, not Dossier's), on the workers' PYTHONPATH.
KILL_AFTER_CLAIM = '''
import os, signal
if os.environ.get("FAULT_KILL_AFTER_CLAIMING"):
    import crawler.frontier as _frontier
    _claim = _frontier.RedisFrontier.claim

    def claim(self, source_id, key, *args, **kwargs):
        claimed = _claim(self, source_id, key, *args, **kwargs)
        if claimed is _frontier.Claim.NEW and key.endswith(os.environ["FAULT_KILL_AFTER_CLAIMING"]):
            try:
                os.close(os.open(os.environ["FAULT_KILLED_MARK"], os.O_CREAT | os.O_EXCL))
            except FileExistsError:  # the page that links to it, read again: claimed anew, not killed again
                return claimed
            os.kill(os.getpid(), signal.SIGKILL)
        return claimed

    _frontier.RedisFrontier.claim = claim
'''


class SlowSite(SyntheticSite):
    """The synthetic site, each page answered after `delay` seconds (0: at full speed)."""

    delay = 0.0

    def page(self, path: str, query: str) -> tuple[int, str, str]:
        time.sleep(self.delay)
        return super().page(path, query)


def _fetches(database_url: str, run_id: int) -> dict[str, str | None]:
    """url -> error of the run's fetch rows."""
    engine = create_db_engine(database_url)
    try:
        with session_scope(engine) as session:
            return dict(session.execute(select(models.Fetch.url, models.Fetch.error)
                                        .where(models.Fetch.run_id == run_id)).all())
    finally:
        engine.dispose()


class Worker:
    """A `dossier crawl --worker` process in a session of its own (its crawl process in its group), its stderr
    read as it comes."""

    def __init__(self, redis_url: str, database_url: str, *extra: str, env: dict[str, str], alive: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "schedules.cli", "crawl", "--worker", "--db", database_url, *extra],
            env={**os.environ, REDIS_ENV: redis_url, ALIVE_ENV: alive, **env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.pid = self.process.pid
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def name(self) -> str:
        """Its name in the run, as crawler.distributed.worker_name() makes it."""
        return f"{socket.gethostname()}:{self.pid}"

    def waiting(self) -> bool:
        """Started (imports done, Redis reached): it takes a run published from now on within its poll."""
        return any("waiting for runs" in line for line in self.lines)

    @property
    def log(self) -> str:
        return "".join(self.lines)


def _start_workers(count: int, redis_url: str, database_url: str, *extra: str, env: dict[str, str] | None = None,
                   alive: str = ALIVE) -> list[Worker]:
    """`count` workers, returned once each waits for runs: a run published then is taken within a poll, so that a
    coordinator's short wait for workers (WAIT) times no process start. `alive`: DOSSIER_ALIVE_SECONDS."""
    workers = [Worker(redis_url, database_url, *extra, env=env or {}, alive=alive) for _ in range(count)]
    try:
        wait_until(lambda: all(worker.waiting() or worker.process.poll() is not None for worker in workers),
                   "the workers to wait for runs", timeout=60)
        assert all(worker.waiting() for worker in workers), [worker.log[-3000:] for worker in workers]
    except AssertionError:
        _stop(workers)
        raise
    return workers


def _stop(workers: list[Worker]) -> list[str]:
    for worker in workers:
        if worker.process.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.process.wait()
        worker.reader.join(timeout=10)
    return [worker.log for worker in workers]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _crawled(site: SyntheticSite) -> int:
    return sum(site.hits.values())


def _holds_requests(client, worker: Worker) -> bool:
    """The worker has taken requests of the announced run and not yet settled them: it is in the middle of crawling."""
    announced = client.get(ACTIVE_RUN)
    return bool(announced) and client.hlen(RunKeys.announced(announced).inflight(worker.name)) > 0


class Fault(threading.Thread):
    """`inject()` in a thread once `ready()` holds. `stop()` (after the run) says whether it was injected: a fault
    that did not come is a failed test, not a run that proved nothing."""

    def __init__(self, ready, inject, timeout: float = 120) -> None:
        super().__init__(daemon=True)
        self.ready, self.inject, self.timeout = ready, inject, timeout
        self.injected = False
        self.at: float | None = None  # when it was injected (time.time(), as log records' `created`)
        self.missed = "the run ended first"
        self._ended = threading.Event()
        self.start()

    def run(self) -> None:
        deadline = time.monotonic() + self.timeout
        try:
            while not self.ready():
                if self._ended.wait(0.05):
                    return
                if time.monotonic() > deadline:
                    self.missed = f"not ready within {self.timeout:g} s"
                    return
            self.at = time.time()
            self.inject()
            self.injected = True
        except Exception as exc:  # told by the test's assertion, not lost in this thread
            self.missed = f"{type(exc).__name__}: {exc}"

    def stop(self) -> bool:
        self._ended.set()
        self.join()
        return self.injected


def _distributed_run(config: Path, redis_url: str, database_url: str, outbox: Path, wait: str = "15"):
    """`dossier run` as the coordinator of a distributed run; `wait`: seconds it waits for a new worker once every
    worker has died (the default is a minute)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(REDIS_ENV, redis_url)
        patch.setenv(WAIT_ENV, wait)
        return run_once(config, database_url, outbox)


@pytest.fixture(scope="module")
def redis_url():
    try:
        connect(REDIS_URL).flushdb()
    except DossierError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))
    return REDIS_URL


@pytest.fixture(scope="module")
def site():
    with SlowSite(7, PRODUCTS, per_page=PER_PAGE, filler=2) as site:
        yield site


@pytest.fixture
def slow(site):
    """The site at DELAY a page for one test, its hits counted from zero."""
    site.delay = DELAY
    site.hits.clear()
    yield site
    site.delay = 0.0


@pytest.fixture(scope="module")
def config(site, tmp_path_factory):
    path = tmp_path_factory.mktemp("faults") / "competitors.yaml"
    path.write_text(competitors_yaml([site]), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(site, config, postgres_database_url, tmp_path_factory):
    """The URLs a single-process crawl fetches (all without error), the site at full speed. Crawled into the
    database of the distributed runs: the full crawl a partial run's diff is taken against."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(REDIS_ENV, raising=False)
        result = run_once(config, postgres_database_url, tmp_path_factory.mktemp("reference") / "outbox")
    assert result.status == "succeeded", result
    fetched = _fetches(postgres_database_url, result.run_id)
    assert not any(fetched.values()) and len(fetched) > PRODUCTS
    return set(fetched)


def _kill_after_claiming(tmp_path: Path, key_end: str) -> tuple[dict[str, str], Path]:
    """The workers' environment for KILL_AFTER_CLAIM, and the file that says the kill happened."""
    (tmp_path / "fault").mkdir()
    (tmp_path / "fault" / "sitecustomize.py").write_text(KILL_AFTER_CLAIM, encoding="utf-8")
    mark = tmp_path / "killed"
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(tmp_path / "fault"), os.environ.get("PYTHONPATH")])),
           "FAULT_KILL_AFTER_CLAIMING": key_end, "FAULT_KILLED_MARK": str(mark)}
    return env, mark


@pytest.mark.parametrize("victim", ["crawl", "worker", "both"])
def test_a_worker_killed_mid_crawl_leaves_no_url_uncrawled(victim, slow, config, reference, redis_url,
                                                           postgres_database_url, tmp_path, caplog):
    """SIGKILL of one of two workers' crawl process (its worker lives on), of the worker (its crawl is stopped
    with it), or of both at once (its alive key expires): the other worker fetches what it held, the run succeeds
    and fetched exactly what a single-process crawl fetches.

    The crawl process is killed at the window CI once hit: right after it claimed a product link (the run has seen
    it), before queuing it. The coordinator takes the claim back as it puts back the listing that linked to it, and
    the other worker, reading that listing again, claims the link anew. (Before, the link stayed "seen", queued
    nowhere, and the run succeeded without it.) The other two are killed once KILL_AT pages are crawled, while the
    worker holds requests it took."""
    env, mark = _kill_after_claiming(tmp_path, KILL_CLAIMING) if victim == "crawl" else ({}, None)
    workers = _start_workers(2, redis_url, postgres_database_url, "--idle-timeout", "120", env=env)
    client = connect(redis_url)

    def kill() -> None:
        if victim == "worker":
            os.kill(workers[0].pid, signal.SIGKILL)
        else:
            os.killpg(workers[0].pid, signal.SIGKILL)

    killer = None
    if victim != "crawl":  # the crawl process kills itself (KILL_AFTER_CLAIM)
        killer = Fault(lambda: _crawled(slow) >= KILL_AT and _holds_requests(client, workers[0]), kill)
    try:
        result = _distributed_run(config, redis_url, postgres_database_url, tmp_path / "outbox")
    finally:
        killed = killer.stop() if killer else None
        logs = _stop(workers)
    assert killed is not False, f"worker {victim} not killed: {killer.missed}"
    assert result.status == "succeeded", (result, [log[-3000:] for log in logs])
    # the kill landed mid-run: the coordinator found the victim dead, for the victim's reason, and put its work back
    # (a worker whose crawl process was slow to start can be taken for dead before: it is not the kill's doing)
    why = "it stopped saying it is alive" if victim == "both" else "its crawl ended before the run was crawled"
    if mark is None:
        assert any(record.created >= killer.at and f"worker {workers[0].name} is dead ({why})" in record.getMessage()
                   for record in caplog.records), caplog.text[-3000:]
    else:
        assert mark.exists(), f"no crawl process claimed {KILL_CLAIMING}"
        assert re.search(rf"is dead \({why}\): .* [1-9][0-9]* links claimed but not queued taken back",
                         caplog.text), caplog.text[-3000:]
    fetched = _fetches(postgres_database_url, result.run_id)
    assert {url for url, error in fetched.items() if error} == set()
    assert set(fetched) == reference
    assert _crawled(slow) >= len(reference)  # pages the dead worker held were fetched again


def test_with_no_worker_left_the_unfetched_urls_are_failed_rows_of_a_partial_run(
        slow, config, reference, redis_url, postgres_database_url, tmp_path):
    """The only worker's crawl is killed mid-crawl and none comes within WAIT seconds: the run ends partial (not
    hanging, not failed), every URL it needed and nobody fetched is a fetch row naming why, and the diff against
    the full crawl before it (the reference, in the same database) reports no product or page removed."""
    # its death is told by its worker (the crawl ended), not by an alive key expiring: the default ALIVE_SECONDS,
    # so that a crawl process slow to start on a busy machine is not taken for dead and the run cut after WAIT
    workers = _start_workers(1, redis_url, postgres_database_url, "--once", alive="60")
    killer = Fault(lambda: _crawled(slow) >= KILL_AT,
                   lambda: [os.kill(pid, signal.SIGKILL) for pid in _children(workers[0].pid)])
    try:
        result = _distributed_run(config, redis_url, postgres_database_url, tmp_path / "outbox", wait=WAIT)
    finally:
        killed = killer.stop()
        logs = _stop(workers)
    assert killed, f"the crawl was not killed: {killer.missed}"
    assert result.status == "partial", (result, logs)
    assert "URLs not fetched: worker" in result.error and "no worker was left" in result.error
    assert result.error.count("\n") == 0
    fetched = _fetches(postgres_database_url, result.run_id)
    unfetched = {url for url, error in fetched.items() if error}
    assert unfetched and all(fetched[url].startswith("not fetched: worker ") for url in unfetched)
    assert set(fetched) <= reference
    kinds = {change.kind for change in list_changes(create_db_engine(postgres_database_url), run_id=result.run_id)}
    assert not kinds & {"product_removed", "page_removed"}, kinds


@pytest.fixture
def own_redis(pick_port, tmp_path):
    """A redis-server of this test's own (never the shared one on 6379), keeping nothing on disk; restartable."""
    port = pick_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(tmp_path)]

    class Server:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen | None = None

        def start(self) -> None:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    connect(self.url).close()
                    return
                except DossierError:
                    time.sleep(0.1)
            raise RuntimeError("redis-server did not start")

        def kill(self) -> None:
            self.process.kill()
            self.process.wait(timeout=30)

    server = Server()
    server.start()
    yield server
    server.kill()


def test_a_redis_restart_mid_run_is_survived(slow, config, reference, own_redis, postgres_database_url, tmp_path,
                                             caplog):
    """The Redis of the run is killed mid-crawl and started again empty: the workers ride out the outage (their
    client retries), the coordinator sees the run's keys gone and publishes the run again, and the run succeeds
    with every URL of a single-process crawl fetched."""
    workers = _start_workers(2, own_redis.url, postgres_database_url, "--idle-timeout", "120")

    def restart() -> None:
        own_redis.kill()
        time.sleep(2)  # Redis away for a while: the clients' retries ride it out
        own_redis.start()

    restarter = Fault(lambda: _crawled(slow) >= KILL_AT, restart)
    try:
        result = _distributed_run(config, own_redis.url, postgres_database_url, tmp_path / "outbox")
    finally:
        restarted = restarter.stop()
        logs = _stop(workers)
    assert restarted, f"Redis was not restarted: {restarter.missed}"
    assert result.status == "succeeded", (result, [log[-3000:] for log in logs])
    assert "Redis lost the run's keys" in caplog.text  # the restart landed mid-run
    fetched = _fetches(postgres_database_url, result.run_id)
    assert {url for url, error in fetched.items() if error} == set()
    assert set(fetched) == reference


class Request:
    """What the frontier reads of a Scrapy request."""

    def __init__(self, url: str, meta: dict | None = None) -> None:
        self.url, self.meta = url, meta or {}


def test_a_restart_the_coordinator_has_not_seen_yet_neither_drains_the_run_early_nor_loses_a_worker(
        redis_url, caplog):
    """Redis comes back empty and a worker writes to it before the coordinator notices: it counts a request it
    queues (its callback's link), queues one it had counted before the restart, and says its name. The coordinator
    then publishes the run again: the count adds up with the worker's, the worker's name is kept, and the run is
    drained only once nothing is queued or in flight (the count, one short, reaches zero a request early).
    Without the Redis processes of the test above: the worker's steps are the frontier's and the scheduler's own."""
    client = connect(redis_url)
    outcome = {}
    coordinator = threading.Thread(target=lambda: outcome.update(result=coordinate(
        redis_url, "competitors: []\n", run_id=996, source_ids=[1], timeout=60, startup=30, poll=0.02)))
    coordinator.start()
    wait_until(lambda: client.get(ACTIVE_RUN), "the coordinator to announce run 996", poll=0.02)
    keys = RunKeys.announced(client.get(ACTIVE_RUN))
    worker = RedisFrontier(client, keys, "w:1", alive_seconds=60)
    take, put = client.register_script(_TAKE), client.register_script(_PUT)
    queue = [keys.requests, keys.inflight("w:1")]

    def schedule(url: str) -> None:
        worker.scheduled(Request(url))
        put(keys=[*queue, keys.pages], args=["", 0, url, ""])

    def take_and_settle() -> str:
        taken_id, url = take(keys=[*queue, keys.taken])
        worker.settled(Request(url, {COUNTED: True, TAKEN: int(taken_id)}), page=False)
        return url

    def settled_for(seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if client.exists(keys.done):
                return True
            time.sleep(0.02)
        return False

    worker.alive()
    assert worker.next_seed() == 1
    schedule("start")
    worker.seeded()
    taken_id, _ = take(keys=[*queue, keys.taken])  # the start page, in flight when Redis goes
    restart = client.pipeline(transaction=True)  # the coordinator sees Redis before this or after all of it
    restart.delete(*client.keys(f"{keys.prefix}:*"))
    restart.incr(keys.pending).zadd(keys.requests, {"a": 0})  # the start page's link, counted and queued
    restart.zadd(keys.requests, {"b": 0})  # counted before the restart, queued after it
    restart.set(keys.alive("w:1"), 1, ex=60).sadd(keys.workers, "w:1")  # as worker.alive() does
    restart.execute()
    worker.settled(Request("start", {COUNTED: True, TAKEN: int(taken_id)}), page=False)  # its hash is gone: no-op
    wait_until(lambda: client.exists(keys.config), "the coordinator to publish the run again", poll=0.02)
    assert client.smembers(keys.workers) == {"w:1"}
    assert worker.next_seed() == 1  # seeded anew
    schedule("start again")
    worker.seeded()
    assert [take_and_settle(), take_and_settle()] == ["a", "b"]
    assert not settled_for(0.5), "drained with the start page queued"
    assert "although none is counted pending" in caplog.text
    assert take_and_settle() == "start again"
    wait_until(lambda: client.exists(keys.done), "the run to be drained", poll=0.02)
    client.sadd(keys.finished, "w:1")
    coordinator.join(timeout=30)
    assert outcome["result"].ok, outcome["result"]


def test_a_worker_that_did_not_probe_a_source_knows_its_soft_404_page(redis_url):
    """The soft-404 probe's answer is the run's (kept in Redis), not only the prober's: a page of the source that
    another worker reads is checked against it too."""
    client = connect(redis_url)
    keys = RunKeys(995, uuid.uuid4().hex)
    site = "http://127.0.0.1:9/"
    plan = SourcePlan(source_id=1, competitor_id=1, competitor_slug="kranrad", kind="site", url=site, max_pages=10,
                      max_depth=2)
    prober, reader = (CompetitorSpider([plan], frontier=RedisFrontier(client, keys, f"w:{n}", alive_seconds=60))
                      for n in (1, 2))
    not_found = "<html><head><title>Oops</title></head><body><h1>Nothing at {url}</h1></body></html>"

    def answer(url: str, body: str, depth: int | None = 1) -> HtmlResponse:
        request = scrapy.Request(url, meta={"dossier_source_id": 1, "dossier_depth": depth})
        return HtmlResponse(url, body=body.format(url=url).encode(), encoding="utf-8", request=request)

    try:
        probe = prober.probe_request(plan)
        list(prober.parse_probe(answer(probe.url, not_found, depth=None)))
        assert reader.soft_404(plan, answer(f"{site}gone.html", not_found))
        assert not reader.soft_404(plan, answer(f"{site}a.html", "<html><body><h1>Drills at {url}</h1></body></html>"))
    finally:
        client.delete(*client.keys(f"{keys.prefix}:*"))


def _read(spider: CompetitorSpider, response: HtmlResponse, until_request: bool = False) -> list[tuple[str, str]]:
    """What reading the page yields, in order; `until_request`: the reader dies as its first request is yielded
    (claimed, not yet queued: Scrapy queues what a callback yields after taking it from the generator)."""
    outputs = []
    for output in spider.parse_page(response):
        if isinstance(output, scrapy.Request):
            outputs.append(("request", output.url))
            if until_request:
                break
        elif isinstance(output, Settled):
            outputs.append(("settled", output.request.url))
        else:
            outputs.append((output.what, output.url))
    return outputs


@pytest.mark.parametrize("page", ["links", "page_param", "redirect"])
def test_a_page_a_dead_worker_was_reading_is_read_again_the_same_by_another(page, redis_url):
    """A worker dies while reading a page (after the frontier has marked what reading it decided, before its
    requests are queued); the coordinator puts its work back, and another worker reads the page again. The second
    reading must yield what the first did: the links it claimed (now queued nowhere) are claimed anew, a page_param
    listing page again asks for its next page (its items are now seen), and a redirect's final page is read again
    (it is not taken for an alias of a page of the source). Meanwhile the dead worker, only slow, cannot queue
    its late copy of a link. Driven without Scrapy's engine: the spider's callback and the frontier's own steps."""
    client = connect(redis_url)
    keys = RunKeys(994, uuid.uuid4().hex)
    site = "http://127.0.0.1:9"
    plan = SourcePlan(source_id=1, competitor_id=1, competitor_slug="kranrad", kind="site", url=f"{site}/",
                      max_pages=10, max_depth=2, allow_private=True)
    listing = '<html><body><h1>Tools</h1><a href="/a.html">A</a> <a href="/b.html">B</a></body></html>'
    meta = {"dossier_source_id": 1, "dossier_depth": 1}
    if page == "page_param":
        plan = replace(plan, kind="catalog", url=f"{site}/list", page_param="page", max_depth=0,
                       selectors={"product": ".product", "name": ".name", "price": ".price", "currency": "EUR"})
        listing = ('<html><body><div class="product"><span class="name">Hammer</span><span class="price">9 €</span>'
                   '</div></body></html>')
        meta = {"dossier_source_id": 1, "dossier_depth": 0, "dossier_page": 1}
    url = plan.url if page != "links" else f"{site}/tools.html"
    if page == "redirect":  # asked for /old.html, answered by /tools.html
        meta["redirect_urls"] = [f"{site}/old.html"]
    response = HtmlResponse(url, body=listing.encode(), encoding="utf-8",
                            request=scrapy.Request(meta.get("redirect_urls", [url])[0], meta=meta))
    dead, heir = (CompetitorSpider([plan], frontier=RedisFrontier(client, keys, f"w:{n}", alive_seconds=60))
                  for n in (1, 2))
    for spider in (dead, heir):
        spider.settings = Settings({"DOWNLOAD_MAXSIZE": 0})
    try:
        first = [output for output in _read(dead, response, until_request=page == "links")
                 if output[0] != "settled"]  # its Settled marker never reaches the pipeline: the worker is dead
        assert first[-1][0] == "request", first
        Ledger(client, keys, None, {}).put_back("w:1", "killed")
        second = _read(heir, response)
        assert second[:len(first)] == first  # the same reading: the same rows and requests
        assert [output for output in second if output[0] == "request"] == \
               [output for output in _read_alone(plan, response) if output[0] == "request"]
        assert int(client.get(keys.budget(1))) == len([o for o in second if o[0] == "request"])  # none spent twice
        late = page_field(scrapy.Request(first[-1][1], meta=meta))
        put = client.register_script(_PUT)
        assert put(keys=[keys.requests, keys.inflight("w:1"), keys.pages, keys.claimed("w:1")],
                   args=["", 0, "late copy", late]) == -1
        assert not client.zcard(keys.requests)
        if page == "redirect":  # another URL redirected to the same page is an alias all the same
            alias = HtmlResponse(url, body=listing.encode(), encoding="utf-8", request=scrapy.Request(
                f"{site}/other.html", meta={**meta, "redirect_urls": [f"{site}/other.html"]}))
            assert {what for what, _ in _read(heir, alias)} == {"fetch", "settled"}
    finally:
        client.delete(*client.keys(f"{keys.prefix}:*"))


def _read_alone(plan: SourcePlan, response: HtmlResponse) -> list[tuple[str, str]]:
    """The page read by a single-process crawl."""
    spider = CompetitorSpider([plan])
    spider.settings = Settings({"DOWNLOAD_MAXSIZE": 0})
    return _read(spider, response)
