"""`dossier add` writes a competitor's block into competitors.yaml: every other byte of the file stays as it was."""
from __future__ import annotations

import os
import re
import textwrap
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from dossier import config_file
from dossier.config import load_config
from dossier.config_file import ProposedCompetitor, ProposedSource, competitor_block, write_competitor
from dossier.errors import ConfigError

DEMO = Path(__file__).resolve().parents[1] / "fixtures" / "demo.yaml"

VELO = ProposedCompetitor(
    slug="velo", name="Velo Shop",
    comment="added by `dossier add https://velo.example/` on 2026-12-06: WooCommerce shop",
    sources=[
        ProposedSource({"kind": "site", "url": "https://velo.example/", "sitemap": True},
                       "sample: 12 pages, sitemap.xml lists 340"),
        ProposedSource({"url": "https://velo.example/shop/", "kind": "catalog", "follow": "/shop/",
                        "page_param": "paged", "max_pages": 200, "render": None},
                       "sample: 3 listing pages, 24 products, all priced (JSON-LD 12, visible 12)"),
        ProposedSource({"kind": "catalog", "url": "https://velo.example/deals/", "render": "js",
                        "wait_for": ".price[data-ready]", "allow_domains": ["cdn.velo.example"],
                        "selectors": {"product": ".deal", "price": ".deal .price"}, "currency": "EUR"},
                       "sample: 1 page, 6 products\nprices only after rendering"),
    ])

VELO_BLOCK = """\
# added by `dossier add https://velo.example/` on 2026-12-06: WooCommerce shop
- slug: velo
  name: Velo Shop
  sources:
    # sample: 12 pages, sitemap.xml lists 340
    - kind: site
      url: https://velo.example/
      sitemap: true
    # sample: 3 listing pages, 24 products, all priced (JSON-LD 12, visible 12)
    - kind: catalog
      url: https://velo.example/shop/
      follow: /shop/
      page_param: paged
      max_pages: 200
    # sample: 1 page, 6 products
    # prices only after rendering
    - kind: catalog
      url: https://velo.example/deals/
      render: js
      wait_for: .price[data-ready]
      allow_domains:
        - cdn.velo.example
      selectors:
        product: .deal
        price: .deal .price
      currency: EUR
"""


def demo_text() -> str:
    """fixtures/demo.yaml with its {site} placeholders filled in (as FixtureSites.render_config does)."""
    values = defaultdict(lambda: "http://127.0.0.1:1", mailbox="mbox:/tmp/x.mbox")
    return DEMO.read_text(encoding="utf-8").format_map(values)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "competitors.yaml"
    path.write_bytes(demo_text().encode("utf-8"))
    return path


def gruzovoz(*sources: ProposedSource, comment: str | None = None) -> ProposedCompetitor:
    return ProposedCompetitor(slug="gruzovoz", name="ГрузоВоз", sources=list(sources), comment=comment)


def source(url: str = "https://gruzovoz.example/", comment: str = "sample: 4 pages", **options) -> ProposedSource:
    return ProposedSource({"kind": "site", "url": url, **options}, comment)


def comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_the_block_is_what_the_user_is_shown():
    assert competitor_block(VELO) == VELO_BLOCK


def test_a_missing_file_is_created_with_a_header_and_the_defaults(tmp_path):
    path = tmp_path / "competitors.yaml"
    assert write_competitor(path, VELO, defaults={"max_pages": 100, "render": "static"}) == "created"
    assert path.read_text(encoding="utf-8") == (
        config_file.HEADER + "\ndefaults:\n  max_pages: 100\n  render: static\n\ncompetitors:\n"
        + textwrap.indent(VELO_BLOCK, "  "))
    assert "docs/config.md" in config_file.HEADER.splitlines()[0]
    config = load_config(path)
    assert config.defaults.max_pages == 100
    [velo] = config.competitors
    assert [(s.kind, s.url) for s in velo.sources] == [
        ("site", "https://velo.example/"), ("catalog", "https://velo.example/shop/"),
        ("catalog", "https://velo.example/deals/")]
    assert velo.sources[1].page_param == "paged" and velo.sources[1].render is None
    assert velo.sources[2].selectors == {"product": ".deal", "price": ".deal .price"}


def test_a_second_competitor_is_appended_and_the_rest_of_the_file_kept(demo):
    before = demo.read_text(encoding="utf-8")
    assert write_competitor(demo, VELO) == "added"
    after = demo.read_text(encoding="utf-8")
    # the block goes right after the last competitor's last line, in the demo's layout, a blank line before it
    insertion = before.index('          - "@northwind-tools.com"\n') + len('          - "@northwind-tools.com"\n')
    assert after == before[:insertion] + "\n" + textwrap.indent(VELO_BLOCK, "  ") + before[insertion:]
    assert set(comment_lines(before)) <= set(comment_lines(after))
    assert [c.slug for c in load_config(demo).competitors] == ["liftwerk", "kranrad", "gruzovoz", "toolshop", "velo"]


def test_a_competitor_added_again_is_replaced_in_place(demo):
    before = demo.read_text(encoding="utf-8")
    start, end = before.index("  - slug: gruzovoz\n"), before.index("  - slug: toolshop\n")
    update = gruzovoz(source(comment="sample: 4 pages"),
                      source("https://gruzovoz.example/tarify/", kind="catalog", page_param="page",
                             comment="sample: 2 listing pages, 9 tariffs"),
                      comment="added by `dossier add https://gruzovoz.example/` on 2026-12-06")
    assert write_competitor(demo, update) == "updated"
    after = demo.read_text(encoding="utf-8")
    # the old block (its content, not the blank line after it) gives way to the new one; nothing else moves
    old_end = len(before[:end].rstrip("\n")) + 1  # its last line (its last mentions source's), with its newline
    new_block = textwrap.indent(competitor_block(update), "  ")
    assert after == before[:start] + new_block + before[old_end:]
    config = load_config(demo)
    assert [c.slug for c in config.competitors] == ["liftwerk", "kranrad", "gruzovoz", "toolshop"]
    assert [s.url for s in config.competitors[2].sources] == [
        "https://gruzovoz.example/", "https://gruzovoz.example/tarify/"]
    # adding it once more changes nothing: one block, written the same way
    assert write_competitor(demo, update) == "updated"
    assert demo.read_text(encoding="utf-8") == after


def test_an_update_drops_the_competitors_old_comments_and_keeps_the_others(tmp_path):
    path = tmp_path / "competitors.yaml"
    write_competitor(path, gruzovoz(source(comment="sample: old reading"), comment="added on day one"))
    write_competitor(path, VELO)
    with path.open("a", encoding="utf-8") as out:
        out.write("# kept: a note at the end\n")
    write_competitor(path, gruzovoz(source(comment="sample: new reading"), comment="added on day two"))
    text = path.read_text(encoding="utf-8")
    assert "old reading" not in text and "day one" not in text
    assert text.count("# sample: new reading") == 1 and text.count("# added on day two") == 1
    assert text.index("slug: gruzovoz") < text.index("slug: velo")
    assert textwrap.indent(VELO_BLOCK, "  ") in text and text.endswith("# kept: a note at the end\n")


def test_the_last_competitor_is_replaced_without_touching_what_follows(demo):
    before = demo.read_text(encoding="utf-8")
    toolshop = ProposedCompetitor("toolshop", "Northwind Tools", [source("https://northwind.example/")])
    assert write_competitor(demo, toolshop) == "updated"
    after = demo.read_text(encoding="utf-8")
    start = before.index("  - slug: toolshop\n")
    rest = before.index("\nalerts:\n")
    assert after == before[:start] + textwrap.indent(competitor_block(toolshop), "  ") + before[rest:]


@pytest.mark.parametrize("text, message", [
    ("competitors:\n  - slug: a\n   name: b\n",
     "{path}: line 3: not valid YAML (*); fix it, or give --config a new file"),
    ("competitors: [\n", "{path}: line 2: not valid YAML (*); fix it, or give --config a new file"),
    ("competitors:\n  slug: a\n",
     "{path}: competitors: not a list; write it as a block list, one `- slug: …` item per competitor "
     "(docs/config.md), and add again"),
    ("competitors: kranrad\n",
     "{path}: competitors: not a list; write it as a block list, one `- slug: …` item per competitor "
     "(docs/config.md), and add again"),
    ("competitors: [{slug: a, name: A, sources: [{kind: site, url: 'https://a.example/'}]}]\n",
     "{path}: competitors: a flow list [...]; write it as a block list, one `- slug: …` item per competitor "
     "(docs/config.md), and add again"),
    ("- slug: a\n", "{path}: expected a block mapping with 'competitors:' at the top (docs/config.md); "
                    "fix the file or give --config a new one"),
    (b"competitors:\n  - name: \xff\n", "{path}: not UTF-8 text (byte 23); save it as UTF-8 and add again"),
])
def test_a_file_that_cannot_be_edited_is_one_line_and_left_untouched(tmp_path, text, message):
    path = tmp_path / "competitors.yaml"
    original = text if isinstance(text, bytes) else text.encode("utf-8")
    path.write_bytes(original)
    with pytest.raises(ConfigError) as error:
        write_competitor(path, VELO)
    # the parser's own words in the parentheses (*) are its to change
    assert re.fullmatch(re.escape(message.format(path=path)).replace(r"\*", "[^\n]+"), str(error.value))
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["competitors.yaml"]


def test_an_update_that_would_make_the_config_invalid_writes_nothing(demo, tmp_path):
    before = demo.read_bytes()
    broken = gruzovoz(source(kind="catalog", follow="(unclosed"))
    with pytest.raises(ConfigError) as error:
        write_competitor(demo, broken)
    assert str(error.value) == (
        "competitors.yaml: competitors[2].sources[0].follow: not a regular expression (missing ), unterminated "
        "subpattern at position 0) (nothing written)")
    assert demo.read_bytes() == before
    assert os.listdir(tmp_path) == ["competitors.yaml"]
    with pytest.raises(ConfigError, match=r"^new\.yaml: competitors\[0\]\.slug: use lower-case"):
        write_competitor(tmp_path / "new.yaml", ProposedCompetitor("Velo Shop", "Velo", VELO.sources))
    assert os.listdir(tmp_path) == ["competitors.yaml"]


def test_a_failed_rename_leaves_the_old_file(demo, tmp_path, monkeypatch):
    before = demo.read_bytes()

    def crash(*_):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(config_file.os, "replace", crash)
    with pytest.raises(ConfigError, match=r"competitors\.yaml: cannot write: No space left on device$"):
        write_competitor(demo, VELO)
    assert demo.read_bytes() == before
    assert os.listdir(tmp_path) == ["competitors.yaml"]


def test_unicode_is_written_as_utf8_text(tmp_path):
    path = tmp_path / "competitors.yaml"
    write_competitor(path, gruzovoz(source(comment="образец: 4 страницы, цены в ₽")))
    raw = path.read_bytes()
    assert "name: ГрузоВоз\n".encode() in raw and "# образец: 4 страницы, цены в ₽\n".encode() in raw
    assert b"\\u" not in raw and b"\\x" not in raw
    assert load_config(path).competitors[0].name == "ГрузоВоз"


UNINDENTED_VELO = """\
# added by `dossier add https://velo.example/` on 2026-12-06: WooCommerce shop
- slug: velo
  name: Velo Shop
  sources:
  # sample: 12 pages, sitemap.xml lists 340
  - kind: site
    url: https://velo.example/
    sitemap: true
  # sample: 3 listing pages, 24 products, all priced (JSON-LD 12, visible 12)
  - kind: catalog
    url: https://velo.example/shop/
    follow: /shop/
    page_param: paged
    max_pages: 200
  # sample: 1 page, 6 products
  # prices only after rendering
  - kind: catalog
    url: https://velo.example/deals/
    render: js
    wait_for: .price[data-ready]
    allow_domains:
    - cdn.velo.example
    selectors:
        product: .deal
        price: .deal .price
    currency: EUR
"""


@pytest.mark.parametrize("text, block", [
    # lists not indented under their key, and 4-space mappings: the new block follows suit
    ("defaults:\n    max_pages: 10\ncompetitors:\n- slug: a\n  name: A\n  sources:\n  - kind: site\n"
     "    url: https://a.example/\n", UNINDENTED_VELO),
    # the demo's layout
    ("competitors:\n  - slug: a\n    name: A\n    sources:\n      - kind: site\n        url: https://a.example/\n",
     textwrap.indent(VELO_BLOCK, "  ")),
    # a file with no sources list to go by takes its competitors list's layout for them
    ("competitors:\n- {slug: a, name: A, sources: [{kind: site, url: 'https://a.example/'}]}\n",
     UNINDENTED_VELO.replace("        product", "      product").replace("        price", "      price")),
])
def test_the_files_own_indentation_is_kept(tmp_path, text, block):
    path = tmp_path / "competitors.yaml"
    path.write_text(text, encoding="utf-8")
    write_competitor(path, VELO)
    assert path.read_text(encoding="utf-8") == text + "\n" + block
    assert load_config(path).competitors[1].sources[2].allow_domains == ["cdn.velo.example"]


@pytest.mark.parametrize("text", [
    "", "# only a comment", "defaults:\n  max_pages: 10\n", "competitors:\n", "competitors: ~  # none yet\n",
    "competitors: []\nalerts:\n  rules:\n    price_change_pct: 5\n", "competitors:\n\nschedule:\n  cron: '0 3 * * *'\n",
])
def test_a_file_without_competitors_gets_its_list(tmp_path, text):
    path = tmp_path / "competitors.yaml"
    path.write_text(text, encoding="utf-8")
    assert write_competitor(path, VELO) == "added"
    after = path.read_text(encoding="utf-8")
    assert textwrap.indent(VELO_BLOCK, "  ") in after
    assert [c.slug for c in load_config(path).competitors] == ["velo"]
    assert set(comment_lines(text)) <= set(comment_lines(after))


def test_line_endings_and_a_missing_last_newline_are_kept(tmp_path):
    path = tmp_path / "competitors.yaml"
    text = "# mine\r\ncompetitors:\r\n  - slug: a\r\n    name: A\r\n    sources:\r\n      - kind: site\r\n" \
           "        url: https://a.example/"
    path.write_bytes(text.encode())
    write_competitor(path, VELO)
    after = path.read_bytes().decode()
    assert after.startswith(text + "\r\n\r\n  # added by")
    assert "\n" not in after.replace("\r\n", "")
    write_competitor(path, ProposedCompetitor("a", "A", [source("https://a.example/")]))
    assert path.read_bytes().decode().startswith(
        "# mine\r\ncompetitors:\r\n  - slug: a\r\n    name: A\r\n    sources:\r\n      # sample: 4 pages\r\n"
        "      - kind: site\r\n        url: https://a.example/\r\n\r\n  # added by")
    assert [c.slug for c in load_config(path).competitors] == ["a", "velo"]


def test_the_files_mode_is_kept(demo):
    demo.chmod(0o600)
    write_competitor(demo, VELO)
    assert demo.stat().st_mode & 0o777 == 0o600


_text = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_text.filter(str.strip), comment=_text, selector=_text.filter(str.strip))
def test_any_name_comment_and_value_reads_back_as_given(tmp_path, name, comment, selector):
    """A competitor's name and a sample's comment come from its pages: no line break or quote in them can end a
    comment early or change the YAML around it."""
    path = tmp_path / "competitors.yaml"
    path.unlink(missing_ok=True)
    proposal = ProposedCompetitor("velo", name, [ProposedSource(
        {"kind": "catalog", "url": "https://velo.example/", "wait_for": selector}, comment)], comment=comment)
    try:
        write_competitor(path, proposal)
    except ConfigError as error:  # a name the schema refuses (none so far): refused before anything is written
        assert not path.exists(), error
        return
    [velo] = load_config(path).competitors
    assert velo.name == name and velo.sources[0].wait_for == selector
    assert write_competitor(path, proposal) == "updated"
    assert [c.slug for c in load_config(path).competitors] == ["velo"]


@pytest.mark.parametrize("before, after", [
    # a block scalar whose last line looks like a comment is still the competitor's
    ("competitors:\n  - slug: gruzovoz\n    name: G\n    sources:\n      - kind: site\n        url: https://g.example/\n"
     "        ignore:\n          - |\n            x\n            # y\n  - slug: c\n",
     "competitors:\n{block}  - slug: c\n"),
    # a dash alone on its line; commented-out lines after the content, and a note above the next item, are kept
    ("competitors:\n  -\n    slug: gruzovoz\n    name: G\n    sources: [{kind: site, url: 'https://g.example/'}]\n"
     "      # - kind: jobs\n  # our main rival\n  - slug: c\n",
     "competitors:\n{block}      # - kind: jobs\n  # our main rival\n  - slug: c\n"),
])
def test_the_replaced_block_ends_where_the_competitor_does(tmp_path, before, after):
    path = tmp_path / "competitors.yaml"
    path.write_text(before + "    name: C\n    sources:\n      - kind: site\n        url: https://c.example/\n")
    update = gruzovoz(source())
    assert write_competitor(path, update) == "updated"
    assert path.read_text(encoding="utf-8") == after.format(block=textwrap.indent(competitor_block(update), "  ")) \
        + "    name: C\n    sources:\n      - kind: site\n        url: https://c.example/\n"


def test_our_own_shop_stays_ours_when_it_is_added_again_and_a_second_is_refused(demo):
    """`dossier add` on our shop again (its proposal knows nothing of `own`) must not turn it into a competitor;
    `dossier add --own` writes `own: true`, and a second own shop is one line, nothing written."""
    liftwerk = ProposedCompetitor("liftwerk", "Liftwerk", [source("https://liftwerk.example/", comment=None)])
    assert write_competitor(demo, liftwerk) == "updated"
    config = load_config(demo)
    assert [c.slug for c in config.competitors if c.own] == ["liftwerk"]
    assert [s.url for s in config.competitors[0].sources] == ["https://liftwerk.example/"]
    before = demo.read_bytes()
    with pytest.raises(ConfigError, match=r"own: true is set on liftwerk, velo; only one competitor.*nothing written"):
        write_competitor(demo, replace(VELO, own=True))
    assert demo.read_bytes() == before
    created = demo.parent / "ours.yaml"
    write_competitor(created, replace(VELO, own=True))
    assert [c.own for c in load_config(created).competitors] == [True]
