"""InSales, the stock theme (insales/theme_template: the starter theme InSales ships and its themes grow from).

The stock templates emit no schema.org data (OpenGraph title/image/url only, no price): everything is read from the
markup. Product page: h1.product-title, the .product-prices block (prices-current, prices-old), the variant SKU in
.js-product-sku_field and the stock word in .js-product-presence ("Есть в наличии" / "Нет в наличии"). Cards are
the product_preview snippet inside .collection-products_list. Reviews are the product_reviews snippet: li.review
with .review-name, the date as text after it, .review-content and a read-only rating <select>. The pagination's
"next" link is a bare angle icon (fa-angle-right) with no rel or words.
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="InSales",
    ground=("insales/theme_template on GitHub: blocks/product/product.liquid (product-title, product-sku_field, "
            "product-presence_field, product-prices prices-current/prices-old, product rating select, tubs "
            "'Отзывы (N)'), snippets/product_preview.liquid and blocks/collection/collection.liquid "
            "(collection-products_list, product_preview-title/-link, prices-current/prices-old), "
            "snippets/pagination.liquid (ul.pagination, last li: a > i.fa-angle-right), "
            "snippets/product_reviews.liquid (li.review, review-name, review-details date, review-content, "
            "review-rating select); assets served from static.insales-cdn.com"),
    markers=("static.insales-cdn.com", "insales.optionselectors", "product_preview-prices"),
    product={
        "name": ".product-info h1.product-title",
        "price": ".product-info .product-prices .prices-current",
        "old_price": ".product-info .product-prices .prices-old",
        "sku": ".product-info .js-product-sku_field",
        "availability": ".product-info .js-product-presence",
    },
    listing={
        "product": "//div[contains(concat(' ', normalize-space(@class), ' '), ' collection-products_list ')]/div",
        "name": ".product_preview-title a.product_preview-link",
        "url": ".product_preview-title a.product_preview-link::attr(href)",
        "price": ".product_preview-prices .prices-current",
        "old_price": ".product_preview-prices .prices-old",
    },
    reviews={
        "review": "#reviews ul.reviews-list li.review",
        "author": ".review-details .review-name",
        "date": "./div[contains(@class, 'review-details')]/text()[normalize-space()]",
        "text": ".review-content",
        "rating": ".review-rating select option[selected]",
        "aggregate_rating": ".product-info .rating select option[selected]",
        "review_count": ".tubs-controls .js-tub-review",
    },
    next_page=("//ul[contains(concat(' ', normalize-space(@class), ' '), ' pagination ')]"
               "/li[@class = 'pagination-page'][last()]/a[i[contains(@class, 'fa-angle-right')]]"),
)
