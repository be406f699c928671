"""Job postings from schema.org JobPosting (JSON-LD and microdata): whom a competitor hires."""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date
from typing import Any
from urllib.parse import urljoin

from extractors.document import Document, as_document
from extractors.records import JobPosting

log = logging.getLogger(__name__)

# "15-1252.00 Software Developers" (O*NET), "2512 Softwareentwickler" (ISCO/KldB): the code says nothing to a reader.
_LEADING_CODE = re.compile(r"^\d[\d.\-]*\s+(?=\D)")


def extract_jobs(body: str | bytes | Document | None, url: str) -> list[JobPosting]:
    """Every JobPosting of the page, in page order, without duplicates; never raises on bad input."""
    try:
        document = as_document(body, url)
        jobs: dict[str, JobPosting] = {}
        for node in _job_nodes(document):
            job = _job(node, url)
            if job is not None:
                jobs.setdefault(job.key, job)
        return list(jobs.values())
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        log.debug("job postings unreadable on %s: %r", url, exc)
        return []


def has_job_postings(document: Document) -> bool:
    """Whether the page carries a JobPosting (JSON-LD or microdata) where `extract_jobs` looks for one: a job page,
    whatever else its markup looks like."""
    return next(_job_nodes(document), None) is not None


def _job_nodes(document: Document) -> Iterator[dict[str, Any]]:
    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, list):
            for item in node:
                yield from walk(item)
        elif isinstance(node, dict):
            types = node.get("@type") or node.get("type") or []
            types = types if isinstance(types, list) else [types]
            if any(str(t).rsplit("/", 1)[-1] == "JobPosting" for t in types):
                yield node.get("properties", node)
            for key in ("@graph", "itemListElement", "item", "mainEntity"):
                if key in node:
                    yield from walk(node[key])
    yield from walk(document.structured["json-ld"])
    yield from walk(document.structured["microdata"])


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return " ".join(str(value).split()) or None if value is not None else None


def _location(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        address = value.get("address", value)
        if isinstance(address, dict):
            parts = [address.get(k) for k in ("addressLocality", "addressRegion", "addressCountry")]
            return ", ".join(_text(p) for p in parts if _text(p)) or None
        return _text(address)
    return _text(value)


def _job(node: dict[str, Any], page_url: str) -> JobPosting | None:
    title = _text(node.get("title") or node.get("name"))
    if not title:
        return None
    posted = None
    raw_date = _text(node.get("datePosted"))
    if raw_date:
        try:
            posted = date.fromisoformat(raw_date[:10])
        except ValueError:
            posted = None
    link = _text(node.get("url"))
    return JobPosting(title=title, url=urljoin(page_url, link) if link else None,
                      location=_location(node.get("jobLocation")), posted=posted,
                      employment_type=_text(node.get("employmentType")), department=_department(node))


def _properties(value: Any) -> Any:
    """A nested microdata item is `{"type", "properties"}`; JSON-LD nodes are their own properties. Of a list,
    the first non-empty item."""
    if isinstance(value, list):
        value = next((item for item in value if item not in (None, "", [], {})), None)
    if isinstance(value, dict) and isinstance(value.get("properties"), dict):
        return value["properties"]
    return value


def _department(node: dict[str, Any]) -> str | None:
    """occupationalCategory, else the hiring organisation's (or the posting's) department, else the industry."""
    organisation = _properties(node.get("hiringOrganization"))
    nested = organisation.get("department") if isinstance(organisation, dict) else None
    for value in (node.get("occupationalCategory"), nested, node.get("department"), node.get("industry")):
        value = _properties(value)
        if isinstance(value, dict) and not value.get("name"):
            value = value.get("codeValue") or value.get("@value")
        text = _text(value)
        if text:
            return _LEADING_CODE.sub("", text) or text
    return None
