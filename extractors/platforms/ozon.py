"""Ozon (ozon.ru), as its pages render in a browser.

Ozon's class names are generated hashes that change between releases, so nothing here keys on them. What stays:
the product page's JSON-LD (Product: name, sku = the Ozon SKU, one Offer with the price without Ozon Card,
availability, aggregateRating), the data-widget names of its widgets, the webPrice widget's data-state JSON
(price, cardPrice, originalPrice = the struck price), the design system's typography classes on search tiles
(tsHeadline500Medium: the price, tsBodyControl400Small: the struck price, tsBody500Medium: the name), the
megaPaginator's "Дальше" link, and on the review list each review's data-review-uuid, with the reviewer, the date,
the stars (filled ones coloured var(--graphicRating)) and the text in a fixed order.
"""
from extractors.platforms import Platform

_STATE = "//div[@data-widget='webPrice']/div[starts-with(@id, 'state-webPrice-')]/@data-state"

PLATFORM = Platform(
    name="Ozon",
    ground=("ozon.ru as rendered: product JSON-LD; data-widget=webProductHeading / webPrice (its state-webPrice "
            "data-state: price, cardPrice, originalPrice) / searchResultsV2 (div.tile-root tiles, "
            "a.tile-clickable-element, tsHeadline500Medium / tsBodyControl400Small / tsBody500Medium) / "
            "megaPaginator ('Дальше') / webListReviews (div[data-review-uuid]: author block, date, "
            "a5d5 star row of svg coloured var(--graphicRating), text) / webReviewProductScore ('4.8 / 5')"),
    markers=("st.ozone.ru", "ir.ozone.ru"),
    product={
        "name": "div[data-widget=webProductHeading] h1",
        "price": f"(substring-before(substring-after({_STATE}, '\"price\":\"'), '\"'))",
        "old_price": f"(substring-before(substring-after({_STATE}, '\"originalPrice\":\"'), '\"'))",
    },
    listing={
        "product": "div[data-widget=searchResultsV2] div.tile-root",
        "name": "a.tile-clickable-element span.tsBody500Medium",
        "url": "a.tile-clickable-element::attr(href)",
        "price": ".tsHeadline500Medium",
        "old_price": ".tsHeadline500Medium + .tsBodyControl400Small",
    },
    reviews={
        "review": "div[data-widget=webListReviews] div[data-review-uuid]",
        "author": "./div[1]/div[1]/div[2]//span",
        "date": "./div[1]/div[2]/div[1]",
        "rating": ("(string(count(./div[1]/div[2]/div[2]/div/*[local-name() = 'svg']"
                   "[contains(@style, 'graphicRating')])))"),
        "text": "./div[2]//span",
        "id": "@data-review-uuid",
        "aggregate_rating": "div[data-widget=webReviewProductScore] span",
    },
    next_page="//div[@data-widget='megaPaginator']//a[normalize-space() = 'Дальше']",
)
