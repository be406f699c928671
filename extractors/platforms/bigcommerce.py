"""BigCommerce, Cornerstone theme (Stencil; 6.2 and later, whose product schema is one JSON-LD block).

Product page: JSON-LD Product (templates/components/products/schema.html) with sku, mpn, gtin, brand, the Offer
(price, priceCurrency, availability), aggregateRating and the reviews of the current review page; the sale's
"was" price (`.price--non-sale`) and the retail price (`.price--rrp`) are only shown. Reviews: `li.productReview`,
paginated with `?revpage=N`. Category: product cards (`ul.productGrid li.product article.card`) with no structured
data; `<link rel="next">` in the head and `.pagination-item--next` in the paginator.
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="BigCommerce",
    ground=("Cornerstone (bigcommerce/cornerstone on GitHub): templates/components/products/product-view.html, "
            "price.html, schema.html, reviews.html, ratings.html, card.html, "
            "templates/components/common/paginator.html, "
            "templates/pages/category.html (rel prev/next), templates/layout/base.html (stencilBootstrap, CDN assets), "
            "lang/es-MX.json"),
    markers=("cdn11.bigcommerce.com", "window.stencilbootstrap"),
    product={
        "name": "h1.productView-title",
        "price": (".productView-price [data-product-price-without-tax], "
                  ".productView-price [data-product-price-with-tax]"),
        "old_price": ".productView-price .price--non-sale",
        "sku": "[data-product-sku]",
    },
    listing={
        "product": "ul.productGrid li.product article.card",
        "name": ".card-title a",
        "url": ".card-title a::attr(href)",
        "price": "[data-product-price-without-tax], [data-product-price-with-tax]",
        "old_price": ".price--non-sale",
    },
    reviews={
        "review": "#productReviews-list li.productReview",
        "rating": ".productReview-ratingNumber",
        "title": ".productReview-title",
        "text": ".productReview-body",
    },
    next_page=".pagination-item--next a.pagination-link",
)
