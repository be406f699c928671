"""Feefo: the product review widget (div#feefo-product-review-widgetId.feefo-review-widget-product, filled by
api.feefo.com/api/javascript/<merchant>) as a rendering crawler serialises it, its shadow root written out as a
declarative <template shadowrootmode="open">."""
from __future__ import annotations

from extractors.platforms import Platform

PLATFORM = Platform(
    name="Feefo",
    ground=("Feefo on-page product review widget: host div#feefo-product-review-widgetId.feefo-review-widget-product"
            "[data-feefo-product-id|data-product-sku] written by the Feefo ecommerce plugins (WooCommerce, Magento 2 "
            "Feefo_Reviews), the api.feefo.com/api/javascript/<merchant> loader, and .feefo-review-badge-wrapper-product "
            "star badges; the widget renders into a shadow root (.on-page-container, "
            ".feefowidget-header-information-title, [data-testid=event-tracker-wrapper], feefowidget-* class names): "
            "one .feefowidget-review per review with an aria-labelled rating ('N out of 5 stars'), the date as text, "
            "the customer's name and the comment; pages are buttons (no next-page URL)"),
    markers=("feefo-review-widget-product", "feefo-review-badge-wrapper-product", "api.feefo.com/api/javascript/"),
    reviews={
        "review": "#feefo-product-review-widgetId .feefowidget-review",
        "author": ".feefowidget-review-customer-name",
        "rating": ".feefowidget-review-rating",
        "date": ".feefowidget-review-date",
        "text": ".feefowidget-review-comment",
        "aggregate_rating": "#feefo-product-review-widgetId .feefowidget-rating-value",
        "review_count": "#feefo-product-review-widgetId .feefowidget-rating-count",
    },
)
