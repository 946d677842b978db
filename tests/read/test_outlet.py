from __future__ import annotations

import pytest

from dedup.read.outlet import outlet_from_url


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("https://www.korannews.com/2026/11/harga-cabai.html", "korannews.com"),
        ("https://news.bbc.co.uk/world/asia-0003", "bbc.co.uk"),
        ("https://regional.kompas.com/read/2026/11/24/x", "kompas.com"),
        ("http://WWW.Detik.COM/berita/d-1", "detik.com"),
        ("https://www.antaranews.com/berita/1", "antaranews.com"),
        ("https://mediaindonesia.co.id/read/1", "mediaindonesia.co.id"),
        ("  https://www.tempo.co/read/1  ", "tempo.co"),
        ("www.reuters.com/world/x", "reuters.com"),
        ("", ""),
    ],
)
def test_registered_domain(url: str, outlet: str) -> None:
    assert outlet_from_url(url) == outlet


def test_no_suffix_keeps_what_there_is() -> None:
    assert outlet_from_url("http://localhost:8080/x") == "localhost"
