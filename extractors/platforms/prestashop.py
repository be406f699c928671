"""PrestaShop 1.7/8 with its classic theme, and the stock product comments module (productcomments)."""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="PrestaShop",
    ground=("PrestaShop classic theme: templates/catalog/product.tpl (h1.h1 in div.product-container), "
            "_partials/product-prices.tpl (span.current-price-value[content], div.product-discount "
            "span.regular-price), product-add-to-cart.tpl (#product-availability), product-details.tpl "
            "(div.product-reference span), miniatures/product.tpl (article.product-miniature, h2.product-title a, "
            "span.price, span.regular-price), _partials/pagination.tpl (a[rel=next].next), "
            "_partials/microdata/product-jsonld.tpl and product-list-jsonld.tpl (ItemList of names and URLs, no "
            "prices) (PrestaShop/classic-theme, PrestaShop/PrestaShop); productcomments "
            "views/templates/hook/product-comment-item-prototype.tpl "
            "(div.product-comment-list-item[data-product-comment-id], .grade-stars[data-grade], .comment-date, "
            ".comment-author 'By %1$s', h4 title, p text), filled in by views/js/list-comments.js from the "
            "ListComments JSON: the list is in the page only once its scripts ran (render: js), and its pagination has"
            " no links (PrestaShop/productcomments on GitHub)"),
    markers=("var prestashop = ", "/themes/classic/assets/", "/modules/ps_shoppingcart/"),
    product={
        "name": ".product-container h1.h1",
        "price": ".product-prices .current-price-value::attr(content)",
        "old_price": ".product-prices .product-discount .regular-price",
        "sku": ".product-reference span",
        "availability": "#product-availability",
    },
    listing={
        "product": "article.product-miniature",
        "name": ".product-title a",
        "price": ".product-price-and-shipping .price",
        "old_price": ".product-price-and-shipping .regular-price",
        "url": ".product-title a::attr(href)",
    },
    reviews={
        "review": "#product-comments-list .product-comment-list-item[data-product-comment-id]",
        "id": "./@data-product-comment-id",
        "rating": ".grade-stars::attr(data-grade)",
        "date": ".comment-date",
        # "By %1$s" in the shop's language: the name is what follows the one-word label
        "author": "(substring-after(normalize-space(.//div[contains(concat(' ', normalize-space(@class), ' '),"
                  " ' comment-author ')]), ' '))",
        "title": ".comment-content h4",
        "text": ".comment-content > p",
        "aggregate_rating": "#product-comments-list-header .grade-stars::attr(data-grade)",
        "review_count": "#product-comments-list-header .comments-nb",
    },
    next_page="nav.pagination a.next[rel='next']",
)
