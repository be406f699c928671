"""What `dossier run` shows while it works (a live rich progress, one line per competitor) and at the end (a table)."""
from __future__ import annotations

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from storage.history import CompetitorCounts

TOTAL = "all"


class LiveProgress:
    """A rich Progress fed with counts polled from the database (the crawl runs in another process).

    Thread-safe: `update` is called from the run's monitor thread while rich refreshes from its own."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="•"),
            TextColumn("[bold]{task.description:<14}"),
            TextColumn("{task.fields[sources]:>5} sources"),
            TextColumn("{task.fields[fetched]:>6} fetched"),
            TextColumn("{task.fields[items]:>6} items"),
            TextColumn("{task.fields[errors]:>4} errors"),
            TimeElapsedColumn(),
            console=console, transient=True, refresh_per_second=4)
        self.tasks: dict[str, int] = {}

    def __enter__(self) -> LiveProgress:
        self.progress.start()
        self.tasks[TOTAL] = self.progress.add_task("starting", total=None, sources="", fetched=0, items=0, errors=0)
        return self

    def __exit__(self, *exc_info) -> None:
        self.progress.stop()

    def update(self, run_id: int, counts: list[CompetitorCounts]) -> None:
        for entry in counts:
            if entry.slug not in self.tasks:
                self.tasks[entry.slug] = self.progress.add_task(entry.slug[:14], total=None, sources="",
                                                                fetched=0, items=0, errors=0)
            self.progress.update(self.tasks[entry.slug], sources=f"{entry.sources_started}/{entry.sources}",
                                 fetched=entry.fetched, items=entry.items, errors=entry.errors)
        self.progress.update(
            self.tasks[TOTAL], description=f"run {run_id}",
            sources=f"{sum(e.sources_started for e in counts)}/{sum(e.sources for e in counts)}",
            fetched=sum(e.fetched for e in counts), items=sum(e.items for e in counts),
            errors=sum(e.errors for e in counts))


def summary_table(counts: list[CompetitorCounts], title: str | None = None) -> Table:
    """Per competitor: pages read, products and reviews observed, changes found, failed fetches; and the total."""
    table = Table(title=title, show_footer=len(counts) > 1)
    headers = ("Pages", "Products", "Reviews", "Changes", "Errors")
    fields = ("pages", "products", "reviews", "changes", "errors")
    table.add_column("Competitor", footer="total", no_wrap=True)
    for header, name in zip(headers, fields):
        table.add_column(header, justify="right", footer=str(sum(getattr(c, name) for c in counts)))
    for entry in counts:
        errors = Text(str(entry.errors), style="red" if entry.errors else "")
        table.add_row(Text(entry.slug), *(str(getattr(entry, name)) for name in fields[:-1]), errors)
    return table
