"""Wix Stores (rendered Thunderbolt HTML): product page, category gallery, and the Wix Reviews app.

Wix marks its own components with `data-hook` attributes (class names are hashed per build, so they are never used
here). Product page: one JSON-LD Product (name, description, image, sku, an Offer with price and priceCurrency);
Wix writes the offer's stock state and condition under capitalised "Availability" / "Condition" keys, which
schema.org readers do not see, so the row reads the buy button / out-of-stock block instead. The compare-at price
is only shown (`formatted-secondary-price`). Gallery: `product-list-grid-item` cards, no structured data, a "Load
more" button and a crawlable `product-list-pagination-seo` link list (`?page=N`). Wix Reviews: a review list with no
schema.org Review markup.
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Wix Stores",
    ground=("Wix Stores rendered markup (data-hook attributes of the product page, the product gallery and its SEO "
            "pagination: product-title, formatted-primary-price, formatted-secondary-price, sku, add-to-cart, "
            "product-page-out-of-stock, product-list-grid-item, product-item-name, product-item-price-to-pay, "
            "product-item-price-before-discount, product-item-container, product-list-pagination-seo, as read by "
            "public scrapers of Wix shops on GitHub); the Wix Reviews list's data-hooks (review-list, review, "
            "review-author-name, star-rating, review-date, review-content, rating-summary) are modelled on that "
            "naming and not yet checked against a public copy of the app's markup"),
    markers=("wix.com website builder", "static.parastorage.com/services/wix-thunderbolt"),
    product={
        "name": "[data-hook=product-title]",
        "price": "[data-hook=formatted-primary-price]",
        "old_price": "[data-hook=formatted-secondary-price]",
        "sku": "(normalize-space(substring-after(//*[@data-hook='sku'], ':')))",
        # the stock template shows an enabled add-to-cart button, or the out-of-stock block instead
        "availability": ("(concat(substring('OutOfStock', 1, 10 * boolean(//*[@data-hook='product-page-out-of-stock']))"
                         ", substring('InStock', 1, 7 * boolean(//button[@data-hook='add-to-cart']"
                         "[not(@disabled) and not(@aria-disabled='true')]))))"),
    },
    listing={
        "product": "[data-hook=product-list-grid-item]",
        "name": "[data-hook=product-item-name]",
        "url": "a[data-hook=product-item-container]::attr(href)",
        "price": "[data-hook=product-item-price-to-pay]",
        "old_price": "[data-hook=product-item-price-before-discount]",
    },
    reviews={
        "review": "[data-hook=review-list] [data-hook=review]",
        "author": "[data-hook=review-author-name]",
        "rating": "[data-hook=star-rating]",
        "date": "[data-hook=review-date]",
        "title": "[data-hook=review-title]",
        "text": "[data-hook=review-content]",
        "aggregate_rating": "[data-hook=rating-summary] [data-hook=average-rating]",
        "review_count": "[data-hook=rating-summary] [data-hook=total-reviews]",
    },
    next_page=("(//*[@data-hook='product-list-pagination-seo']"
               "//a[@data-hook='product-list-pagination-link-seo-link'])[last()]"),
)
