"""Social network data: the hosts whose links count as a company's social profiles, and paths that are not profiles.

Data only; `extractors/contacts.py` holds the logic.
"""
from __future__ import annotations

# host (without "www."/"m.") -> network name
SOCIAL_HOSTS: dict[str, str] = {
    "vk.com": "vk", "vkontakte.ru": "vk", "vk.ru": "vk", "t.me": "telegram", "telegram.me": "telegram",
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook", "instagram.com": "instagram",
    "linkedin.com": "linkedin", "youtube.com": "youtube", "youtu.be": "youtube", "twitter.com": "x", "x.com": "x",
    "ok.ru": "odnoklassniki", "odnoklassniki.ru": "odnoklassniki", "xing.com": "xing", "tiktok.com": "tiktok",
    "pinterest.com": "pinterest", "dzen.ru": "dzen", "zen.yandex.ru": "dzen", "rutube.ru": "rutube",
    "wa.me": "whatsapp", "threads.net": "threads", "github.com": "github", "kununu.com": "kununu",
    "vimeo.com": "vimeo", "mastodon.social": "mastodon", "bsky.app": "bluesky",
}

# Path prefixes on those hosts that are share buttons, widgets or tracking, not the company's profile.
NOT_PROFILE_PATHS: tuple[str, ...] = (
    "/sharer", "/share", "/intent", "/dialog", "/plugins", "/tr", "/login", "/home", "/hashtag", "/search",
    "/embed", "/watch", "/iframe_api", "/widgets", "/signup", "/privacy", "/legal", "/policies", "/terms",
    "/help", "/about", "/shareArticle", "/v/", "/player",
)
