"""Request fingerprints per source, so a URL shared by two sources is fetched for each of them once."""
from __future__ import annotations

import hashlib

from scrapy.utils.request import RequestFingerprinter


class SourceRequestFingerprinter(RequestFingerprinter):
    def fingerprint(self, request) -> bytes:
        base = super().fingerprint(request)
        source = request.meta.get("dossier_source_id")
        if source is None:
            return base
        return hashlib.sha1(base + str(source).encode()).digest()
