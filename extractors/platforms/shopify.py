"""Shopify's Online Store 2.0 reference theme, Dawn: product page, collection grid cards and their pagination."""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Shopify",
    ground=("Shopify Dawn sections/main-product.liquid (h1 in div.product__title, the SKU block p.product__sku with a "
            "visually-hidden 'SKU:' label, `{{ product | structured_data }}` JSON-LD without the compare-at price), "
            "snippets/price.liquid (div.price, .price--on-sale; div.price__regular / div.price__sale with the "
            "compare-at price in s.price-item--regular and the price in .price-item--sale), "
            "snippets/card-product.liquid (li.grid__item in ul#product-grid, h3.card__heading a), "
            "snippets/pagination.liquid (the arrow links' modifier classes are swapped: the next link is "
            "a.pagination__item--prev, so it is found as the arrow after the aria-current page) (Shopify/dawn on "
            "GitHub)"),
    markers=("shopify.theme = ", "/cdn/shop/t/", "cdn.shopify.com", "shopify-section-"),
    product={
        "name": ".product__title h1",
        "sku": "(//p[contains(concat(' ', normalize-space(@class), ' '), ' product__sku ')]/text()[normalize-space()])",
        "price": ".product__info-container .price--on-sale .price-item--sale, "
                 ".product__info-container .price:not(.price--on-sale) .price__regular .price-item--regular",
        "old_price": ".product__info-container .price--on-sale .price__sale s.price-item--regular",
    },
    listing={
        "product": "#product-grid > li.grid__item",
        "name": ".card__content .card__heading a",
        "price": ".price--on-sale .price-item--sale, .price:not(.price--on-sale) .price__regular .price-item--regular",
        "old_price": ".price--on-sale .price__sale s.price-item--regular",
        "url": ".card__heading a::attr(href)",
    },
    # the arrow link after the aria-current page (the arrows' --prev/--next modifiers are swapped in Dawn)
    next_page=("//ul[contains(concat(' ', normalize-space(@class), ' '), ' pagination__list ')]"
               "/li[*[@aria-current='page']]/following-sibling::li"
               "/a[contains(concat(' ', normalize-space(@class), ' '), ' pagination__item-arrow ')]"),
)
