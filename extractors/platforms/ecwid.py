"""Ecwid storefront embedded on a site (the rendered DOM of `app.ecwid.com/script.js` in `#my-store-<id>`).

Product page: schema.org microdata on `.product-details` (name, image, description and an Offer with price as a
`content` attribute, priceCurrency, availability); the SKU line and the compare-at ("Önceki fiyat") price are only
shown. Reviews: the product-details review module, with no schema.org Review markup. Category: `.grid-product`
cards with no structured data; paginated with `?offset=N` (`.pager__button--next`).
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Ecwid",
    ground=("Ecwid storefront (new product browser) rendered markup: product-details__product-title, "
            "product-details__product-price[itemprop=price], details-product-price__value, "
            "details-product-price-compare__container, product-details__product-sku, grid-product__title-inner, "
            "grid-product__price-value, grid-product__price-compare, pager__button--next, as read by public "
            "storefront customisations and scrapers on GitHub; ec-label 'Stokta var'); the product-reviews module's "
            "class names (product-review__author, __rating, __date, __text) follow the storefront's BEM naming and "
            "are not yet checked against a public copy of Ecwid's review markup"),
    markers=("app.ecwid.com/script.js", "ecwid-productbrowser"),
    product={
        "name": "h1.product-details__product-title",
        "price": ".product-details__product-price .details-product-price__value",
        "old_price": ".details-product-price-compare__container s",
        # the SKU line is "SKU <code>": the code is what follows the label
        "sku": ("(normalize-space(substring-after(normalize-space("
                "//*[contains(concat(' ', normalize-space(@class), ' '), ' product-details__product-sku ')]), ' ')))"),
    },
    listing={
        "product": ".grid__products .grid-product",
        "name": ".grid-product__title-inner",
        "url": "a.grid-product__title::attr(href)",
        "price": ".grid-product__price-value",
        "old_price": ".grid-product__price-compare s",
    },
    reviews={
        "review": ".product-reviews__list .product-review",
        "author": ".product-review__author",
        "rating": ".product-review__rating",
        "date": ".product-review__date",
        "title": ".product-review__title",
        "text": ".product-review__text",
        "aggregate_rating": ".product-reviews__summary .product-reviews__average",
        "review_count": ".product-reviews__summary .product-reviews__count",
    },
    next_page=".pager .pager__button--next:not(.pager__button--disabled)",
)
