from __future__ import annotations

import pytest

from dedup.urls import url_key

STORED = "https://www.riverpost.com/local/2026/11/24/tram-fares-rise"


@pytest.mark.parametrize(
    "given",
    [
        STORED,
        "http://www.riverpost.com/local/2026/11/24/tram-fares-rise",  # scheme
        "https://riverpost.com/local/2026/11/24/tram-fares-rise",  # www.
        "riverpost.com/local/2026/11/24/tram-fares-rise",  # typed without a scheme
        "https://www.riverpost.com/local/2026/11/24/tram-fares-rise/",  # trailing slash
        "https://www.riverpost.com/local/2026/11/24/tram-fares-rise#comments",  # fragment
        "HTTPS://WWW.RIVERPOST.COM:443/local/2026/11/24/tram-fares-rise",  # case of scheme and host, default port
        "https://www.riverpost.com/local/2026/11/24/tram-fares-rise?utm_source=tw&utm_medium=social&utm_campaign=x",
        "https://www.riverpost.com/local/2026/11/24/tram-fares-rise?fbclid=IwAR0x&gclid=Cj0K&mc_cid=1a&mc_eid=2b",
        "  https://riverpost.com/local/2026/11/24/tram-fares-rise/?msclkid=9&ref=home#top  ",
    ],
)
def test_every_form_of_an_address_has_one_key(given: str) -> None:
    assert url_key(given) == url_key(STORED) == "riverpost.com/local/2026/11/24/tram-fares-rise"


def test_what_tells_articles_apart_is_kept() -> None:
    assert url_key("https://x.com/item.php?id=3&utm_source=a") != url_key("https://x.com/item.php?id=4")
    assert url_key("https://x.com/a?page=2&id=3") == url_key("https://x.com/a?id=3&page=2")  # order is not meaning
    assert url_key("https://news.x.com/a") != url_key("https://x.com/a")  # only www. is dropped
    assert url_key("https://x.com/A") != url_key("https://x.com/a")  # paths are case-sensitive


@pytest.mark.parametrize("odd", ["", "   ", "http://[::1", "https://x.com:port/a", "mailto:desk@x.com", "not a url at all"])
def test_odd_addresses_never_raise(odd: str) -> None:
    assert isinstance(url_key(odd), str)
    assert (url_key(odd) == "") == (odd.strip() == "")


@pytest.mark.parametrize("plain", [
    STORED, STORED + "/", "https://x.com", "https://x.com/", "http://www.x.co.uk/a-b_c~d/e.html/", "https://www.www.x.com/a",
    "https://x.com/a/b.", "https://x.com/A/B", "https://x.com/a//b", "https://x.com/a/./b", "https://x.com/a/../b",
])
def test_the_short_cut_for_plain_addresses_gives_courlans_key(plain: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    import dedup.urls as urls

    fast = url_key(plain)
    monkeypatch.setattr(urls, "_PLAIN", re.compile(r"(?!)"))  # every address through courlan
    assert url_key(plain) == fast
