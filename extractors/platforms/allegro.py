"""Allegro (allegro.pl), as its pages render in a browser.

Class names are generated (mpof_ki, mgn2_14...); what is stable are the Opbox boxes' data-box-name / data-role
attributes, the testing hooks (data-testid=price-primary, aggregateRatingValue) and the accessible labels. The
offer page carries schema.org Product microdata (name, sku = the offer id, gtin13, brand, Offer: price,
priceCurrency, availability; AggregateRating), so the row only adds what a page without it would need. Search
results are article[data-role=offer] cards (data-analytics-view-value = the offer id) whose price is labelled
"<price> zł aktualna cena"; the listing links its next page with rel=next (a[data-role=next-page]).
Reviews ("Opinie o produkcie" on the product page, /produkt/<slug>-<uuid>?offerId=N) come as schema.org JSON-LD: a
Product with aggregateRating (ratingValue, ratingCount) and review[] (author.name masked "m...a", reviewRating,
reviewBody, ISO datePublished), beside the Opbox box state (script[data-serialize-box-id]: rating, reviews with
author/rating/content/datePublished/votes). Structured data gives every review field, so the row has no review
selectors: the rendered review list's markup is not grounded. More reviews load in place (20 at a time), with no
next-page link to follow.
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Allegro",
    ground=("allegro.pl as rendered: offer page (data-box-name=allegro.showoffer.*, h1[itemprop=name], "
            "schema.org Product/Offer microdata, [data-testid=price-primary] aria-label 'cena … zł', "
            "[data-testid=aggregateRatingValue]) and search listing (data-box-name=allegro.listing.items, "
            "article[data-role=offer][data-analytics-view-value], h2 a, span[aria-label$='aktualna cena'], "
            "a[data-role=next-page][rel=next]); assets from assets.allegrostatic.com, images from a.allegroimg.com; "
            "reviews from the product page's JSON-LD Product.review[] and script[data-serialize-box-id] box state "
            "(scrapfly/scrapfly-scrapers allegro-scraper/allegro.py, results/product.json, test.py)"),
    markers=("assets.allegrostatic.com", "a.allegroimg.com"),
    product={
        "name": "div[data-box-name='allegro.showoffer.summary'] h1",
        "price": "[data-testid=price-primary]",
    },
    listing={
        "product": "article[data-role=offer]",
        "name": "h2 a",
        "url": "h2 a::attr(href)",
        "price": "span[aria-label$='aktualna cena']::attr(aria-label)",
    },
    next_page="a[data-role=next-page]",
)
