from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:void(0)",
        "mailto:redaksi@korannews.com",
        "ftp://files.example.com/x",
        "data:text/html,<p>korannews.com</p>",
        "tel:+62215551234",
        "https://web.archive.org/web/20120611024252/mailto:redaksi@korannews.com",
    ],
)
def test_other_schemes_name_no_outlet(url: str) -> None:
    assert outlet_from_url(url) == ""


@pytest.mark.parametrize(
    ("url", "outlet"),
    [
        ("korannews.com/2026/11/x.html", "korannews.com"),
        ("//korannews.com/2026/11/x.html", "korannews.com"),
        ("korannews.com:8080/x", "korannews.com"),
        ("HTTPS://WWW.KoranNews.COM/x", "korannews.com"),
        ("//web.archive.org/web/2012/http://www.korannews.com/x", "korannews.com"),
        ("https://web.archive.org/web/20120611024252id_/korannews.com/x", "korannews.com"),
    ],
)
def test_scheme_less_and_archived_urls_keep_their_outlet(url: str, outlet: str) -> None:
    assert outlet_from_url(url) == outlet


def test_a_record_with_a_javascript_url_is_from_an_unknown_outlet() -> None:
    from dedup.config import ReadConfig
    from dedup.read.records import to_article

    (art,) = list(to_article({"id": "j1", "url": "javascript:alert(1)", "text": "Isi."}, "mem:1", ReadConfig()))
    assert art.outlet == ""  # type: ignore[union-attr]  # unknown: read_paths gives it --outlet or its own


def test_a_given_outlet_keeps_its_case() -> None:
    from dedup.config import ReadConfig
    from dedup.read.records import to_article

    (art,) = list(to_article({"id": "a1", "outlet": " APP ", "text": "Isi."}, "mem:1", ReadConfig()))
    assert art.outlet == "APP"  # type: ignore[union-attr]


def test_pages_without_url_or_outlet_get_one_of_their_own_or_the_given_one(tmp_path: Path) -> None:
    from dedup.config import ReadConfig
    from dedup.model import Article
    from dedup.read import read_paths

    page = (Path(__file__).parent.parent / "fixtures" / "html" / "kabarkota-banjir.html").read_bytes()  # no URL in it
    for i in (1, 2):
        (tmp_path / f"p{i}.html").write_bytes(page)
    own = sorted(a.outlet for a in read_paths([str(tmp_path)], ReadConfig()) if isinstance(a, Article))
    assert own == [f"unknown:{tmp_path / 'p1.html'}", f"unknown:{tmp_path / 'p2.html'}"]
    given = {a.outlet for a in read_paths([str(tmp_path)], ReadConfig(outlet="Kabar Kota")) if isinstance(a, Article)}
    assert given == {"Kabar Kota"}
