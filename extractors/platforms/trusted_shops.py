"""Trusted Shops: a shop's review profile on trustedshops.de/.at/.ch (/bewertung/info_<TSID>.html), a Next.js page
built with styled-components, and the eTrusted review widgets (<etrusted-widget>) shops embed."""
from __future__ import annotations

from extractors.platforms import Platform

# The profile's review cards: the block whose header holds the named Stars component (styled-components keeps the
# display name `Starsstyles__Stars` in the class, the rest of the classes are build hashes), then the comment.
_CARD = "//div[div/div/div[starts-with(@class, 'Starsstyles__Stars')]][div[2]/div]"
_HEADER = "./div[div/div[starts-with(@class, 'Starsstyles__Stars')]]"

PLATFORM = Platform(
    name="Trusted Shops",
    ground=("trustedshops.de shop profile (/bewertung/info_<TSID>.html) as rendered: Organization JSON-LD with "
            "AggregateRating (grade over the last 12 months, ratingCount), __NEXT_DATA__ props.pageProps.profile "
            "(reviewStatistic.grade, allTimeReviewCount); each review card is a header (div.Starsstyles__Stars-sc-… "
            "with five <span style='display: inline; color: …'> stars, filled ones in rgb(255, 220, 15); then the "
            "date and the reviewer's name in a <div>) followed by the comment; pagination is div#pagination."
            "Paginationstyles__Pagination-sc-… with <a href='?page=N'> links and the next arrow; eTrusted widgets "
            "load integrations.etrusted.com into <etrusted-widget>"),
    markers=("starsstyles__stars", "etrusted-widget", "integrations.etrusted.com"),
    reviews={
        "review": _CARD,
        # the filled stars are the ones drawn in the Trusted Shops star yellow
        "rating": ("(string(count(./div/div/div[starts-with(@class, 'Starsstyles__Stars')]"
                   "/span[contains(@style, 'rgb(255, 220, 15)')])))"),
        "author": _HEADER + "/div[2]/div",
        "date": _HEADER + "/div[2]/span",
        "text": "./div[2]/div[1]",
    },
)
