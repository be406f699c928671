"""Judge.me, the product-review app of Shopify stores: its review widget as the app block renders it on a product page."""
from __future__ import annotations

from extractors.platforms import Platform

PLATFORM = Platform(
    name="Judge.me",
    ground=("Judge.me review widget as rendered by its Shopify app blocks (judgeme_core, review_widget, "
            "preview_badge): div.jdgm-rev-widg[data-average-rating][data-number-of-reviews], one div.jdgm-rev "
            "[data-review-id] per review with span.jdgm-rev__rating[data-score], span.jdgm-rev__timestamp"
            "[data-content] (UTC timestamp, the visible date is filled by script), span.jdgm-rev__author, "
            "b.jdgm-rev__title, div.jdgm-rev__body; div.jdgm-paginate holds <a data-page> without href (the widget "
            "pages by script through judge.me/reviews/reviews_for_widget, so there is no next-page URL)"),
    markers=("jdgm-widget", "cdn.judge.me", "cdnwidget.judge.me"),
    reviews={
        "review": ".jdgm-rev-widg__reviews .jdgm-rev",
        "author": ".jdgm-rev__author",
        "rating": ".jdgm-rev__rating",
        "date": ".jdgm-rev__timestamp::attr(data-content)",
        "title": ".jdgm-rev__title",
        "text": ".jdgm-rev__body",
        "aggregate_rating": ".jdgm-rev-widg::attr(data-average-rating)",
        "review_count": ".jdgm-rev-widg::attr(data-number-of-reviews)",
    },
)
