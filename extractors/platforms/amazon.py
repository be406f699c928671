"""Amazon (amazon.com and its sister stores), as its pages render in a browser.

Amazon emits no schema.org Product or Review data: everything comes from its stable ids and data-hooks. The detail
page: #productTitle, the price to pay in #corePrice_feature_div (its .a-offscreen text), the struck "List Price"
in #corePriceDisplay_desktop_feature_div (.basisPrice, data-a-strike), #availability and the ASIN in the buy box's
hidden input#ASIN. Search results are div[data-component-type=s-search-result][data-asin] cards. Reviews (the
detail page's top reviews and /product-reviews/) are [data-hook=review] with .a-profile-name, review-star-rating
(a-star-N class, "N out of 5 stars"), review-date ("Reviewed in the United States on March 3, 2026": the date is
the text after " on ") and review-body.
"""
from extractors.platforms import Platform

PLATFORM = Platform(
    name="Amazon",
    ground=("Amazon detail page (#productTitle, #corePrice_feature_div / #corePriceDisplay_desktop_feature_div "
            ".a-price .a-offscreen, .basisPrice .a-price[data-a-strike=true], #availability, input#ASIN, "
            "#acrPopover title, #acrCustomerReviewText), search results (div[data-component-type=s-search-result]"
            "[data-asin], [data-cy=title-recipe], [data-cy=price-recipe], a.s-pagination-next) and the review "
            "list ([data-hook=review], .a-profile-name, [data-hook=review-star-rating], [data-hook=review-date], "
            "[data-hook=review-body], ul.a-pagination li.a-last) as rendered on amazon.com"),
    markers=("m.media-amazon.com", "images-na.ssl-images-amazon.com"),
    product={
        "name": "#productTitle",
        "price": "#corePrice_feature_div .a-price .a-offscreen",
        "old_price": "#corePriceDisplay_desktop_feature_div .basisPrice .a-price[data-a-strike=true] .a-offscreen",
        "availability": "#availability",
        "sku": "input#ASIN",
    },
    listing={
        "product": "div[data-component-type=s-search-result][data-asin]",
        "name": "[data-cy=title-recipe] h2",
        "url": "[data-cy=title-recipe] a::attr(href)",
        "price": "[data-cy=price-recipe] .a-price:not(.a-text-price) .a-offscreen",
        "old_price": "[data-cy=price-recipe] .a-price.a-text-price[data-a-strike=true] .a-offscreen",
    },
    reviews={
        "review": "[data-hook=review]",
        "author": ".a-profile-name",
        "rating": "[data-hook=review-star-rating], [data-hook=cmps-review-star-rating]",
        "title": "[data-hook=review-title] > span",
        "date": "(substring-after(normalize-space(.//*[@data-hook='review-date']), ' on '))",
        "text": "[data-hook=review-body].review-text-content, [data-hook=review-body] .review-text-content",
        "aggregate_rating": "#acrPopover, [data-hook=rating-out-of-text]",
        "review_count": "#acrCustomerReviewText, [data-hook=total-review-count]",
    },
    next_page="a.s-pagination-next, ul.a-pagination li.a-last a",
)
