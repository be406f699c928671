"""Job postings (extractors.jobs): the department, from schema.org JobPosting in JSON-LD and microdata."""
from __future__ import annotations

from datetime import date

import pytest

from extractors.jobs import extract_jobs
from extractors.records import JobPosting


def _job(fields: str) -> str:
    return ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "JobPosting", '
            f'"title": "Disponent (m/w/d)", {fields}}}</script>')


@pytest.mark.parametrize(("markup", "department"), [
    pytest.param(_job('"occupationalCategory": "  Logistik \\n Disposition ", "industry": "Transport"'),
                 "Logistik Disposition", id="occupational-category-first"),
    pytest.param(_job('"occupationalCategory": "15-1252.00 Software Developers"'), "Software Developers",
                 id="onet-code-dropped"),
    pytest.param(_job('"occupationalCategory": {"@type": "CategoryCode", "codeValue": "43-5011", '
                      '"name": "Cargo and Freight Agents"}'), "Cargo and Freight Agents", id="category-code"),
    pytest.param(_job('"hiringOrganization": {"@type": "Organization", "name": "Грузовоз Север", '
                      '"department": {"@type": "Organization", "name": "Отдел  продаж"}}, "industry": "Логистика"'),
                 "Отдел продаж", id="hiring-organization-department"),
    pytest.param(_job('"department": "Vertrieb", "industry": "Maschinenbau"'), "Vertrieb", id="department"),
    pytest.param(_job('"industry": ["", "Maschinenbau"]'), "Maschinenbau", id="industry-last"),
    pytest.param(_job('"hiringOrganization": "Laufrad-Werk"'), None, id="none"),
    pytest.param('<div itemscope itemtype="https://schema.org/JobPosting"><h2 itemprop="title">Disponent (m/w/d)</h2>'
                 '<div itemprop="hiringOrganization" itemscope itemtype="https://schema.org/Organization">'
                 '<span itemprop="name">Laufrad-Werk</span><div itemprop="department" itemscope '
                 'itemtype="https://schema.org/Organization"><span itemprop="name">Versand</span></div></div></div>',
                 "Versand", id="microdata"),
])
def test_job_department(markup: str, department: str | None) -> None:
    jobs = extract_jobs(f"<html><body>{markup}</body></html>", "https://laufrad-werk.example/karriere/")
    assert jobs == [JobPosting(title="Disponent (m/w/d)", department=department)]


def test_jobs_keep_their_other_fields() -> None:
    markup = _job('"datePosted": "2024-03-01", "url": "/karriere/disponent", "employmentType": "FULL_TIME", '
                  '"jobLocation": {"@type": "Place", "address": {"addressLocality": "Mannheim", "addressCountry": "DE"}},'
                  ' "occupationalCategory": "Logistik"')
    assert extract_jobs(markup, "https://laufrad-werk.example/karriere/") == [JobPosting(
        title="Disponent (m/w/d)", url="https://laufrad-werk.example/karriere/disponent", location="Mannheim, DE",
        posted=date(2024, 3, 1), employment_type="FULL_TIME", department="Logistik")]
