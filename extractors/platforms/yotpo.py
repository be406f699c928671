"""Yotpo product reviews: the v3 reviews widget (`yotpo-widget-instance`, loaded from cdn-widgetsrepository.yotpo.com)
as it renders into a shop's product page; the classic v2 widget (div.yotpo.yotpo-main-widget, staticw2.yotpo.com) is
recognised by the same markers."""
from __future__ import annotations

from extractors.platforms import Platform

PLATFORM = Platform(
    name="Yotpo",
    ground=("Yotpo Reviews Widget v3 as rendered into div.yotpo-widget-instance[data-yotpo-instance-id] (the Shopify "
            "app block and the cdn-widgetsrepository.yotpo.com/v1/loader script; YotpoLtd/magento2-module-yotpo-reviews "
            "widget_div.phtml for the classic div.yotpo.yotpo-main-widget host): #yotpo-reviews-main-widget with "
            ".yotpo-bottom-line-score and .yotpo-bottom-line-basic-text, one .yotpo-review[data-review-id] per review "
            "with .yotpo-reviewer-name, .yotpo-review-star-rating[aria-label='N.0 star rating'], .yotpo-review-title, "
            ".yotpo-read-more-text and .yotpo-date-format (the shop's date format, dd/mm/yy here); "
            "nav.yotpo-reviews-pagination-container holds <a role=button aria-label='Goto next page'> without href "
            "(paged by script, no next-page URL)"),
    markers=("cdn-widgetsrepository.yotpo.com", "staticw2.yotpo.com", "yotpo-widget-instance", "yotpo-main-widget"),
    reviews={
        "review": ".yotpo-reviews-container .yotpo-review",
        "author": ".yotpo-reviewer-name",
        "rating": ".yotpo-review-star-rating",
        "date": ".yotpo-date-format",
        "title": ".yotpo-review-title",
        "text": ".yotpo-read-more-text",
        "aggregate_rating": "#yotpo-reviews-main-widget .yotpo-bottom-line-score",
        "review_count": "#yotpo-reviews-main-widget .yotpo-bottom-line-basic-text",
    },
)
