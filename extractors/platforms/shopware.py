"""Shopware 6, Storefront default theme (6.5-6.7 markup; the microdata it emits while the JSON_LD_DATA flag is off).

Product page: schema.org Product microdata on `.cms-page` (name, sku, gtin13, mpn, brand, Offer with price,
priceCurrency, availability), but the list price ("was") is only shown, in `.product-detail-list-price-wrapper`.
Reviews: microdata Review items (author, name, description, datePublished) without a reviewRating: the points are
only drawn as stars with a visually-hidden alt text ("4 van 5 sterren"). Category listing: no structured data on the
product boxes. Pagination: `li.page-next > a.page-link` with `?p=N` (6.7 anchors; older versions post radio inputs).
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Shopware",
    ground=("Shopware 6 Storefront (shopware/shopware on GitHub, src/Storefront/Resources/views/storefront): "
            "component/buy-widget/buy-widget.html.twig, buy-widget-price.html.twig, component/delivery-information"
            ".html.twig, page/content/product-detail.html.twig, element/cms-element-product-name.html.twig, "
            "component/review/review-item.html.twig, review-widget.html.twig, rating.html.twig, point.html.twig, "
            "component/product/card/box-standard.html.twig, price-unit.html.twig, component/product/listing.html.twig, "
            "component/pagination.html.twig, layout/meta.html.twig (window.router, theme asset paths)"),
    markers=("frontend.cart.offcanvas", "/js/storefront/storefront.js"),
    product={
        "name": "h1.product-detail-name",
        "price": ".product-detail-price-container .product-detail-price",
        "old_price": ".product-detail-price-container .product-detail-list-price-wrapper .list-price-price",
        "sku": ".product-detail-ordernumber",
    },
    listing={
        "product": ".cms-listing-row .cms-listing-col .product-box",
        "name": "a.product-name",
        "url": "a.product-name::attr(href)",
        # the box's own price is the first text of `span.product-price`; the list price is nested inside it
        "price": "(.//span[contains(concat(' ', normalize-space(@class), ' '), ' product-price ')])[1]/text()",
        "old_price": ".product-price .list-price-price",
    },
    reviews={
        "review": ".product-detail-review-list .product-detail-review-item",
        "author": "[itemprop=author] meta[itemprop=name]::attr(content)",
        "rating": ".product-detail-review-item-points .product-review-rating",
        "date": "meta[itemprop=datePublished]::attr(content)",
        "title": ".product-detail-review-item-title",
        "text": ".product-detail-review-item-content",
        "aggregate_rating": ".product-detail-review-widget meta[itemprop=ratingValue]::attr(content)",
        "review_count": ".product-detail-review-widget meta[itemprop=ratingCount]::attr(content)",
    },
    next_page=".pagination .page-item.page-next:not(.disabled) a.page-link",
)
