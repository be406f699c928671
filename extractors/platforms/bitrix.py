"""1C-Bitrix, the stock "Интернет-магазин" solution (site template eshop_bootstrap_v4, the bitrix:catalog
component with its bootstrap_v4 templates).

catalog.element puts schema.org microdata on the product page (name, one Offer: price, priceCurrency,
availability) but no SKU: the article number is the "Артикул" property (ARTNUMBER of the demo catalog) in the
element's property list. catalog.section / catalog.item cards carry no structured data at all. Product comments
are catalog.comments' blog tab (blog.post.comment "adapt"): author, date and text, no per-review rating.
"""
from extractors.platforms import Platform

_PROPERTY = ("//ul[contains(concat(' ', normalize-space(@class), ' '), ' product-item-detail-properties ')]"
             "/li[span[contains(@class, 'product-item-detail-properties-name')][normalize-space() = 'Артикул']]"
             "/span[contains(@class, 'product-item-detail-properties-value')]")

PLATFORM = Platform(
    name="1C-Bitrix",
    ground=("1C-Bitrix stock components: catalog.element/templates/bootstrap_v4/template.php (bx-catalog-element "
            "microdata, product-item-detail-price-current/-old, product-item-detail-properties), "
            "catalog.item/templates/bootstrap_v4/card/template.php (product-item-container data-entity=item, "
            "product-item-title, product-item-price-current/-old), system.pagenavigation/templates/bootstrap_v4 "
            "(nav.pagination-container, last ul: Назад / Вперед), catalog.comments/templates/.default with "
            "bitrix/blog.post.comment/adapt (div.blog-comment, blog-author, blog-comment-date, "
            "blog-comment-content); site template bitrix/templates/eshop_bootstrap_v4"),
    markers=("/bitrix/templates/eshop_bootstrap", "/bitrix/cache/css/s1/eshop_", "bx-catalog-element",
             "/bitrix/components/bitrix/catalog."),
    product={
        "name": "div.bx-catalog-element meta[itemprop=name]",
        "price": "div.bx-catalog-element .product-item-detail-pay-block .product-item-detail-price-current",
        "old_price": "div.bx-catalog-element .product-item-detail-pay-block .product-item-detail-price-old",
        "sku": _PROPERTY,
        "availability": "div.bx-catalog-element span[itemprop=offers] link[itemprop=availability]::attr(href)",
    },
    listing={
        "product": "div.product-item-container[data-entity=item]",
        "name": ".product-item-title a",
        "url": ".product-item-title a::attr(href)",
        "price": ".product-item-price-current",
        "old_price": ".product-item-price-old",
    },
    reviews={
        "review": "div.blog-comments div.blog-comment",
        "author": ".blog-comment-info .blog-author",
        "date": ".blog-comment-info .blog-comment-date",
        "text": ".blog-comment-content",
        "id": "./div[starts-with(@id, 'blg-comment-')]/@id",
    },
    next_page="nav.pagination-container ul.pagination:last-child li.page-item:last-child a.page-link",
)
