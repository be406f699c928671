"""Pure extractors: a fetched page (body, url, headers, selectors) in, typed records out. No I/O here.

The public API is the five functions of DESIGN.md plus the competitor checklist's: `extract_contacts` (contact
channels and conversion elements), `audit_page` (SEO and mobile basics), `extract_articles` (blog and news),
`extract_jobs` (job postings), `parse_newsletter` (one e-mail), `parse_feed` with `mentions` (RSS and
Atom items naming a competitor), `parse_tenders` with `tenders` (procurement notices naming it as a bidder or
winner), and `read_channel` (a public social channel: `telegram_preview`, `youtube_feed` with
`youtube_channel` for its channel page, `vk_wall`). Each page
extractor accepts bytes, str or a parsed `Document` (so the crawler parses a page once and shares it); none raises
on bad input.
"""
from extractors.ads import extract_ads
from extractors.audit import audit_page
from extractors.contacts import ContactChannels, extract_contacts
from extractors.content import extract_articles
from extractors.document import Document
from extractors.jobs import extract_jobs
from extractors.mentions import Feed, mentions, parse_feed
from extractors.newsletter import parse_newsletter
from extractors.page import extract_page
from extractors.products import extract_products
from extractors.records import (
    Ad, Article, ChannelPost, ChannelSnapshot, FeedItem, JobPosting, Newsletter, PageAudit, PageFacts, Product,
    Review, ReviewPage, Technology, Tender,
)
from extractors.reviews import extract_reviews
from extractors.social_channels import (
    ChannelPage, read_channel, telegram_preview, vk_wall, youtube_channel, youtube_channel_address, youtube_feed,
)
from extractors.technologies import detect_technologies
from extractors.tenders import TenderFeed, parse_tenders, ted_search_body, tenders

__all__ = [
    "Ad", "Article", "ChannelPage", "ChannelPost", "ChannelSnapshot", "ContactChannels", "Document", "Feed",
    "FeedItem", "JobPosting", "Newsletter", "PageAudit", "PageFacts", "Product", "Review", "ReviewPage",
    "Technology", "Tender", "TenderFeed", "audit_page", "detect_technologies", "extract_ads", "extract_articles",
    "extract_contacts", "extract_jobs", "extract_page", "extract_products", "extract_reviews", "mentions",
    "parse_feed", "parse_newsletter", "parse_tenders", "read_channel", "ted_search_body", "telegram_preview",
    "tenders", "vk_wall", "youtube_channel", "youtube_channel_address", "youtube_feed",
]
