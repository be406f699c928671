"""WooCommerce's stock (theme-independent) templates: the product summary, the loop card, the review list."""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="WooCommerce",
    ground=("WooCommerce templates/single-product/title.php, price.php, stock.php, meta.php; content-product.php with "
            "loop/title (h2.woocommerce-loop-product__title), loop/price.php and wc_format_sale_price() (del = "
            "regular, ins = sale); loop/pagination.php and single-product-reviews.php (nav.woocommerce-pagination, "
            "paginate_links' a.next); single-product/review.php, review-rating.php (wc_get_rating_html: "
            ".star-rating, aria-label and width:NN%), review-meta.php (strong.woocommerce-review__author, "
            "time.woocommerce-review__published-date[datetime]), comment text in div.description; "
            "includes/class-wc-structured-data.php (Product JSON-LD with offers' priceSpecification, the 5 latest "
            "reviews and aggregateRating on product pages only) (woocommerce/woocommerce on GitHub)"),
    markers=("/wp-content/plugins/woocommerce/", "woocommerce-page", "woocommerce-loop-product__"),
    product={
        "name": "h1.product_title",
        "price": ".summary p.price ins .woocommerce-Price-amount, .summary p.price > .woocommerce-Price-amount",
        "old_price": ".summary p.price del .woocommerce-Price-amount",
        "sku": ".product_meta .sku",
        "availability": ".summary p.stock",
    },
    listing={
        "product": "ul.products > li.product",
        "name": ".woocommerce-loop-product__title",
        "price": ".price ins .woocommerce-Price-amount, .price > .woocommerce-Price-amount",
        "old_price": ".price del .woocommerce-Price-amount",
        "url": "a.woocommerce-LoopProduct-link::attr(href)",
        "sku": ".add_to_cart_button::attr(data-product_sku)",  # an <a> in classic themes, a <button> in block ones
    },
    reviews={
        "review": "#reviews ol.commentlist li.review",
        "author": ".woocommerce-review__author",
        "rating": ".star-rating",
        "date": "time.woocommerce-review__published-date",
        "text": ".description",
        "aggregate_rating": ".woocommerce-product-rating .star-rating",
        "review_count": ".woocommerce-review-link .count",
    },
    next_page="nav.woocommerce-pagination a.next",
)
