"""Tilda Store: the t-store catalog blocks (ST100/ST200 family, t786/t754) as tilda-catalog renders them, and the
/tproduct/ product page (the t-store__product-snippet).

The product snippet carries schema.org microdata (Product: name, sku, productID, image; Offer: price,
priceCurrency, availability) but not the old price, which only the price wrapper shows
(.js-store-prod-price-old). Catalog cards (js-product t-store__card) carry no structured data; their price is the
price value plus a separate currency element. The numbered pagination is made of <div>s with data-page-num and
data-control-type="next", no links: tilda-catalog loads the next page from its API and writes the page into the
address as ?tfc_page[<record id>]=N&tfc_div=::: (t_store_pagination_updateUrl), so the next page is built from the
pagination's data-active-page / data-total-pages and the store record's id, only while a next page exists.
Tilda Store has no stock per-product review list.
"""
from extractors.platforms import Platform

_PAGINATION = "//div[contains(concat(' ', normalize-space(@class), ' '), ' t-store__pagination ')]"

PLATFORM = Platform(
    name="Tilda Store",
    ground=("Tilda's tilda-catalog-1.1 script (t_store_get_productCard_html: js-product t-store__card with "
            "data-product-*, js-store-prod-name, t-store__card__price / t-store__card__price_old with "
            "t-store__card__price-value + t-store__card__price-currency; t_store_pagination_get_html / "
            "t_store_pagination_updateUrl: t-store__pagination data-active-page/data-total-pages, URL "
            "?tfc_page[recid]=N&tfc_div=:::; t_store_get_productPopup_html: t-store__prod-popup__price / __price_old) "
            "and the published /tproduct/ snippet (t-store__product-snippet with schema.org Product/Offer microdata)"),
    markers=("static.tildacdn.com", "t-store__product-snippet", "js-store-grid-cont"),
    product={
        "name": ".t-store__product-snippet .js-store-prod-name",
        "price": ".t-store__product-snippet .js-store-price-wrapper .js-store-prod-price",
        "old_price": ".t-store__product-snippet .js-store-price-wrapper .js-store-prod-price-old",
        "sku": ".t-store__product-snippet .t-store__prod-popup__sku .js-store-prod-sku",
    },
    listing={
        "product": "div.t-store div.js-store-grid-cont > div.js-product.t-store__card",
        "name": ".js-store-prod-name",
        "url": "::attr(data-product-url)",
        "price": ".t-store__card__price",
        "old_price": ".t-store__card__price_old",
    },
    next_page=(f"(substring(concat('?tfc_page[', substring-after(({_PAGINATION})[1]/ancestor::div"
               f"[starts-with(@id, 'rec')][1]/@id, 'rec'), ']=', ({_PAGINATION})[1]/@data-active-page + 1, "
               f"'&tfc_div=:::'), 1, 1000 * (number(({_PAGINATION})[1]/@data-active-page) < "
               f"number(({_PAGINATION})[1]/@data-total-pages))))"),
)
