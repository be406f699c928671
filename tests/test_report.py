"""The HTML dossier: built from a demo database, opened in headless Chromium (tables, charts, no console errors)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from schedules.report import build_report

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of a real demo run (two crawls), with a hostile name smuggled into the data."""
    from schedules.demo import run_demo
    from sqlalchemy import update
    from storage import models
    from storage.db import create_db_engine, session_scope

    result = run_demo(tmp_path_factory.mktemp("demo") / "dossier-demo", smtp_url="")
    engine = create_db_engine(result.database_url)
    with session_scope(engine) as session:
        session.execute(update(models.Product).where(models.Product.sku == "KR-LR-200").values(
            name='<script>window.pwned=1</script><img src=x onerror="window.pwned=2">',
            url="javascript:window.pwned=3"))
    out = tmp_path_factory.mktemp("report")
    pages = build_report(engine, out)
    engine.dispose()
    return out, pages


def test_pages_are_written_offline(report):
    out, pages = report
    assert [p.name for p in pages] == ["index.html", "gruzovoz.html", "kranrad.html", "toolshop.html"]
    assert (out / "static" / "chart.umd.min.js").stat().st_size > 100_000
    for page in pages:
        html = page.read_text()
        assert "http://" not in html.split("<main>")[0] and "https://cdn" not in html  # nothing loaded from outside
    kranrad = (out / "kranrad.html").read_text()
    assert "<script>window.pwned" not in kranrad and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in kranrad
    assert 'href="javascript:' not in kranrad


@pytest.mark.browser
def test_report_renders_in_chromium(report):
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    out, _ = report
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto((out / "index.html").as_uri())
        assert page.locator("#summary tbody tr").count() == 3
        assert "Kranrad GmbH" in page.locator("#summary").inner_text()
        page.wait_for_function("Chart.getChart(document.querySelector('#timeline canvas')) !== undefined")
        page.screenshot(path=str(ARTIFACTS / "report-overview.png"), full_page=True)
        page.goto((out / "kranrad.html").as_uri())
        for section in ("#prices", "#reviews", "#technologies", "#positioning", "#jobs", "#changes"):
            assert page.locator(section).count() == 1
        assert page.locator("#prices tbody tr").count() == 7  # six products of night 1 (LR 400 gone since) and SR 500
        charts = page.evaluate("[...document.querySelectorAll('canvas')].map(c => !!Chart.getChart(c))")
        assert charts == [True, True, True]
        prices = page.evaluate("Chart.getChart(document.querySelector('#prices canvas')).data.datasets.length")
        assert prices == 7
        moves = page.evaluate("""Object.fromEntries(Chart.getChart(document.querySelector('#prices canvas'))
                                 .data.datasets.map(d => [d.label, d.data]))""")
        assert moves["Laufrad LR 250 (EUR)"] == [649, 689]  # night1 -> night2, as fixtures/README.md says
        assert moves["Spurkranzrad SR 160 (EUR)"] == [379, 359]
        assert moves["Laufrad LR 400 (EUR)"] == [1890, None] and moves["Spurkranzrad SR 500 (EUR)"] == [None, 2150]
        assert page.evaluate("window.pwned") is None
        page.screenshot(path=str(ARTIFACTS / "report-kranrad.png"), full_page=True)
        browser.close()
    assert problems == []
