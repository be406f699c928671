"""JTL-Shop 5, NOVA template (and NOVA child templates, which keep its markup and asset paths).

Product page: schema.org microdata throughout: `<html itemscope itemtype=".../ItemPage">`, the Product on
`#result-wrapper` (itemprop mainEntity) with name, sku, gtin, brand, the Offer (price, priceCurrency, availability
link) and aggregateRating; each review a Review item (name, reviewRating, reviewBody, author, datePublished).
The special price's "Alter Preis" is only shown (`.price-note`, struck by CSS). Category: every product box is a
microdata Product in an ItemList, the old price again only shown (`.old-price del`). Pagination: `<link rel="next">`
on listings (`_s2` SEO suffix), the review list pages with `?ratings_nPage=N#tab-votes`.
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="JTL-Shop",
    ground=("JTL-Shop 5 NOVA template (templates/NOVA, as in shopkueche/JTL-Shop5-Update on GitHub): "
            "layout/header.tpl (html itemscope, rel prev/next, asset paths), productdetails/index.tpl, details.tpl, "
            "price.tpl, stock.tpl, tabs.tpl, reviews.tpl, review_item.tpl, productlist/index.tpl, item_box.tpl, "
            "snippets/productlist_page_nav.tpl, snippets/pagination.tpl, snippets/slider_items.tpl"),
    markers=("/templates/nova",),
    product={
        "name": "h1.product-title",
        "price": ".product-offer .price_wrapper .price > span",
        "old_price": ".product-offer .price-note .text-stroke, .product-offer .price-note .old-price del",
        "sku": ".product-sku [itemprop=sku]",
    },
    listing={
        "product": "#product-list .product-wrapper",
        "name": ".productbox-title a",
        "url": ".productbox-title a::attr(href)",
        "price": ".productbox-price > span",
        "old_price": ".old-price del",
    },
    reviews={
        "review": ".reviews-list .review-comment",
        "author": "[itemprop=author] [itemprop=name]",
        "rating": "[itemprop=ratingValue]",
        "date": "meta[itemprop=datePublished]::attr(content)",
        "title": ".subheadline",
        "text": "[itemprop=reviewBody]",
        "aggregate_rating": ".rating-wrapper meta[itemprop=ratingValue]::attr(content)",
        "review_count": ".rating-wrapper meta[itemprop=reviewCount]::attr(content)",
    },
    next_page="ul.pagination > li.page-item:last-child:not(.disabled) > a.page-link[aria-label]",
)
