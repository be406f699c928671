"""Pure extractors: a fetched page (body, url, headers, selectors) in, typed records out. No I/O here.

The public API is the five functions of DESIGN.md plus `extract_contacts` (contact channels); each accepts bytes, str or a parsed
`Document` (so the crawler parses a page once and shares it) and never raises on bad input.
"""
from extractors.ads import extract_ads
from extractors.contacts import ContactChannels, extract_contacts
from extractors.document import Document
from extractors.page import extract_page
from extractors.products import extract_products
from extractors.records import Ad, PageFacts, Product, Review, ReviewPage, Technology
from extractors.reviews import extract_reviews
from extractors.technologies import detect_technologies

__all__ = [
    "Ad", "ContactChannels", "Document", "PageFacts", "Product", "Review", "ReviewPage", "Technology",
    "detect_technologies", "extract_ads", "extract_contacts", "extract_page", "extract_products", "extract_reviews",
]
