from __future__ import annotations

import pytest

from dedup.clean import clean_text, normalise, split_lines


def test_normalise_folds_case_width_punctuation_and_space() -> None:
    assert normalise("  Ｈｅｌｌｏ,\n  WORLD!  ") == "hello world"
    assert normalise("Rp 13.800/kg — naik!") == "rp 13 800 kg naik"
    assert normalise("...!!!") == ""


def test_title_repeated_three_times_is_stripped() -> None:
    title = "Harga Beras Naik Lagi"
    text = f"{title} {title} {title}\nHarga beras medium di Cipinang naik Rp 600 per kilogram."
    c = clean_text(text, title=title)
    assert normalise(c.text) == "harga beras medium di cipinang naik rp 600 per kilogram"
    assert c.stripped == (f"{title} {title} {title}",)


def test_title_alone_on_a_line_is_stripped_but_not_a_sentence_containing_it() -> None:
    title = "Gempa Guncang Sukabumi"
    text = f"{title}\nGempa guncang Sukabumi pada Kamis pagi, kata BMKG."
    c = clean_text(text, title=title)
    assert c.stripped == (title,)
    assert normalise(c.text) == "gempa guncang sukabumi pada kamis pagi kata bmkg"


def test_content_protected_notice_is_stripped() -> None:
    c = clean_text("error: Content is protected !!\nWarga mengungsi ke balai desa.")
    assert c.stripped == ("error: Content is protected !!",)
    assert normalise(c.text) == "warga mengungsi ke balai desa"


@pytest.mark.parametrize(
    ("line", "dateline", "rest"),
    [
        ("korannews.com – Harga cabai rawit naik tajam.", "korannews.com –", "harga cabai rawit naik tajam"),
        ("JAKARTA, KOMPAS.com - Pemerintah menambah kuota elpiji.", "JAKARTA, KOMPAS.com -", "pemerintah menambah kuota elpiji"),
        ("BRUSSELS, Oct 12 (Reuters) - EU ministers agreed on a new budget.", "BRUSSELS, Oct 12 (Reuters) -", "eu ministers agreed on a new budget"),
        ("(ANTARA) - Bandara Soekarno-Hatta kembali normal.", "(ANTARA) -", "bandara soekarno hatta kembali normal"),
    ],
)
def test_datelines_are_stripped(line: str, dateline: str, rest: str) -> None:
    c = clean_text(line)
    assert c.stripped == (dateline,)
    assert normalise(c.text) == rest


def test_dateline_only_in_the_first_paragraphs() -> None:
    text = "First paragraph here.\nSecond paragraph here.\nreuters.com - third paragraph keeps its words."
    c = clean_text(text)
    assert c.stripped == ()
    assert normalise(c.text).endswith("reuters com third paragraph keeps its words")


@pytest.mark.parametrize(
    "junk",
    [
        "Baca juga: Stok Bulog aman hingga akhir tahun",
        "Read more: Council votes on new budget",
        "Also read: Ten things to know about the tram",
        "Share this article",
        "Share on Facebook Twitter WhatsApp",
        "Bagikan artikel ini",
        "SHARE",
        "Share:",
        "Share via WhatsApp",
        "Subscribe to our newsletter",
        "Ikuti kami di Google News",
        "© 2026 Kompas Cyber Media. All rights reserved.",
        "Copyright 2026 Thomson Reuters",
        "All rights reserved.",
        "ADVERTISEMENT",
        "Editor: Dewi Lestari",
    ],
)
def test_junk_lines_are_stripped_and_recorded(junk: str) -> None:
    body = "Pemerintah menambah kuota elpiji bersubsidi untuk Jawa Barat."
    c = clean_text(f"{body}\n{junk}")
    assert normalise(c.text) == normalise(body)
    assert c.stripped == (junk,)


def test_long_paragraph_starting_with_share_is_kept() -> None:
    para = (
        "Share prices fell sharply on Tuesday as investors weighed weaker than expected factory data "
        "from China and a surprise rise in US bond yields, dragging the benchmark index to its lowest "
        "close in three months and wiping out the gains of the autumn rally."
    )
    assert len(para) > 200
    c = clean_text(para)
    assert c.stripped == ()
    assert normalise(c.text) == normalise(para)


def test_short_paragraph_starting_with_share_is_kept() -> None:
    # A real sentence, shorter than the junk-line length cap: "Share" is a noun here.
    para = "Share prices fell 3% in early trading after the central bank raised rates."
    c = clean_text(para)
    assert c.stripped == ()
    assert normalise(c.text) == normalise(para)


@pytest.mark.parametrize(
    "para",
    [
        "Daftar lengkap harga BBM per 1 Desember 2026 adalah sebagai berikut.",
        "Iklan rokok di media sosial akan dilarang mulai tahun depan.",
        "Langganan listrik pelanggan rumah tangga naik mulai Januari.",
    ],
    ids=["daftar", "iklan", "langganan"],
)
def test_short_indonesian_paragraphs_starting_with_furniture_words_are_kept(para: str) -> None:
    assert clean_text(para).stripped == ()


def test_several_junk_kinds_recorded_in_order() -> None:
    title = "Harga Beras Naik"
    text = "\n".join([
        f"{title} {title} {title}",
        "error: Content is protected !!",
        "JAKARTA, KOMPAS.com - Harga beras medium naik lagi pekan ini.",
        "Baca juga: Stok Bulog aman",
        "Pedagang mengeluh pasokan berkurang.",
        "Share this article",
        "© 2026 Kompas. All rights reserved.",
    ])
    c = clean_text(text, title=title)
    assert normalise(c.text) == "harga beras medium naik lagi pekan ini pedagang mengeluh pasokan berkurang"
    assert c.stripped == (
        f"{title} {title} {title}",
        "error: Content is protected !!",
        "JAKARTA, KOMPAS.com -",
        "Baca juga: Stok Bulog aman",
        "Share this article",
        "© 2026 Kompas. All rights reserved.",
    )


def test_verbatim_copy_wrapped_in_junk_cleans_to_the_original(news, wrap_junk) -> None:
    for key in ("tram", "beras", "gempa"):
        n = news[key]
        original = clean_text(n.body, title=n.title)
        copy = clean_text(wrap_junk(n.title, n.body), title=n.title)
        assert copy.text == original.text
        assert len(copy.stripped) == 7
        assert original.stripped == ()
        assert len(original.text.split()) > 150


def test_learned_boilerplate_is_stripped() -> None:
    text = "Kunjungi kanal video kami setiap hari\nWarga mengungsi ke balai desa."
    c = clean_text(text, boilerplate=split_lines("Kunjungi kanal video kami setiap hari"))
    assert normalise(c.text) == "warga mengungsi ke balai desa"
    assert c.stripped == ("Kunjungi kanal video kami setiap hari",)


def test_only_junk_gives_empty_text() -> None:
    c = clean_text("Share this article\n© 2026 Koran News\n!!!")
    assert normalise(c.text) == ""
    assert c.stripped[:2] == ("Share this article", "© 2026 Koran News")


def test_split_lines() -> None:
    assert split_lines("A, b\n\n  \nC!") == ["a b", "c"]


@pytest.mark.parametrize("line", ["Daftar sekarang untuk berita terbaru", "Iklan", "Langganan newsletter kami", "Berlangganan: gratis"])
def test_indonesian_furniture_forms_are_still_stripped(line: str) -> None:
    assert clean_text(f"Harga beras naik tajam di pasar induk pekan ini.\n{line}").stripped == (line,)
