"""extract_contacts over tests/samples/contacts (each `<case>.html` beside `<case>.expected.json`), then the rules
one by one: phone normalisation, messenger links, widgets from the technology fingerprints, forms, promos, and
hostile input."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors import ContactChannels, detect_technologies, extract_contacts
from extractors.contacts import Form, MessengerLink, Promo, Widget, messenger_link, to_e164
from extractors.document import as_document

SAMPLES = Path(__file__).parent / "samples" / "contacts"
CASES = sorted(p.name.removesuffix(".expected.json") for p in SAMPLES.glob("*.expected.json"))


def load(case: str) -> tuple[bytes, dict]:
    spec = json.loads((SAMPLES / f"{case}.expected.json").read_text(encoding="utf-8"))
    return (SAMPLES / f"{case}.html").read_bytes(), spec


def page(body: str, url: str = "https://site.example/", lang: str = "ru") -> ContactChannels:
    return extract_contacts(f"<!DOCTYPE html><html lang='{lang}'><head><title>x</title></head><body>{body}</body>"
                            "</html>", url)


@pytest.mark.parametrize("case", CASES)
def test_sample(case: str) -> None:
    body, spec = load(case)
    found = extract_contacts(body, spec["url"])
    assert isinstance(found, ContactChannels)
    assert found.region == spec["region"]
    assert found.phones == spec["phones"]
    assert found.emails == spec["emails"]
    assert [[m.messenger, m.contact] for m in found.messengers] == spec["messengers"]
    assert [[w.name, w.kind] for w in found.widgets] == spec["widgets"]
    assert [[f.purpose, f.fields] for f in found.forms] == spec["forms"]
    assert [{"kind": p.kind, "text": p.text, "deadline": p.deadline} for p in found.promos] == spec["promos"]


def test_samples_cover_every_channel_kind() -> None:
    specs = [load(case)[1] for case in CASES]
    assert {m for s in specs for m, _ in s["messengers"]} == {"whatsapp", "telegram", "viber", "vk",
                                                               "facebook_messenger"}
    assert {k for s in specs for _, k in s["widgets"]} == {"chat", "callback", "call_tracking", "quiz"}
    assert {p for s in specs for p, _ in s["forms"]} >= {"callback", "newsletter", "search", "contact", "order"}
    assert {p["kind"] for s in specs for p in s["promos"]} == {"countdown", "offer"}
    assert {s["region"] for s in specs} == {"RU", "DE", "GB"}


def test_a_page_with_no_channels_gives_an_empty_record() -> None:
    """Dates, article numbers, an IBAN, an ISBN, share buttons, social profiles, analytics, a cookie banner and a
    "Sale" in running text: none of them is a contact channel or a promo."""
    body, spec = load("article_none")
    assert extract_contacts(body, spec["url"]) == ContactChannels(region="DE")


def test_records_carry_the_link_and_the_evidence() -> None:
    body, spec = load("landing_ru")
    found = extract_contacts(body, spec["url"])
    assert found.messengers[0] == MessengerLink("whatsapp", "+79161234567", "https://wa.me/79161234567")
    assert found.widgets[2] == Widget("JivoChat", "chat", "script: //code.jivo.ru/widget/AbCdEf1234")
    assert found.forms[2] == Form("callback", 2, "https://perevozkin.example/ajax/callback.php")
    assert found.forms[2].is_callback and not found.forms[1].is_callback
    assert found.promos[0] == Promo("countdown", "До конца акции осталось:", "2025-05-31T23:59:59")


# --- phones ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("number", "region", "expected"), [
    ("88005553535", "RU", "+78005553535"),  # Russian trunk prefix 8
    ("84951234567", "RU", "+74951234567"),
    ("+74951234567", None, "+74951234567"),
    ("06211234560", "DE", "+496211234560"),  # German trunk prefix 0
    ("+496211234560", "RU", "+496211234560"),  # an international number ignores the page's country
    ("02079460018", "GB", "+442079460018"),
    ("+12125550199", "GB", "+12125550199"),
    ("06211234560", None, "06211234560"),  # country unknown: kept as written
    ("12345678", "DE", None),  # no valid German number: an article number after "Tel", not a phone
    ("1234567", "RU", None),
    ("", "RU", None),
])
def test_phone_normalisation(number: str, region: str | None, expected: str | None) -> None:
    assert to_e164(number, region) == expected


@pytest.mark.parametrize(("url", "lang", "region"), [
    ("https://kranrad.de/", "en", "DE"),  # the TLD names the country before the language does
    ("https://kranrad.at/kontakt", "de", "AT"),
    ("https://gruzovoz.ru/", "", "RU"),
    ("https://xn--80aswg.xn--p1ai/", "", "RU"),  # .рф
    ("https://shop.co.uk/", "en", "GB"),
    ("https://kranrad.example/", "de-AT", "AT"),  # a region subtag
    ("https://kranrad.example/", "de", "DE"),
    ("https://gruzovoz.com/", "ru-RU", "RU"),
    ("https://startup.io/", "en-US", "US"),  # .io is sold as a generic name
    ("https://startup.io/", "en", None),  # English names no country
])
def test_the_country_comes_from_the_tld_then_the_language(url: str, lang: str, region: str | None) -> None:
    assert page("<p>hi</p>", url, lang).region == region


def test_phones_are_found_once_in_e164() -> None:
    found = page('<a href="tel:+7 (495) 123-45-67">+7 (495) 123-45-67</a> <p>Тел.: 8 (495) 123-45-67</p>'
                 '<p>Бесплатно: 8 (800) 555-35-35</p>')
    assert found.phones == ["+74951234567", "+78005553535"]


# --- messengers --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("link", "messenger", "contact"), [
    ("https://wa.me/79161234567", "whatsapp", "+79161234567"),
    ("https://wa.me/89161234567?text=Здравствуйте", "whatsapp", "+79161234567"),  # written in national form
    ("https://api.whatsapp.com/send?phone=+49%20170%201234567", "whatsapp", "+491701234567"),
    ("https://web.whatsapp.com/send?phone=491701234567", "whatsapp", "+491701234567"),
    ("whatsapp://send?phone=79161234567", "whatsapp", "+79161234567"),
    ("https://wa.me/message/ABCDEF1234567", "whatsapp", "message/ABCDEF1234567"),
    ("https://t.me/Kranrad_Support", "telegram", "@kranrad_support"),
    ("https://telegram.me/kranrad", "telegram", "@kranrad"),
    ("tg://resolve?domain=Kranrad", "telegram", "@kranrad"),
    ("https://t.me/+AbCdEf123456", "telegram", "+AbCdEf123456"),
    ("viber://chat?number=%2B79161234567", "viber", "+79161234567"),
    ("viber://chat?number=+79161234567", "viber", "+79161234567"),  # "+" unescaped reads as a space
    ("viber://pa?chatURI=kranrad", "viber", "kranrad"),
    ("https://vk.com/im?sel=-123456", "vk", "club123456"),
    ("https://m.vk.com/write-123456", "vk", "club123456"),
    ("https://vk.me/kranrad", "vk", "kranrad"),
    ("https://m.me/KranradGmbH", "facebook_messenger", "kranradgmbh"),
    ("https://www.messenger.com/t/kranradgmbh", "facebook_messenger", "kranradgmbh"),
])
def test_messenger_links(link: str, messenger: str, contact: str) -> None:
    assert messenger_link(link, "RU") == MessengerLink(messenger, contact, link)


@pytest.mark.parametrize("link", [
    "https://t.me/share/url?url=https%3A%2F%2Fa.example", "https://t.me/", "https://t.me/abc",
    "https://vk.com/kranrad", "https://vk.com/share.php?url=x", "https://vk.com/im", "https://www.facebook.com/kranrad",
    "https://wa.me/", "https://api.whatsapp.com/", "viber://forward?text=hi", "https://me.example/m.me",
    "https://example.org/wa.me/79161234567", "mailto:t.me@example.org",
])
def test_links_that_open_no_chat(link: str) -> None:
    assert messenger_link(link, "RU") is None


def test_messenger_links_are_absolute_and_once_each() -> None:
    found = page('<a href="https://wa.me/79161234567">WhatsApp</a><a href="https://wa.me/79161234567/">again</a>'
                 '<a href="//t.me/kranrad">Telegram</a><a href="/kontakty/">Контакты</a>')
    assert found.messengers == [MessengerLink("whatsapp", "+79161234567", "https://wa.me/79161234567"),
                                MessengerLink("telegram", "@kranrad", "https://t.me/kranrad")]


# --- widgets: the fingerprints in extractors/data/technologies are the one list -----------------------------------

WIDGET_SNIPPETS = [
    ("JivoChat", "chat", '<script src="//code.jivo.ru/widget/AbCdEf1234" async></script>'),
    ("JivoChat", "chat", '<script src="//code.jivosite.com/widget/AbCdEf1234" async></script>'),
    ("Bitrix24 Widget", "chat",
     "<script>(function(w,d,u){var s=d.createElement('script');s.async=true;s.src=u+'?'+(Date.now()/60000|0);"
     "var h=d.getElementsByTagName('script')[0];h.parentNode.insertBefore(s,h);})(window,document,"
     "'https://cdn-ru.bitrix24.ru/b7654321/crm/site_button/loader_2_x1y2z3.js');</script>"),
    ("Intercom", "chat",
     "<script>window.intercomSettings = {app_id: 'abc123'};(function(){var w=window;var ic=w.Intercom;"
     "var l=function(){var s=document.createElement('script');s.src='https://widget.intercom.io/widget/abc123';"
     "};l();})();</script>"),
    ("Tawk.to", "chat",
     "<script>var Tawk_API=Tawk_API||{}, Tawk_LoadStart=new Date();(function(){var s1=document.createElement("
     "'script');s1.async=true;s1.src='https://embed.tawk.to/64a1b2c3d4e5f6/1h2i3j4k5';})();</script>"),
    ("Calltouch", "call_tracking",
     '<script>(function(w,d,n,c){w.CalltouchDataObject=n;function p(cId){var s=d.createElement("script");'
     's.src="https://mod.calltouch.ru/"+"init-min.js"+"?id="+cId;}p(c)})(window,document,"ct","ab12cd34");</script>'),
    ("Envybox", "callback",
     '<script src="//cdn.envybox.io/widget/cbk.js?wcb_code=0a1b2c3d4e5f" charset="UTF-8" async></script>'),
    ("Marquiz", "quiz",
     "<script>(function(w, d, s, o){var j = d.createElement(s); j.async = true; j.src = '//script.marquiz.ru/v2.js';"
     "j.onload = function() {Marquiz.init(o);};})(window, document, 'script', {id: '5f1a2b3c4d5e'});</script>"),
    ("Marquiz", "quiz", '<a href="#popup:marquiz_5f1a2b3c4d5e6f7a8b9c0d1e">Рассчитать стоимость</a>'),
    ("Carrot quest", "chat",
     '<script>!function(){if("undefined"==typeof carrotquest){var e=document.createElement("script");'
     'e.src="//cdn.carrotquest.app/api.min.js";window.carrotquest={};}}(),carrotquest.connect("12345-0a1b2c");'
     "</script>"),
    ("Talk-Me", "chat",
     "<script>(function(d, w, m) {window.supportAPIMethod = m; var s = d.createElement('script');"
     "var id = '0a1b2c3d'; s.src = 'https://lcab.talk-me.ru/support/support.js?h='+id;"
     "})(document, window, 'TalkMe');</script>"),
    ("LiveChat", "chat",
     '<script>window.__lc = window.__lc || {}; window.__lc.license = 12345678;(function(n,t,c){var e={init:'
     'function(){var n=t.createElement("script");n.src="https://cdn.livechatinc.com/tracking.js"}}})'
     "(window,document,[].slice)</script>"),
    ("Zendesk", "chat", '<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key=0a1b"></script>'),
    ("Zendesk Chat", "chat",
     "<script>window.$zopim||(function(d,s){var z=$zopim=function(c){z._.push(c)},$=z.s=d.createElement(s);"
     "$.src='https://v2.zopim.com/?2AbCdEf';})(document,'script');</script>"),
    ("Crisp Live Chat", "chat",
     '<script>window.$crisp=[];window.CRISP_WEBSITE_ID="0a1b2c3d";(function(){d=document;s=d.createElement('
     '"script");s.src="https://client.crisp.chat/l.js";s.async=1;})();</script>'),
    ("Drift", "chat",
     '<script>!function(){var t=window.driftt=window.drift=window.driftt||[];t.load=function(t){var o=document.'
     'createElement("script");o.src="https://js.driftt.com/include/"+n+"/"+t+".js";}}();drift.load("abc123");'
     "</script>"),
    ("HubSpot Chat", "chat", "<script>window.hsConversationsOnReady = [function () { "
                             "window.HubSpotConversations.widget.load(); }];</script>"),
    ("Tidio", "chat", '<script src="//code.tidio.co/0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d.js" async></script>'),
    ("CallbackHunter", "callback", '<script src="//cdn.callbackhunter.com/cbh.js?hunter_code=0a1b2c"></script>'),
    ("Comagic", "call_tracking", '<script>var __cs = __cs || []; __cs.push(["setCsAccount", "AbCdEf123"]);</script>'
                                 '<script async src="https://app.comagic.ru/static/cs.min.js"></script>'),
]


@pytest.mark.parametrize(("name", "kind", "snippet"), WIDGET_SNIPPETS)
def test_each_widget_in_its_vendor_snippet(name: str, kind: str, snippet: str) -> None:
    body = f"<!DOCTYPE html><html><head><title>x</title></head><body><p>Hello</p>{snippet}</body></html>"
    assert name in {t.name for t in detect_technologies(body, "https://site.example/", {})}
    assert (name, kind) in {(w.name, w.kind) for w in extract_contacts(body, "https://site.example/").widgets}


def test_widgets_come_from_the_technologies_passed_in() -> None:
    """The crawler detects technologies once per page and hands them over; a shared Document is parsed once."""
    body, spec = load("landing_ru")
    document = as_document(body, spec["url"])
    technologies = detect_technologies(document, spec["url"], {})
    assert extract_contacts(document, spec["url"], technologies) == extract_contacts(body, spec["url"])
    assert extract_contacts(document, spec["url"], []).widgets == []


def test_technologies_that_are_not_widgets_are_not_reported() -> None:
    found = page('<script src="https://mc.yandex.ru/metrika/tag.js"></script>'
                 '<script src="https://ajax.googleapis.com/ajax/libs/jquery/3.5.1/jquery.min.js"></script>'
                 '<script src="https://static.addtoany.com/menu/page.js"></script>')
    assert found.widgets == []


# --- forms -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("form", "purpose", "fields"), [
    # a phone field and few others is a callback form, whatever the button says
    ('<form><input name="name"><input name="phone"><button>Отправить</button></form>', "callback", 2),
    ('<form><input placeholder="+7 (___) ___-__-__"><button>Жду звонка</button></form>', "callback", 1),
    # callback wording with more fields
    ('<h3>Rückruf vereinbaren</h3><form><input name="name"><input name="firma"><input type="email" name="mail">'
     '<input type="tel" name="tel"><select name="zeit"><option>8–12</option></select></form>', "callback", 5),
    ('<form><label for="p">Phone</label><input id="p"><input type="email" name="email">'
     '<button>Call me back</button></form>', "callback", 2),
    # without a phone field "call back" wording is not enough
    ('<form><input type="email" name="email"><button>We call back</button></form>', "newsletter", 1),
    ('<form><input type="email" name="email"><input name="name"><button>Subscribe</button></form>', "newsletter", 2),
    ('<form action="/suche"><input type="search" name="s"></form>', "search", 1),
    ('<form role="search"><input name="term"></form>', "search", 1),
    ('<form><input name="text" placeholder="Поиск по каталогу"></form>', "search", 1),
    ('<form><input name="login"><input type="password" name="pass"><button>Войти</button></form>', "login", 2),
    ('<form><input name="name"><input type="email" name="email"><textarea name="msg"></textarea>'
     '<button>Senden</button></form>', "contact", 3),
    ('<form><input name="qty" type="number"><button>In den Warenkorb</button></form>', "order", 1),
    ('<form><input name="name"><input type="email" name="email"><input name="city"><input name="company">'
     '<button>Оформить заказ</button></form>', "order", 4),
    ('<form><input type="hidden" name="token"><button>OK</button></form>', "other", 0),
    # a popup's form is hidden until opened, and still a callback form
    ('<form class="popup-form" style="display:none"><input name="name"><input type="tel" name="phone"></form>',
     "callback", 2),
    ('<div class="modal" hidden><form><input name="name"><input name="phone"><textarea name="q"></textarea>'
     '</form><p>Мы перезвоним</p></div>', "callback", 3),
    # hidden, honeypot, checkbox and radio: only what a visitor fills in counts, a radio group once
    ('<form><input name="name"><input type="tel" name="phone"><input name="hp" style="display: none">'
     '<div class="honeypot"><input name="url"></div><input name="x" hidden><input name="y" aria-hidden="true">'
     '<input type="checkbox" name="agree"><input type="radio" name="when" value="am"><input type="radio" '
     'name="when" value="pm"><input type="submit" value="Перезвоните мне"></form>', "callback", 3),
])
def test_form_purpose_and_fields(form: str, purpose: str, fields: int) -> None:
    found = page(form).forms
    assert [(f.purpose, f.fields) for f in found] == [(purpose, fields)]
    assert found[0].is_callback == (purpose == "callback")


def test_a_listing_repeats_one_form_once() -> None:
    cards = "".join(f'<div class="card"><h3>Rad {i}</h3><form action="/cart/add"><input type="hidden" name="id" '
                    f'value="{i}"><input type="number" name="qty"><button>Kaufen</button></form></div>'
                    for i in range(500))
    assert page(cards, lang="de").forms == [Form("order", 1, "https://site.example/cart/add")]


# --- promos ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("markup", "expected"), [
    ('<div class="offer-timer"><p>Акция заканчивается через</p><span class="countdown" '
     'data-countdown="2025-06-01 00:00">00:00:00</span></div>',
     [Promo("countdown", "Акция заканчивается через", "2025-06-01 00:00")]),
    ('<p>Nur noch heute:</p><div id="CountdownTimer" data-deadline="1767225599"></div>',
     [Promo("countdown", "Nur noch heute:", "1767225599")]),
    ('<section><h2>Black Friday</h2><p>Sale ends in</p><div id="clock"></div></section>'
     '<script>$("#clock").countdown("2025/11/30 23:59", function(e) {});</script>',
     [Promo("countdown", "Sale ends in", "2025/11/30 23:59")]),
    ("<p>Успейте! До конца акции 3 дня.</p>", [Promo("countdown", "Успейте! До конца акции 3 дня.")]),
    ("<p>Aktion gültig bis 31.05.</p>", [Promo("countdown", "Aktion gültig bis 31.05.")]),
    ('<div class="banner banner--promo"><a href="/akcii/"><img src="/b.jpg" alt="Скидки до 30% на краны"></a></div>',
     [Promo("offer", "Скидки до 30% на краны")]),
    ('<div class="special-offer">Special offer: <b>15% off</b> your first order</div>',
     [Promo("offer", "Special offer: 15% off your first order")]),
])
def test_promos(markup: str, expected: list[Promo]) -> None:
    assert page(markup).promos == expected


@pytest.mark.parametrize("markup", [
    '<div class="cookie-banner">Wir verwenden Cookies für unser Angebot.</div>',  # not an offer
    '<ul class="offers">' + "".join(f'<li class="offer">Кран {i}, скидка 10%, цена 12 000 ₽</li>'
                                    for i in range(12)) + "</ul>",  # a grid of product cards
    '<span class="badge sale">-20%</span>',  # a badge
    '<div class="promo">' + "Длинный текст о компании и её истории, скидки упоминаются. " * 10 + "</div>",
    '<div class="timeline"><p>2009–2024</p></div>',
    '<div class="banner">100 % Made in Germany, seit 1952</div>',  # a percentage that is no discount
    '<div class="wholesale-banner">Wholesale prices for registered dealers</div>',
    "<p>Nur noch 3 Stück auf Lager.</p>",  # scarcity, not a deadline
    '<script>var t = "до конца акции";</script><template><div class="countdown">x</div></template>',
])
def test_no_promo(markup: str) -> None:
    assert page(markup).promos == []


# --- hostile input -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b"", "", None, b"   \n\t", b"\x00" * 100,
    b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64,
    b"%PDF-1.7\n" + bytes(range(255, -1, -1)) * 64,
    "<html><head><script>var x = '</script>",
    b"<" * 50_000,
    "<div>" * 200_000,
    "<form>" * 5_000 + "<input type=tel>",
    '<a href="http://[::1">x</a><a href="viber://chat?number=%ZZ">y</a><a href="https://wa.me/99999999999999999999">',
    '<div class="countdown" data-countdown="' + "9" * 10_000 + '"></div>',
])
def test_bad_input_gives_an_empty_or_partial_record(body) -> None:
    found = extract_contacts(body, "https://hostile.example/")
    assert isinstance(found, ContactChannels)
    assert all(isinstance(m, MessengerLink) for m in found.messengers)


def test_bad_input_gives_an_empty_record() -> None:
    for body in (b"", None, b"\x00" * 100, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64, b"<" * 50_000):
        assert extract_contacts(body, "https://hostile.example/") == ContactChannels()


def test_odd_arguments_do_not_raise() -> None:
    assert extract_contacts(b"<p>x</p>", None) == ContactChannels()  # type: ignore[arg-type]
    assert extract_contacts(b"<p>x</p>", "not a url", None).region is None


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.binary(max_size=3000), st.text(max_size=3000),
                 st.lists(st.sampled_from(["<form>", "<input type=tel name=phone>", "<textarea>", '<a href="',
                                           "https://wa.me/", "viber://chat?number=", "t.me/", "tel:+7", "8 (800) ",
                                           '<div class="countdown" data-countdown="', '<div class="promo">',
                                           "Скидка 20%", "до конца акции", '">', "</div>", "</form>", "</a>",
                                           "\x00", "&#0;", "<script>", "</script>", "mailto:a@b.de"]),
                          max_size=60).map("".join)))
def test_hostile_input_never_raises(body) -> None:
    assert isinstance(extract_contacts(body, "https://hostile.example/"), ContactChannels)


def test_entries_are_the_rows_the_dossier_stores_and_diffs():
    from extractors.contacts import ContactChannels, MessengerLink, Widget
    from extractors.conversion import Form, Promo

    channels = ContactChannels(
        phones=["+4923155501"], emails=["info@kranrad.example"],
        messengers=[MessengerLink("telegram", "@kranrad", "https://t.me/kranrad")],
        widgets=[Widget("JivoChat", "chat")],
        forms=[Form("callback", 3), Form("search", 1), Form("login", 2)],
        promos=[Promo("countdown", "Black Friday endet in 02:13:45:09", "2026-11-30 23:59")])
    assert channels.entries() == [
        ("phone", "+4923155501", "phone"), ("email", "info@kranrad.example", "e-mail"),
        ("messenger", "telegram:@kranrad", "Telegram"), ("widget", "JivoChat", "JivoChat"),
        ("form", "callback form:3 fields", "callback form"),  # a search or login form is no way to reach anyone
        ("promo", "Black Friday endet in", "2026-11-30 23:59"),  # the ticking digits are not the offer
    ]


def test_the_visible_text_is_read_once_per_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Page facts, contact channels and the challenge check share the Document's visible text: one walk of the
    page's text nodes, however many of them read it."""
    from extractors import document as document_module
    from extractors import extract_page
    from extractors.challenge import challenge_page

    walks = []
    nodes = document_module.VISIBLE_TEXT_NODES
    monkeypatch.setattr(document_module, "VISIBLE_TEXT_NODES", lambda tree: walks.append(tree) or nodes(tree))
    body = ('<html><head><title>Access denied</title><script>var tel = "+49 621 000000";</script></head><body>'
            '<p>Telefon: +49 621 1234-56</p><style>.x{}</style><p>info@kranrad.example</p></body></html>')
    document = as_document(body, "https://kranrad.de/")
    assert challenge_page(document) is not None  # a block title over thin text: the check read the text
    assert len(walks) == 1
    facts = extract_page(document, document.url)
    channels = extract_contacts(document, document.url, [])
    assert len(walks) == 1
    assert document.visible_text == "Telefon: +49 621 1234-56 info@kranrad.example"
    assert facts.phones == channels.phones == ["+49621123456"]
    assert facts.emails == channels.emails == ["info@kranrad.example"]
