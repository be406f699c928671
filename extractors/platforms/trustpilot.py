"""Trustpilot: a company's review page (trustpilot.com/review/<domain>, every country subdomain) and the TrustBox
embeds shops put on their own pages. The review page carries its reviews as schema.org JSON-LD
(script[data-business-unit-json-ld]); the row reads the rendered review cards for when that data is missing."""
from __future__ import annotations

from extractors.platforms import Platform

PLATFORM = Platform(
    name="Trustpilot",
    ground=("Trustpilot consumer site, business-unit review page as rendered (trustpilot.com/review/<domain>): "
            "script[type=application/ld+json][data-business-unit-json-ld] (@graph with LocalBusiness, AggregateRating "
            "and Review nodes), article[data-service-review-card-paper] per review with "
            "span[data-consumer-name-typography], div[data-service-review-rating=N], "
            "time[data-service-review-date-time-ago][datetime], h2[data-service-review-title-typography], "
            "p[data-service-review-text-typography]; the header's p[data-rating-typography] (TrustScore) and "
            "[data-reviews-count-typography]; nav[data-reviews-pagination] with "
            "a[name=pagination-button-next] (an href to ?page=N+1, none on the last page); TrustBox embeds load "
            "widget.trustpilot.com/bootstrap/v5/tp.widget.bootstrap.min.js"),
    markers=("data-service-review-card-paper", "data-business-unit-json-ld", "widget.trustpilot.com"),
    reviews={
        "review": "article[data-service-review-card-paper]",
        "author": "[data-consumer-name-typography]",
        "rating": "[data-service-review-rating]::attr(data-service-review-rating)",
        "date": "time[data-service-review-date-time-ago]",
        "title": "[data-service-review-title-typography]",
        "text": "[data-service-review-text-typography]",
        "aggregate_rating": "[data-rating-typography]",
        "review_count": "[data-reviews-count-typography]",
    },
    next_page="a[name='pagination-button-next'][href]",
)
