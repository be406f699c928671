"""OpenCart 3 default theme: product page list blocks, category product thumbs, the AJAX review list."""
from extractors.platforms import Platform

_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
# The info column's first list after the h1: manufacturer (a link), model, reward points, stock (last).
_INFO = "//div[@id='content']//h1/following-sibling::ul[1]"
# The price list: the one holding the h2 price; a special price strikes the regular one through.
_PRICES = "//div[@id='content']//h1/following-sibling::ul[li/h2][1]"

PLATFORM = Platform(
    name="OpenCart",
    ground=("OpenCart 3.0 default theme: catalog/view/theme/default/template/product/product.twig (h1, then "
            "ul.list-unstyled of text_manufacturer/text_model/text_reward/text_stock rows, then the price list: li h2 "
            "= price or special, li span[style=text-decoration: line-through] = the regular price beside a special; no"
            " structured data), product/category.twig (div.product-layout div.product-thumb, caption h4 a, p.price "
            "with span.price-new/span.price-old or the bare price text, ul.pagination), product/review.twig (the "
            "fragment index.php?route=product/product/review loads into #review: one "
            "table.table-striped.table-bordered per review, author strong, date td.text-right, text p, rating as "
            "span.fa-stack holding an i.fa-star per filled star; ul.pagination li.active) (opencart/opencart on "
            "GitHub)"),
    markers=("catalog/view/theme/", "catalog/view/javascript/", "index.php?route="),
    product={
        "name": "#content h1",
        "price": f"{_PRICES}/li/h2",
        "old_price": f"{_PRICES}/li/span[contains(@style, 'line-through')]",
        "sku": f"(normalize-space(substring-after({_INFO}/li[not(a)][1], ':')))",
        "availability": f"{_INFO}/li[last()]",
    },
    listing={
        "product": ".product-layout > .product-thumb",
        "name": ".caption h4 a",
        "price": (f"(.//p[{_CLASS.format('price')}]/span[{_CLASS.format('price-new')}]"
                  f" | .//p[{_CLASS.format('price')}]/text()[normalize-space()])"),
        "old_price": ".price-old",
        "url": ".caption h4 a::attr(href)",
    },
    reviews={
        "review": "table.table-striped.table-bordered",
        "author": "tr:first-child td:first-child strong",
        "date": "td.text-right",
        "text": "td[colspan] > p",
        "rating": (f"(string(count(.//span[{_CLASS.format('fa-stack')}]"
                   f"[i[{_CLASS.format('fa-star')}]])))"),
    },
    next_page=f"//ul[{_CLASS.format('pagination')}]/li[{_CLASS.format('active')}]/following-sibling::li[1]/a",
)
