"""Credit detection (dedup/credits.py) and its data file (dedup/data/credits.toml)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dedup.credits import fold_script, find_credits, load_rules, rules_from_toml
from dedup.errors import ConfigError
from dedup.read.outlet import outlet_from_url

ROOT = Path(__file__).resolve().parents[1]
RULES = load_rules()


def names(text: str, outlet: str = "") -> list[str]:
    return [c.name for c in find_credits(text, outlet)]


@pytest.mark.parametrize("pattern", RULES.patterns, ids=lambda p: p.regex.pattern[:40])
def test_every_pattern_credits_its_own_example(pattern) -> None:  # type: ignore[no-untyped-def]
    assert pattern.example, "every pattern in credits.toml carries an example"
    assert pattern.regex.search(fold_script(pattern.example)), pattern.example
    assert names(pattern.example), pattern.example


def test_required_agencies_are_in_the_data_file() -> None:
    have = {s.name for s in RULES.sources}
    assert {"Reuters", "AFP", "AP", "Antara", "Xinhua", "dpa", "EFE", "ANSA", "Kyodo", "Bernama", "PTI", "APP",
            "INN", "NNI"} <= have
    assert all(RULES.is_agency(n) for n in ("Reuters", "APP", "reuters.com", "antaranews.com"))
    assert not RULES.is_agency("kompas.com") and not RULES.is_agency("korannews.com")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("JAKARTA, Nov 24 (Reuters) - Indonesia plans to cut nickel quotas.", ["Reuters"]),
        ("WASHINGTON (AP) — The Senate voted on Tuesday.", ["AP"]),
        ("Jakarta (ANTARA) - Dinas Kesehatan Provinsi Jawa Barat mencatat ...", ["Antara"]),
        ("Floods hit the south.\n\n— AFP", ["AFP"]),
        ("Reuters reported on Tuesday that the deal had collapsed.", ["Reuters"]),
        ("The toll rose to 12, according to AFP.", ["AFP"]),
        ("Seperti dilansir Reuters dan AFP, Selasa (24/11/2026), badan cuaca ...", ["Reuters", "AFP"]),
        ("Berita ini dilansir dari detik.com pada Selasa.", ["detik.com"]),
        ("Melansir Xinhua, ledakan terjadi pada pagi hari.", ["Xinhua"]),
        ("Pemerintah, mengutip Kyodo, menyebut ...", ["Kyodo"]),
        ("Hal ini dikutip dari detik.com, Rabu.", ["detik.com"]),
        ("Sumber: ANTARA", ["Antara"]),
        ("Sumber: Tempo.co", ["tempo.co"]),
        ("Artikel ini telah tayang di Kompas.com dengan judul \"Banjir\".", ["kompas.com"]),
        ("Read the full story at The Jakarta Post.", ["thejakartapost.com"]),
        ("This article first appeared in The Straits Times.", ["straitstimes.com"]),
        ("ڈھاکہ ۔ یکم دسمبر (اے پی پی) بنگلہ دیش نے زمبابوے کو شکست دے دی۔", ["APP"]),
        ("اسلام آباد (آئی این این) وزیراعظم نے کہا ہے", ["INN"]),
        ("واشنگٹن (آن لائن/ این این آئی) امریکی فوج کے کمانڈر نے کہا", ["Online", "NNI"]),
        ("ڈھاکہ (سپورٹس ڈیسک/اے ایف پی ) تیج الاسلام نے تاریخ رقم کر دی", ["AFP"]),
        ("معیشت بہتر ہو رہی ہے۔اسلام آباد (اے پی پی) انہوں نے کہا", ["APP"]),  # a dateline glued mid-line
        ("رائٹرز کے مطابق ان کی موت خود کشی تھی۔", ["Reuters"]),
        ("نئی دہلی (پی ٹی آئی) بھارتی حکومت نے اعلان کیا", ["PTI"]),  # ambiguous name, but a dateline
        ("KUALA LUMPUR, 24 Nov (Bernama) -- Jumlah mangsa banjir meningkat.\n\n-- BERNAMA", ["Bernama"]),
        # International and South-Asian papers and broadcasters.
        ("The minister told The New York Times that talks would resume.", ["nytimes.com"]),
        ("Five people died, according to the Washington Post.", ["washingtonpost.com"]),
        ("Anadolu Agency reported that the ferry had sunk.", ["Anadolu"]),
        ("ISLAMABAD (Dawn) - The cabinet met on Monday.", ["dawn.com"]),  # "Dawn": datelines only
        ("The spokesman told Geo News on Sunday.", ["geo.tv"]),
        ("Seperti dilansir The New York Times, perundingan itu buntu.", ["nytimes.com"]),
        ("Pemerintah Korea Selatan, mengutip Yonhap, menyebut ...", ["Yonhap"]),
        ("مذاکرات جاری ہیں، ایک امریکی عہدیدار نے نیویارک ٹائمز کو بتایا۔", ["nytimes.com"]),
        ("برطانوی اخبار گارڈین کے مطابق وزیر مستعفی ہو گئے۔", ["theguardian.com"]),
        ("تہران (ارنا) ایرانی صدر نے کہا", ["IRNA"]),
        ("لندن (رائٹر) برطانوی حکومت نے نئی پالیسی کا اعلان کیا۔", ["Reuters"]),  # "writer" elsewhere
        # A name glued to the Urdu full stop before it, as Urdu papers write.
        ("فلم اگلے ماہ ریلیز ہوگی۔زی نیوز کے مطابق اداکار نے شوٹنگ مکمل کر لی۔", ["Zee Media"]),
        # Variant spellings listed in the data file: "Indonesian" for "Indo-Asian", "انٹر ویا".
        ("اداکار نے انڈونیشین نیوز سروس کو انٹرویو دیتے ہوئے نئی فلم کا ذکر کیا۔", ["IANS"]),
        ("گلوکارہ نے آئی اے این ایس کو انٹر ویا دیتے ہوئے خوشی ظاہر کی۔", ["IANS"]),
        # Misspelt agency names in strong positions: a dateline's "(...)", "خبر رساں ایجنسی ...".
        ("سیلاب سے دس افراد ہلاک ہوئے، خبر رساں ایجنسی عنہوا کے مطابق۔", ["Xinhua"]),
        ("لندن (روئٹر) برطانوی حکومت نے نئی پالیسی کا اعلان کیا۔", ["Reuters"]),
        ("اسلام آباد (آنلائن) وزیراعظم نے اجلاس طلب کر لیا۔", ["Online"]),
    ],
)
def test_credits_found(text: str, expected: list[str]) -> None:
    assert names(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # Stories ABOUT an agency, or quotes from its staff, are not credits.
        "Thomson Reuters reported higher quarterly revenue on Thursday.",
        "Reuters reported a 5% rise in profit as its news division grew.",
        "\"It was chaos,\" AFP photographer Jean Dupont said at the scene.",
        "The flood was captured by an AFP photographer, according to the agency.",
        "The image, according to AFP photographers at the scene, shows the dam breaking.",
        "Two Reuters journalists were detained in Yangon on Tuesday.",
        "Residents wade through the flooded street in Hat Yai. (AFP)",  # a photo caption, not a dateline
        "Foto: AFP",
        # Names only count inside credit phrases; everyday words that look like names are not names.
        "Reuters and AFP are news agencies; Bernama is Malaysia's.",
        "Jarak antara dua desa itu 5 km, antara lain karena banjir.",
        "Tempo hari warga sudah mengungsi.",
        "پاکستانی ٹیم کی کپتان ثناء میر نے ٹاس جیت لیا۔",  # Sana Mir, a cricketer, not Sana News
        "فوج کے اسکرپٹ رائٹر کے طور پر کردار ادا کیا۔",  # "script writer", not Reuters
        "اسلام آباد (مانیٹرنگ ڈیسک) وزیراعظم نے کہا",  # the paper's own desk
        "پی ٹی آئی کے چیئرمین عمران خان نے کہا",  # PTI the party, in running text
        "اسلام آباد (نیوز ایجنسیاں) وزیراعظم نے کہا",  # unnamed agencies
        # Outlet names that are ordinary words or people.
        "Officials, according to the Guardian Council, rejected the candidates.",
        "Dawn broke over the city, according to witnesses.",
        "He told Dawn, his sister, that he would return.",
        "اسکرپٹ رائٹر کے مطابق فلم کی کہانی نئی ہے۔",  # "writer"; "(رائٹر)" only in a dateline
        "مائیکل بلومبرگ کے مطابق معیشت بہتر ہو رہی ہے۔",  # Michael Bloomberg, not Bloomberg News
        "جنگ کے مطابق فیصلے کیے گئے",  # "war", not the paper Jang
        "اسلام آباد (آج) وزیراعظم نے کہا",  # "today", not Aaj TV
        "کراچی (نمائندہ جنگ) شہر میں بارش ہوئی",  # the paper's own reporter
        "لاہور (دنیا نیوز) وزیراعظم نے کہا",  # the paper's own channel
        # Misspellings: only in strong positions, only agency names of >= 5 letters, never real words.
        "عنہوا کے مطابق دھماکہ صبح ہوا۔",  # "according to": not a strong position
        "جاپان (کیوٹو) میں زلزلہ آیا جس سے عمارتیں گر گئیں۔",  # Kyoto, one letter from Kyodo
        "جاپان کی خبر رساں ایجنسی کیوٹو میں واقع ہے۔",
        "نظام (آف لائن) کام کرتا رہا اور صارفین خوش رہے",  # offline, one letter from Online
        "کراچی (آئی ایس پی) انٹرنیٹ سروس بند رہی۔",  # an acronym one letter from INP: never fuzzy
        "پشاور (اے این پی) کے رہنما نے کہا",  # ANP, a party
        "اسلام آباد (وقت نیوز) وزیراعظم نے کہا",
        "اسلام آباد (نیٹ نیوز) وزیراعظم نے کہا",
        "خبر رساں ادارے کے مطابق دھماکہ صبح ہوا۔",  # an unnamed agency
        "غیر ملکی خبر رساں ادارے سے بات کرتے ہوئے انہوں نے کہا",
    ],
)
def test_precision_not_a_credit(text: str) -> None:
    assert names(text) == []


def test_an_article_never_credits_its_own_outlet() -> None:
    assert names("KUALA LUMPUR, Nov 24 (Reuters) - ... he told Reuters.", outlet="reuters.com") == []
    assert names("JAKARTA, KOMPAS.com - Banjir rob.", outlet="kompas.com") == []
    assert names("کراچی (اے پی پی) اسٹیٹ بینک نے کہا", outlet="APP") == []
    assert names("JAKARTA, KOMPAS.com - Banjir rob.", outlet="korannews.com") == ["kompas.com"]


def test_domains_count_only_where_a_pattern_allows_them() -> None:
    # "Sumber:" and "dikutip dari" take any domain; a dateline does not (it is often the copier's own edition).
    assert names("Sumber: warta24.net") == ["warta24.net"]
    assert names("Dikutip dari www.Detik.com, Selasa.") == ["detik.com"]
    assert names("TRIBUNJATENG.COM, PEKALONGAN - Banjir rob merendam desa.", outlet="tribunnews.com") == []


def test_urdu_spelling_variants_are_folded() -> None:
    # "آ" written as ا + madda, and Arabic yeh for Urdu yeh, as COUNTER's texts do.
    decomposed = "لاہور (\u0627\u0653\u0646 \u0644\u0627\u0626\u0646) حکومت نے فیصلہ کیا"
    assert names(decomposed) == ["Online"]
    arabic_yeh = "اسلام آباد (\u0627\u064a\u0646 \u0627\u064a\u0646 \u0622\u0626\u064a) قومی اسمبلی نے قرارداد منظور کی"
    assert names(arabic_yeh) == ["NNI"]


def test_evidence_phrase_and_kind() -> None:
    (c,) = find_credits("Seperti dilansir Reuters, Selasa.")
    assert (c.name, c.kind) == ("Reuters", "agency")
    assert "dilansir Reuters" in c.phrase
    (d,) = find_credits("Sumber: warta24.net")
    assert (d.name, d.kind) == ("warta24.net", "outlet")


def test_canonical_names() -> None:
    assert RULES.canonical("reuters.com") == "Reuters"
    assert RULES.canonical("APP") == RULES.canonical("app") == "APP"
    assert RULES.canonical("www.detik.com") == "detik.com"
    assert RULES.canonical("korannews.com") == "korannews.com"
    assert RULES.canonical("nawa-e-waqt") == "nawa-e-waqt"


def test_sample_corpus_credits_match_truth() -> None:
    """Every credit in examples/truth.json is found, and nothing else (precision and recall 1.0)."""
    truth = json.loads((ROOT / "examples" / "truth.json").read_text(encoding="utf-8"))["credits"]
    for night in ("night1.jsonl", "night2.jsonl"):
        for line in (ROOT / "examples" / "sample" / night).read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            outlet = rec.get("outlet") or outlet_from_url(rec["url"])
            assert sorted(names(rec["text"], outlet)) == sorted(truth.get(rec["id"], [])), rec["id"]


def test_bad_rules_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="kind must be one of"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "wire"\naliases.en = ["X"]\n')
    with pytest.raises(ConfigError, match="must use"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "agency"\naliases.en = ["X"]\n[[pattern]]\nregex = "according to"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        rules_from_toml("[[source]\n")
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "missing.toml")


def test_custom_rules_file(tmp_path: Path) -> None:
    f = tmp_path / "credits.toml"
    f.write_text('[[source]]\nname = "Acme"\nkind = "agency"\naliases.en = ["ACME Wire"]\n'
                 '[[pattern]]\nregex = \'\'\'courtesy of {names}\'\'\'\nexample = "Courtesy of ACME Wire."\n', encoding="utf-8")
    rules = load_rules(f)
    assert [c.name for c in rules.find("Photo and text courtesy of ACME Wire.")] == ["Acme"]
    assert rules.find("Courtesy of Reuters.") == ()


def test_misspellings_agency_only_unambiguous_and_never_a_listed_word() -> None:
    rules = rules_from_toml(
        '[[source]]\nname = "One"\nkind = "agency"\naliases.ur = ["ابجدہ"]\n'
        '[[source]]\nname = "Two"\nkind = "agency"\naliases.ur = ["ابجدو"]\n'
        '[[source]]\nname = "Paper"\nkind = "outlet"\naliases.ur = ["ہوزحط"]\n'
        '[misspellings]\nnot_names.ur = ["ابجزہ"]\n'
        '[[pattern]]\nfuzzy = true\nregex = \'\'\'^[^\\n()]{0,80}?{paren}\'\'\'\nexample = "شہر (ابجدہ) خبر"\n'
    )
    def found(text: str) -> list[str]:
        return [c.name for c in rules.find(text)]
    assert found("شہر (ابجدہ) خبر") == ["One"]
    assert found("شہر (ابجد) خبر") == []  # one letter from both agencies: which?
    assert found("شہر (ابجرہ) خبر") == ["One"]  # one letter from "One" only
    assert found("شہر (ابجزہ) خبر") == []  # as close, but a listed real word
    assert found("شہر (ہوزحت) خبر") == []  # outlets are never matched fuzzily
    assert found("شہر (ابجدہہ) خبر") == ["One"]
    with pytest.raises(ConfigError, match="not_names"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "agency"\naliases.en = ["X"]\n'
                        '[misspellings]\nnot_names = ["a"]\n')
