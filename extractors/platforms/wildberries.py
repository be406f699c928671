"""Wildberries (wildberries.ru), as its pages render in a browser.

The product card carries no schema.org Product (only the breadcrumb list): the name is h1.product-page__title, the
price block shows the WB Wallet price (price-block__wallet-price), the regular price (ins.price-block__final-price)
and the struck one (del.price-block__old-price); the item id (nm id, "Артикул") is span#productNmId; a card that
can be bought shows the "Добавить в корзину" button, a sold-out one the sold-out-product block. Catalog cards are
article.product-card[data-nm-id] whose link carries the full name in aria-label. The feedback list marks each
feedback up with schema.org Review microdata; the selectors below are its BEM fallback (feedback__header,
stars-line starN, feedback__date with an ISO content attribute, feedback__text).
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Wildberries",
    ground=("wildberries.ru as rendered: product card (h1.product-page__title, ins.price-block__final-price, "
            "del.price-block__old-price, span#productNmId, .product-page__order-buttons .btn-main / "
            ".sold-out-product), catalog (article.product-card.j-card-item[data-nm-id], a.product-card__link"
            "[aria-label], ins.price__lower-price, .price__wrap del, a.pagination-next) and feedbacks "
            "(li.comments__item.feedback, .feedback__header, .feedback__rating.stars-line.starN, .feedback__date, "
            ".feedback__text, .rating-product__numb, .rating-product__review)"),
    markers=("wbbasket.ru", "product-card__link j-card-link"),
    product={
        "name": "h1.product-page__title",
        "price": ".product-page__price-block .price-block__final-price",
        "old_price": ".product-page__price-block .price-block__old-price",
        "sku": "#productNmId",
        "availability": ".sold-out-product, .product-page__order-buttons .btn-main",
    },
    listing={
        "product": "article.product-card[data-nm-id]",
        "name": "a.product-card__link::attr(aria-label)",
        "url": "a.product-card__link::attr(href)",
        "price": ".price__wrap .price__lower-price",
        "old_price": ".price__wrap del",
    },
    reviews={
        "review": "li.comments__item.feedback",
        "author": "p.feedback__header",
        "rating": ".feedback__rating",
        "date": ".feedback__date",
        "text": ".feedback__text",
        "aggregate_rating": ".rating-product__numb",
        "review_count": ".rating-product__review",
    },
    next_page="a.pagination-next",
)
