"""Finding the Chromium that render: js sources run in (Debian's package, or DOSSIER_CHROMIUM)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from dossier.errors import CrawlError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ENV = "DOSSIER_CHROMIUM"


def find_chromium() -> str:
    """DOSSIER_CHROMIUM when set, else the first Chromium on PATH; a CrawlError naming the fix otherwise."""
    configured = os.environ.get(ENV)
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise CrawlError(f"{ENV}={configured}: no executable browser there (point it at chromium, e.g. /usr/bin/chromium)")
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise CrawlError("render: js needs Chromium and none was found: install it (apt-get install chromium) "
                     f"or set {ENV} to the browser's path")
