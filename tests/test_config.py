"""competitors.yaml: every mistake a user can make is one line naming the field and the fix."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from dossier.config import load_config, parse_config
from dossier.errors import ConfigError

GOOD = {"competitors": [{"slug": "kranrad", "name": "Kranrad GmbH",
                         "sources": [{"kind": "site", "url": "https://kranrad.example/"}]}]}


def with_source(**source):
    return {"competitors": [{"slug": "kranrad", "name": "Kranrad GmbH", "sources": [source]}]}


@pytest.mark.parametrize("data, message", [
    (with_source(kind="site", url="kranrad.example"),
     "competitors.yaml: competitors[0].sources[0].url: not an http(s) URL, e.g. https://competitor.example/"),
    (with_source(kind="shop", url="https://kranrad.example/"),
     "competitors.yaml: competitors[0].sources[0].kind: Input should be 'site', 'catalog', 'reviews', 'ads', "
     "'marketplace', 'jobs', 'newsletter', 'mentions', 'tenders' or 'social'"),
    (with_source(kind="site", url="https://kranrad.example/", max_page=5),
     "competitors.yaml: competitors[0].sources[0].max_page: unknown field (check the spelling; see docs/config.md)"),
    (with_source(kind="ads", url="https://ads.example/"),
     "competitors.yaml: competitors[0].sources[0].format: ads sources need format: meta_ad_library or html"),
    (with_source(kind="site", url="http://127.0.0.1:8080/"),
     "competitors.yaml: competitors[0].sources[0].url: 127.0.0.1 is a private or loopback address; "
     "add allow_private: true if you mean it"),
    (with_source(kind="catalog", url="https://k.example/", follow="(unclosed"),
     "competitors.yaml: competitors[0].sources[0].follow: not a regular expression (missing ), unterminated "
     "subpattern at position 0)"),
    (with_source(kind="catalog", url="https://k.example/", currency="euro"),
     "competitors.yaml: competitors[0].sources[0].currency: an ISO 4217 code such as EUR, RUB or USD"),
    # selectors are selectors, each checked at load: a source's options stand beside them, checked as what they are
    (with_source(kind="catalog", url="https://k.example/", selectors={"price": ".p", "currency": "span[class"}),
     "competitors.yaml: competitors[0].sources[0].selectors.currency: 'span[class' is not a valid CSS selector "
     "(Operator expected, got <EOF at 10>)"),
    (with_source(kind="catalog", url="https://k.example/", selectors={"price": ".p", "currency": "EUR"}),
     "competitors.yaml: competitors[0].sources[0].selectors.currency: 'EUR' is a currency, not a selector of the "
     "page's currency: write `currency: EUR` beside `selectors:` (the currency assumed when a price shows none)"),
    (with_source(kind="catalog", url="https://k.example/", selectors={"price": ".p", "decimal_separator": ","}),
     "competitors.yaml: competitors[0].sources[0].selectors.decimal_separator: ',' is the source's decimal "
     "separator, not a selector: write `decimal_separator: ','` beside `selectors:`"),
    (with_source(kind="site", url="https://k.example/", render="static", wait_for=".price"),
     "competitors.yaml: competitors[0].sources[0].wait_for: only with render: js or auto"),
    ({"defaults": {"render": "static"}, **with_source(kind="site", url="https://k.example/", wait_for=".price")},
     "competitors.yaml: competitors: competitors[0].sources[0].wait_for: only with render: js or auto "
     "(defaults.render is static: set render on the source)"),
    (with_source(kind="site", url="https://k.example/", render="browser"),
     "competitors.yaml: competitors[0].sources[0].render: Input should be 'static', 'js' or 'auto'"),
    ({"competitors": [{"slug": "Kran Rad", "name": "K", "sources": [{"kind": "site", "url": "https://k.example/"}]}]},
     "competitors.yaml: competitors[0].slug: use lower-case letters, digits, - and _ (e.g. kranrad)"),
    ({"competitors": [{"slug": "k", "sources": [{"kind": "site", "url": "https://k.example/"}]}]},
     "competitors.yaml: competitors[0].name: required field is missing"),
    ({"competitors": []}, "competitors.yaml: competitors: List should have at least 1 item after validation, not 0"),
    ({**GOOD, "alerts": {"email": {"to": ["a@example.org"]}}}, "competitors.yaml: alerts.email.from: required field is missing"),
    ([1, 2], "competitors.yaml: expected a mapping with 'competitors:' at the top"),
    (with_source(kind="newsletter", url="imaps://news:geheim@imap.example.org/INBOX", senders=["@k.example"]),
     "competitors.yaml: competitors[0].sources[0].url: no password in the mailbox URL: set DOSSIER_IMAP_PASSWORD "
     "in the environment"),
    (with_source(kind="newsletter", url="https://imap.example.org/", senders=["@k.example"]),
     "competitors.yaml: competitors[0].sources[0].url: a mailbox such as imaps://imap.example.org/INBOX, "
     "maildir:mail/newsletters or mbox:newsletters.mbox"),
    (with_source(kind="newsletter", url="maildir:mail/news"),
     "competitors.yaml: competitors[0].sources[0].senders: a newsletter source needs the competitor's sender "
     'addresses or domains, e.g. senders: ["@competitor.example"]'),
    (with_source(kind="newsletter", url="mbox:news.mbox", senders=["kranrad"]),
     "competitors.yaml: competitors[0].sources[0].senders: 'kranrad' is neither an address (news@competitor.example) "
     "nor a domain (@competitor.example)"),
    (with_source(kind="site", url="https://k.example/", senders=["@k.example"]),
     "competitors.yaml: competitors[0].sources[0].senders: only for kind: newsletter"),
])
def test_wrong_fields_are_named_in_one_line(data, message):
    with pytest.raises(ConfigError) as caught:
        parse_config(data, "competitors.yaml")
    assert str(caught.value) == message
    assert "\n" not in str(caught.value)


def test_a_good_config_gets_the_documented_defaults():
    config = parse_config({**GOOD, "alerts": {"email": {"to": ["team@example.org"], "from": "d@example.org"}}})
    assert config.defaults.max_pages == 500
    assert config.defaults.obey_robots is True
    assert config.competitors[0].sources[0].setting("max_pages", config.defaults) == 500
    assert config.competitors[0].sources[0].setting("render", config.defaults) == "auto"
    assert config.alerts.email.from_ == "d@example.org"


@pytest.mark.parametrize("defaults, source", [({}, {}), ({}, {"render": "js"}), ({}, {"render": "auto"}),
                                              ({"render": "static"}, {"render": "auto"})])
def test_wait_for_goes_with_a_rendering_source(defaults, source):
    config = parse_config({"defaults": defaults, **with_source(kind="catalog", url="https://k.example/",
                                                               wait_for=".price", **source)})
    assert config.competitors[0].sources[0].wait_for == ".price"


def test_private_addresses_need_allow_private():
    config = parse_config(with_source(kind="site", url="http://127.0.0.1:8080/", allow_private=True))
    assert config.competitors[0].sources[0].allow_private


def test_file_errors_are_one_line(tmp_path):
    with pytest.raises(ConfigError, match=r"no such file \(give --config the path of your competitors.yaml\)$"):
        load_config(tmp_path / "missing.yaml")
    broken = tmp_path / "competitors.yaml"
    broken.write_text("competitors:\n  - slug: [unclosed\n")
    with pytest.raises(ConfigError, match=r"^.*competitors.yaml: line \d+: not valid YAML"):
        load_config(broken)


@pytest.mark.parametrize(("text", "line", "key"), [
    # a second `sources:` would silently drop the first one's sources
    ("competitors:\n  - slug: a\n    name: A\n    sources: []\n    sources:\n      - {kind: site, url: 'https://a.example/'}\n",
     5, "'sources'"),
    ("competitors: []\ndefaults: {max_pages: 5, max_pages: 9}\n", 2, "'max_pages'"),
    ("competitors: []\ncompetitors: []\n", 2, "'competitors'"),
])
def test_a_key_given_twice_is_one_line_naming_it_and_its_lines(tmp_path, text, line, key):
    config = tmp_path / "competitors.yaml"
    config.write_text(text)
    first = text.splitlines().index(next(row for row in text.splitlines() if key.strip("'") in row)) + 1
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert str(error.value) == (f"{config}: line {line}: not valid YAML (key {key} is given twice in one mapping "
                                f"(first on line {first}): merge the two or remove one)")


def test_a_key_a_merge_brings_in_may_be_overridden(tmp_path):
    config = tmp_path / "competitors.yaml"
    config.write_text("competitors:\n  - slug: a\n    name: A\n    sources:\n"
                      "      - &shop {kind: catalog, url: 'https://a.example/shop/', max_pages: 5}\n"
                      "      - {<<: *shop, url: 'https://a.example/sale/', max_pages: 9}\n")
    shop, sale = load_config(config).competitors[0].sources
    assert (shop.kind, str(shop.url), shop.max_pages) == ("catalog", "https://a.example/shop/", 5)
    assert (sale.kind, str(sale.url), sale.max_pages) == ("catalog", "https://a.example/sale/", 9)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                    max_leaves=20))
def test_any_document_is_a_config_or_a_config_error(data):
    try:
        parse_config(data)
    except ConfigError as exc:
        assert "\n" not in str(exc)


def test_a_newsletter_source_reads_a_mailbox_of_the_competitor_s_senders():
    config = parse_config(with_source(kind="newsletter", url="imaps://news@imap.example.org:993/Newsletters",
                                      senders=["News@Kranrad.example", "@kranrad-gmbh.de"]))
    source = config.competitors[0].sources[0]
    assert (source.url, source.senders) == ("imaps://news@imap.example.org:993/Newsletters",
                                            ["news@kranrad.example", "@kranrad-gmbh.de"])


@pytest.mark.parametrize("key", ["\n", " sources", "", "slug\x00"])
def test_an_unknown_key_that_cannot_be_printed_as_it_is_is_quoted_on_one_line(key):
    data = {"competitors": [{"slug": "a", "name": "A", "sources": [{"kind": "site", "url": "https://a.example/"}]}],
            key: 1}
    with pytest.raises(ConfigError) as error:
        parse_config(data)
    assert str(error.value) == f"config: {key!r}: unknown field (check the spelling; see docs/config.md)"
    assert "\n" not in str(error.value)
