"""Magento Open Source 2 with its Luma theme: product view, category product list, review list and pager."""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Magento",
    ground=("Magento 2 Luma: Magento_Catalog templates product/view/title (h1.page-title span.base, itemprop=name on "
            "a body itemscope Product), product/price/final_price.phtml and amount/default.phtml (span.price-wrapper "
            "[data-price-type=finalPrice|oldPrice] span.price, Offer microdata only on the product view), "
            "product/view/type/default.phtml (div.stock: no availability microdata), product/view/attribute "
            "(div.product.attribute.sku div.value[itemprop=sku]), product/list.phtml (li.product-item, "
            "a.product-item-link); Magento_Theme html/pager.phtml (li.pages-item-next a.next); Magento_Review "
            "product/view/list.phtml (li.review-item Review microdata, rating-result title=NN%, "
            "review-details-value) (magento/magento2 on GitHub)"),
    markers=("text/x-magento-init", "data-mage-init", "/frontend/magento/"),
    product={
        "name": ".page-title-wrapper.product h1.page-title .base",
        "price": ".product-info-main .price-box [data-price-type='finalPrice'] .price",
        "old_price": ".product-info-main .price-box .old-price:not(.no-display) [data-price-type='oldPrice'] .price",
        "sku": ".product-info-main .product.attribute.sku .value",
        "availability": ".product-info-main .product-info-stock-sku .stock",
    },
    listing={
        "product": "ol.product-items > li.product-item",
        "name": "a.product-item-link",
        "price": ".price-box [data-price-type='finalPrice'] .price",
        "old_price": ".price-box .old-price:not(.no-display) [data-price-type='oldPrice'] .price",
        "url": "a.product-item-link::attr(href)",
    },
    reviews={
        "review": "#customer-reviews li.review-item",
        "title": ".review-title",
        "author": ".review-author .review-details-value",
        "rating": ".review-ratings .rating-result",
        "date": ".review-date time",
        "text": ".review-content",
        "aggregate_rating": ".product-reviews-summary .rating-result",
        "review_count": ".product-reviews-summary .reviews-actions .action.view [itemprop='reviewCount'], "
                        ".product-reviews-summary .reviews-actions .action.view span",
    },
    next_page=".pages li.pages-item-next a.next",
)
