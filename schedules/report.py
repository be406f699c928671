"""`dossier report`: a static HTML dossier (overview + one page per competitor), usable offline."""
from __future__ import annotations

import json
import logging
import shutil
from dataclasses import asdict
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dossier.errors import ConfigError
from schedules.digest import safe_url
from schedules.units import format_percent
from storage.reporting import WEEK_EVENTS_SHOWN, competitor_dossier, competitor_slugs, overview

TEMPLATES = Path(__file__).parent / "templates" / "report"
STATIC = Path(__file__).parent / "static"
CHART_JS = "chart.umd.min.js"
# Each event family's label and colour: its tag beside an event and its bars in the timeline (white text on it).
FAMILY_STYLE = {
    "assortment": ("Assortment", "#7048e8"),
    "prices": ("Prices", "#1c7ed6"),
    "reviews": ("Reviews", "#d9480f"),
    "marketing": ("Marketing", "#c2255c"),
    "hiring": ("Hiring", "#2b8a3e"),
    "site": ("Site", "#5c677d"),
}


def _json_script(value: Any) -> Markup:
    """Data for the charts inside <script type="application/json">: '<', '>' and '&' escaped, so no tag can end it."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["json_script"] = _json_script
    env.filters["safe_url"] = safe_url
    env.filters["money"] = lambda v: "" if v is None else f"{float(v):,.2f}"
    env.filters["short"] = lambda v, n=140: "" if not v else (str(v) if len(str(v)) <= n else str(v)[: n - 1] + "…")
    env.filters["check"] = _check
    env.filters["kb"] = lambda v: "" if v is None else f"{int(v) / 1024:,.0f}"
    env.filters["number"] = lambda v: "" if v is None else f"{int(v):,}"
    env.filters["listed"] = _listed
    env.filters["gap"] = lambda v: "" if v is None else format_percent(Decimal(str(v)))
    env.globals["families"] = FAMILY_STYLE
    return env


def _check(value: Any) -> str:
    """A yes/no column: ✓ or ✗, blank when unknown (no audit yet)."""
    return "" if value is None else ("✓" if value else "✗")


def _listed(value: str | None) -> str:
    """A view's comma list as 'a, b', sorted: SQLite joins with ',' in no set order, PostgreSQL with ', '."""
    return ", ".join(sorted({part.strip() for part in (value or "").split(",") if part.strip()}, key=str.casefold))


def build_report(engine, out: str | Path) -> list[Path]:
    """Write index.html, one <slug>.html per competitor and the bundled Chart.js into `out`; returns the pages."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; give a folder for the report")
    out.mkdir(parents=True, exist_ok=True)
    (out / "static").mkdir(exist_ok=True)
    shutil.copyfile(STATIC / CHART_JS, out / "static" / CHART_JS)
    env = _environment()
    built = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    slugs = competitor_slugs(engine)
    pages = [out / "index.html"]
    summary = overview(engine)
    (out / "index.html").write_text(env.get_template("overview.html.j2").render(
        built=built, slugs=slugs, chart_js=f"static/{CHART_JS}", timeline_chart=timeline_chart(summary["timeline"]),
        week_events_shown=WEEK_EVENTS_SHOWN,
        **summary), encoding="utf-8")
    for slug in slugs:
        dossier = competitor_dossier(engine, slug)
        page = out / f"{slug}.html"
        page.write_text(env.get_template("competitor.html.j2").render(
            built=built, slugs=slugs, chart_js=f"static/{CHART_JS}", d=dossier, charts=_charts(dossier)),
            encoding="utf-8")
        pages.append(page)
    logging.getLogger(__name__).info("report: %d pages in %s", len(pages), out)
    return pages


def timeline_chart(timeline: dict[str, Any]) -> dict[str, Any]:
    """Events per run stacked by family (storage.reporting.event_timeline) as Chart.js data, in the families'
    labels and colours."""
    return {"labels": timeline["labels"],
            "datasets": [{"label": FAMILY_STYLE[s["family"]][0], "data": s["data"],
                          "backgroundColor": FAMILY_STYLE[s["family"]][1]} for s in timeline["series"]]}


def _charts(dossier) -> dict[str, Any]:
    data = asdict(dossier)
    return {"prices": data["price_charts"], "index": data["category_index"], "rating": data["rating_trend"]}
