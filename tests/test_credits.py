"""Credit detection (dedup/credits/) and its data file (dedup/data/credits.toml)."""

from __future__ import annotations

import json
import re
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
    # The agencies whose credit forms the 2026-11-26 audit found missing, with their outlets' domains.
    for name, domain in (("Reuters", "reuters.com"), ("AFP", "afp.com"), ("AP", "apnews.com"), ("EFE", "efe.com"),
                         ("ANSA", "ansa.it"), ("dpa", "dpa.com")):
        assert RULES.canonical(domain) == name and RULES.is_agency(domain)


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
        ("Talks would resume, The New York Times reported.", ["nytimes.com"]),
        ("Five people died, according to the Washington Post.", ["washingtonpost.com"]),
        ("Anadolu Agency reported that the ferry had sunk.", ["Anadolu"]),
        ("ISLAMABAD (Dawn) - The cabinet met on Monday.", ["dawn.com"]),  # "Dawn": datelines only
        ("Geo News reported on Sunday that the talks had resumed.", ["geo.tv"]),
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
        # Names that Urdu credit lines name: Indian and Pakistani agencies, papers and channels,
        # Gulf and international outlets, written out in Urdu.
        ("انہوں نے پریس ٹرسٹ آف انڈیا سے خصوصی گفتگو میں کہا کہ معیشت مستحکم ہے۔", ["PTI"]),
        ("یونائیٹڈ نیوز آف انڈیا کے مطابق ریاست میں بارش ہوئی۔", ["UNI"]),
        ("کشمیر میڈیا سروس کے مطابق وادی میں ہڑتال رہی۔", ["KMS"]),
        ("سری نگر (کے ایم ایس) مقبوضہ وادی میں ہڑتال رہی۔", ["KMS"]),  # "کے ایم ایس": datelines only
        ("سانتا بانتا نیوز کے مطابق اداکارہ نئی فلم میں کام کریں گی۔", ["santabanta.com"]),
        ("ریڈیو پاکستان سے گفتگو کرتے ہوئے وزیر نے کہا کہ برآمدات بڑھیں گی۔", ["radio.gov.pk"]),
        ("اداکارہ نے فلم فیئر کو انٹرویو دیتے ہوئے کہا کہ وہ شادی نہیں کر رہیں۔", ["filmfare.com"]),
        ("انہوں نے انڈین ایکسپریس سے بات کرتے ہوئے کہا کہ پارٹی متحد ہے۔", ["indianexpress.com"]),
        ("قطر نیوز ایجنسی کے مطابق امیر نے دورہ مکمل کر لیا۔", ["QNA"]),
        ("ترک خبر رساں ادارے انادولو ایجنسی کے مطابق زلزلے سے نقصان ہوا۔", ["Anadolu"]),
        ("فوربز کی تازہ رپورٹ کے مطابق وہ دنیا کے امیر ترین شخص ہیں۔", ["forbes.com"]),
        # The longest name wins: APP written out (not AP's "ایسوسی ایٹڈ پریس"), CNN-IBN (not CNN).
        ("خبر رساں ادارے ایسوسی ایٹڈ پریس آف پاکستان کے مطابق اجلاس ملتوی ہو گیا۔", ["APP"]),
        ("سی این این آئی بی این سے گفتگو کرتے ہوئے اداکار نے کہا کہ وہ خوش ہیں۔", ["news18.com"]),
        # Told X, in more phrasings: an adjective before the noun, "X کے نمائندے", "X کو دیے گئے انٹرویو",
        # "X میں شائع رپورٹ", "X کی رپورٹ میں", "X سے کہا" (agencies), the speaker between name and phrase.
        ("یہ بات انہوں نے پاکستان ٹیلی ویژن سے خصوصی بات چیت کرتے ہوئے کہی۔", ["ptv.com.pk"]),
        ("انہوں نے رائٹرز سے ٹیلی فون پر گفتگو میں کہا کہ وہ واپس آئیں گے۔", ["Reuters"]),
        ("بی بی سی کے نمائندے سے گفتگو کرتے ہوئے انہوں نے کہا کہ صورتحال بہتر ہے۔", ["bbc.com"]),
        ("جیو نیوز کو دیے گئے انٹرویو میں وزیر نے کہا کہ بجٹ متوازن ہوگا۔", ["geo.tv"]),
        ("نیویارک ٹائمز میں شائع ہونے والی رپورٹ میں کہا گیا ہے کہ معاہدہ ہو گیا۔", ["nytimes.com"]),
        ("الجزیرہ کی رپورٹ میں بتایا گیا کہ لڑائی جاری ہے۔", ["aljazeera.com"]),
        ("انہوں نے آئی اے این ایس سے کہا کہ فلم کی شوٹنگ مکمل ہو گئی ہے۔", ["IANS"]),
        ("انڈو ایشین نیوز سروس سے گلوکار نے انٹرویو میں کہا کہ وہ خوش ہیں۔", ["IANS"]),
        ("رائٹرز کو ایک سینئر عہدیدار نے بتایا کہ مذاکرات جاری ہیں۔", ["Reuters"]),
        # Urdu lists: "X اور Y" credits both when both are names.
        ("گلوکار نے پریس ٹرسٹ آف انڈیا اور مڈ ڈے سے انٹرویو میں کہا کہ نیا البم آئے گا۔", ["PTI", "mid-day.com"]),
        ("رائٹرز اور اے ایف پی کے مطابق دھماکہ صبح ہوا۔", ["Reuters", "AFP"]),
        ("بی بی سی اور سی این این نے رپورٹ کیا کہ انتخابات ملتوی ہو گئے ہیں۔", ["bbc.com", "cnn.com"]),
        ("اسلام آباد (اے پی پی اور آن لائن) وزیراعظم نے کہا", ["APP", "Online"]),
        # Long names in any Urdu credit position: a word split by a space, two letters swapped.
        ("انہوں نے انڈوایشین نیوز سر وس سے انٹرو یو میں کہا کہ فلم اچھی ہے۔", ["IANS"]),
        ("اداکار نے انڈوایشین نیوز سرسو سے انٹرویو میں کہا کہ فلم اچھی ہے۔", ["IANS"]),
        ("یہ بات انہوں نے پاکستان ٹیلی و یژن سے گفتگو میں کہی۔", ["ptv.com.pk"]),
        # Fourth round. Names that are also words or things count after a descriptor that says
        # what they are ("چینی ٹی وی سی سی ٹی وی", Chinese TV CCTV; "اخبار ڈان", the paper Dawn), or
        # where they have a website; dateline-only names after a descriptor of their kind.
        ("چین کے سرکاری ٹی وی سی سی ٹی وی کے مطابق فیکٹری میں دھماکہ ہوا۔", ["cctv.com"]),
        ("دھماکے کی تفصیل سی سی ٹی وی نے اپنی ویب سائٹ پر جاری کی۔", ["cctv.com"]),
        ("سی سی ٹی وی کی ویب سائٹ پر شائع رپورٹ میں کہا گیا کہ آگ بجھا دی گئی۔", ["cctv.com"]),
        ("بھارتی خبر رساں ادارے پی ٹی آئی کے مطابق ممبئی میں بارش ہوئی۔", ["PTI"]),
        ("نیوز ایجنسی یو این آئی سے گفتگو میں وزیر نے کہا کہ بجٹ متوازن ہوگا۔", ["UNI"]),
        ("انگریزی اخبار ڈان کے مطابق بجٹ خسارہ بڑھ گیا۔", ["dawn.com"]),
        ("بھارتی ٹی وی آج تک نے بتایا کہ اداکار ہسپتال میں ہیں۔", ["aajtak.in"]),
        ("نجی ٹی وی آج نیوز سے گفتگو کرتے ہوئے وزیر نے کہا کہ اجلاس کل ہوگا۔", ["aaj.tv"]),
        ("جرمن اخبار بلڈ نے لکھا ہے کہ کھلاڑی فٹ ہے۔", ["bild.de"]),
        ("امریکی جریدے فارن پالیسی نے اپنی تازہ رپورٹ میں لکھا ہے کہ امداد کم ہو گی۔", ["foreignpolicy.com"]),
        ("فلسطینی خبر رساں ادارے وفا کے مطابق دو افراد زخمی ہوئے۔", ["WAFA"]),
        ("روس کے خبر رساں ادارے سپوتنک کے مطابق مذاکرات جاری ہیں۔", ["sputniknews.com"]),
        ("سعودی اخبار الوطن کی رپورٹ کے مطابق ویزا فیس بڑھ گئی۔", ["alwatan.com.sa"]),
        ("ترک اخبار حریت کے مطابق صدر نے استعفیٰ مسترد کر دیا۔", ["hurriyet.com.tr"]),
        # More organisations, in the Urdu forms papers use.
        ("کشمیر ٹائمز کے مطابق وادی میں کرفیو نافذ ہے۔", ["kashmirtimes.com"]),
        ("سری نگر (کے این ایس) وادی میں ہڑتال رہی۔", ["KNS"]),
        ("افغان اسلامک پریس کے مطابق حملے کی ذمہ داری قبول کر لی گئی۔", ["AIP"]),
        ("امریکی اخبار وال سٹریٹ جنرل نے انکشاف کیا ہے کہ معاہدہ ہو گیا۔", ["wsj.com"]),
        ("برطانوی اخبار دی ٹائمز کے مطابق وزیر مستعفی ہو گئے۔", ["thetimes.co.uk"]),
        ("برطانوی اخبار ٹیلی گراف کے مطابق پارلیمنٹ میں بحث ہوئی۔", ["telegraph.co.uk"]),
        ("بریڈ فورڈ ٹیلی گراف نے ایک رپورٹ میں کہا ہے کہ کونسل نے بجٹ منظور کر لیا۔", ["thetelegraphandargus.co.uk"]),
        ("روئٹر کے مطابق تیل کی قیمت بڑھ گئی۔", ["Reuters"]),
        ("باکس آفس انڈیا کے مطابق فلم نے سو کروڑ کما لیے۔", ["boxofficeindia.com"]),
        ("سعودی اخبار اردو نیوز کے مطابق ویزا کی مدت بڑھا دی گئی۔", ["urdunews.com"]),
        ("انڈیپنڈنٹ اردو سے گفتگو میں انہوں نے کہا کہ تحقیقات جاری ہیں۔", ["independenturdu.com"]),
        # A word after the name ("ٹی وی", "بیورو", "اردو سروس", "نیوز ایجنسی", "ڈاٹ کام").
        ("اداکار نے زی میڈیا بیورو سے انٹرویو میں کہا کہ فلم مکمل ہو گئی۔", ["Zee Media"]),
        ("الجزیرہ ٹی وی نے بتایا کہ لڑائی جاری ہے۔", ["aljazeera.com"]),
        ("بی بی سی اردو سروس سے گفتگو کرتے ہوئے انہوں نے کہا کہ حالات بہتر ہیں۔", ["bbc.com"]),
        ("شنہوا نیوز ایجنسی کے مطابق زلزلے سے عمارتیں گر گئیں۔", ["Xinhua"]),
        ("ٹائمز آف انڈیا ڈاٹ کام کے مطابق فلم کامیاب رہی۔", ["timesofindia.indiatimes.com"]),
        # More phrasings: X said / wrote / says, citing X, X's programme, broadcast on X, "انٹریو".
        ("بی بی سی کا کہنا ہے کہ انتخابات ملتوی ہو گئے۔", ["bbc.com"]),
        ("الجزیرہ نے اپنی نشریات میں بتایا کہ شہر پر قبضہ ہو گیا۔", ["aljazeera.com"]),
        ("بحوالہ اے ایف پی، تیل کی قیمت بڑھ گئی۔", ["AFP"]),
        ("غیر ملکی میڈیا نے رائٹرز کے حوالے سے بتایا کہ مذاکرات ناکام ہو گئے۔", ["Reuters"]),
        ("خبر رساں ادارے اے پی نے بورڈ کے ایک ترجمان کے حوالے سے بتایا کہ کپتان زخمی ہے۔", ["AP"]),
        ("اے آر وائی نیوز کے پروگرام 'سوال یہ ہے' میں گفتگو کرتے ہوئے انہوں نے کہا", ["arynews.tv"]),
        ("پی ٹی وی پر نشر ہونے والے انٹرویو میں وزیر اعظم نے کہا کہ معیشت بہتر ہے۔", ["ptv.com.pk"]),
        ("اداکارہ نے مڈ ڈے سے انٹریو میں کہا کہ وہ گانا سیکھ رہی ہیں۔", ["mid-day.com"]),
        ("بی بی سی کے نامہ نگار کے مطابق شہر میں کرفیو ہے۔", ["bbc.com"]),
        ("رائٹرز کی تازہ ترین رپورٹ کے مطابق تیل مہنگا ہو گیا۔", ["Reuters"]),
        ("اے پی پی کی جانب سے جاری رپورٹ میں کہا گیا کہ برآمدات بڑھ گئیں۔", ["APP"]),
        # A name glued to the word before or after it (no visible space after a non-joining letter).
        ("لندن (اے پی پی) برطانوی اخبارفنانشل ٹائمزکے مطابق مہنگائی کم ہوئی۔", ["APP", "ft.com"]),
        ("انگریزی اخبارڈان کے مطابق بجٹ خسارہ بڑھ گیا۔", ["dawn.com"]),
        ("انہوں نے رائٹرزسے گفتگو میں کہا کہ وہ مستعفی نہیں ہوں گے۔", ["Reuters"]),
        ("اسلام آباد (ثناءنیوز) وزیراعظم نے اجلاس طلب کر لیا۔", ["SANA"]),  # no space after "ء"
        ("ریڈیوپاکستان سے گفتگو کرتے ہوئے وزیر نے کہا کہ برآمدات بڑھیں گی۔", ["radio.gov.pk"]),
        # English descriptors and websites.
        ("News agency PTI reported that the talks would resume.", ["PTI"]),
        ("The blast killed 68 people, according to state broadcaster CCTV.", ["cctv.com"]),
        ("Taxes will rise, according to the newspaper Dawn.", ["dawn.com"]),
        ("The toll rose to 12, CCTV said on its website.", ["cctv.com"]),
        # Agency credits a user audit of real pages found missing (2026-11-26): bylines, copyright
        # lines, reporting credits, sign-offs, Spanish, Italian and German forms.
        ("By Reuters\n\nOil prices rose on Tuesday.", ["Reuters"]),
        ("By AFP | Published 24 November 2026\n\nFloods hit the south.", ["AFP"]),
        ("By The Associated Press\n\nWASHINGTON — The Senate voted on Tuesday.", ["AP"]),
        ("By JOHN SMITH, Associated Press\n\nWASHINGTON — The Senate voted on Tuesday.", ["AP"]),
        ("By Reuters Staff\n\nOil prices rose on Tuesday.", ["Reuters"]),
        ("By REUTERS 11/20/2019 10:08 AM\n\nRussia criticised the strikes.", ["Reuters"]),
        ("The Senate voted.\n\nCopyright 2019 The Associated Press. All rights reserved.", ["AP"]),
        ("The Senate voted. ©2019 The Associated Press. All rights reserved. Terms of use", ["AP"]),
        ("Oil rose.\n\n(Reporting by Will Dunham; Editing by Tom Brown)\n\n© Reuters", ["Reuters"]),
        ("Oil rose.\n\nAdditional reporting by Reuters; Editing by Tom Brown", ["Reuters"]),
        ("Oil rose.\n\n(Reporting by Reuters; Editing by Tom Brown)", ["Reuters"]),
        ("Oil rose.\n\n(Reporting by Jane Doe in Paris for Reuters; Editing by Tom Brown)", ["Reuters"]),
        ("Floods hit the south on Tuesday, killing 12 people.\n\nWith AFP", ["AFP"]),
        ("Floods hit the south on Tuesday, killing 12 people, officials said, with AFP", ["AFP"]),
        ("Floods hit the south on Tuesday. (With AFP and Reuters)", ["AFP", "Reuters"]),
        ("Les inondations ont fait 12 morts.\n\nAvec AFP", ["AFP"]),
        ("Floods hit the south.\n\nThis story was provided by AFP.", ["AFP"]),
        ("The Associated Press contributed to this report.", ["AP"]),
        ("Por Agencia EFE\n\nEl presidente de Chile viajará este miércoles a Lima.", ["EFE"]),
        ("Agencia EFE\n\nEl presidente de Chile viajará este miércoles a Lima.", ["EFE"]),
        ("MADRID, 24 nov (EFE).- El Gobierno aprobó el presupuesto.", ["EFE"]),
        ("Bogotá, 24 nov EFE.- El Gobierno aprobó el presupuesto.", ["EFE"]),
        ("El Gobierno aprobó hoy el presupuesto de 2027 tras una larga negociación con los socios de la coalición, "
         "según informó el ministerio en un comunicado. (EFE)", ["EFE"]),
        ("La California ha certificato l'esito del voto dando a Joe Biden oltre i 270 grandi elettori necessari. "
         "Al momento l'esponente dem ha 288 voti, contro i 222 di Donald Trump. (ANSA).", ["ANSA"]),
        ("Die FDP lehnt die Pläne ab, Bundeskanzler Olaf Scholz (SPD) hat sich dazu bisher skeptisch geäußert, hieß es am Montag in Berlin aus Regierungskreisen. (dpa)", ["dpa"]),
        ("Die FDP lehnt die Pläne ab, Bundeskanzler Olaf Scholz (SPD) hat sich dazu bisher skeptisch geäußert, hieß es am Montag in Berlin aus Regierungskreisen. (dpa/gem)", ["dpa"]),
        ("Sie stehen für eine klassische deutsche Ehe.»\n\n© dpa-infocom, dpa:201227-99-820474/3", ["dpa"]),
        ("Amenaza nuclear contra Estados Unidos.\n\n(Con información de AFP, EFE y Reuters)", ["AFP", "EFE", "Reuters"]),
        # What the agency itself counted or reported: "according to a Reuters tally", "by Reuters' count".
        ("At least 40 people have died, according to a Reuters tally.", ["Reuters"]),
        ("At least 40 people have died, according to AFP calculations.", ["AFP"]),
        ("At least 40 people have died, according to Reuters' count.", ["Reuters"]),
        ("By Reuters' count, at least 40 people have died since Monday.", ["Reuters"]),
        ("At least 40 people have died, by an AFP tally.", ["AFP"]),
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
        # The new phrasings with a person in the name's place.
        "انہوں نے ثناء میر سے گفتگو میں کہا کہ ٹیم اچھا کھیلی۔",  # Sana Mir, not Sana News
        "اداکارہ صباح قمر سے خصوصی بات چیت میں انہوں نے کہا",  # Saba Qamar, not Sabah News
        "انہوں نے اداکارہ کترینہ کیف سے انٹرویو میں پوچھا",
        "انہوں نے وزیر اعلیٰ سے کہا کہ سیلاب زدگان کی مدد کی جائے۔",
        "سانتا بانتا کے لطیفے بہت مشہور ہیں۔",  # the joke characters, not santabanta.com
        # Organisations that are not news media, in the same positions.
        "ہسپتال کے ایم ایس کے مطابق زخمیوں کی حالت خطرے سے باہر ہے۔",  # a medical superintendent, not KMS
        "پی ٹی آئی سے بات چیت کے لیے حکومت نے کمیٹی بنا دی۔",  # the party
        "آئی ایس پی آر کے مطابق آپریشن جاری ہے۔",
        "حکومت نے پیمرا سے کہا کہ وہ کارروائی کرے۔",
        "پاکستان پریس کلب کے مطابق صحافیوں نے احتجاج کیا۔",
        # The paper's own channel, and unnamed media.
        "دنیا نیوز سے گفتگو کرتے ہوئے وزیر نے کہا کہ بجٹ متوازن ہوگا۔",
        "وقت نیوز کو بتایا گیا کہ اجلاس ملتوی ہو گیا۔",
        "ایکسپریس نیوز کے مطابق اجلاس ہوا۔",
        "نجی ٹی وی سے گفتگو کرتے ہوئے انہوں نے کہا",
        "ایک اخبار کو انٹرویو میں انہوں نے کہا",
        "انہوں نے صحافیوں سے گفتگو کرتے ہوئے کہا کہ حکومت مستحکم ہے۔",
        "وزیر نے آن لائن بات چیت میں کہا کہ منصوبہ مکمل ہوگا۔",  # online, not the agency
        # "X سے کہا": an order to a channel, "X was asked", "asked X to ...".
        "عدالت نے جیو نیوز سے کہا کہ جواب جمع کرائے۔",
        "حکومت نے اے پی پی سے کہا کہ وہ خبر واپس لے۔",
        "آئی اے این ایس سے کہا گیا کہ وہ وضاحت کرے۔",
        # A word between name and phrase that makes X something else than the listener.
        "بی بی سی سے وابستہ صحافی نے انٹرویو میں کہا کہ حالات خراب ہیں۔",
        "اے ایف پی سے تعلق رکھنے والے فوٹوگرافر نے گفتگو میں بتایا",
        "رائٹرز سے پہلے ایک صحافی نے انٹرویو میں بتایا",
        # Descriptions one letter from a long name ("قطری" Qatari, not "قطر" Qatar), and words.
        "قطری نیوز ایجنسی کے مطابق امیر نے دورہ مکمل کر لیا۔",
        "کویتی نیوز ایجنسی کے مطابق اجلاس ہوا۔",
        "یہ بات انہوں نے پاکستانی ٹیلی ویژن سے گفتگو میں کہی۔",
        "مصر نیوز ایجنسی کے مطابق اجلاس ہوا۔",  # Egypt's: one letter from Mehr's "مہر", in a short word
        "مڈ ڈے میل کے مطابق بچوں کو روزانہ کھانا دیا جاتا ہے۔",  # the midday-meal scheme
        "ڈی این اے کے مطابق لاش کی شناخت ہو گئی۔",  # DNA, not DNA India
        "سی سی ٹی وی کے مطابق ملزم فرار ہو گیا۔",  # the cameras, not CCTV the broadcaster
        "مظاہرین نے پی ٹی وی کے ہیڈ کوارٹر پر حملہ کیا۔",  # PTV as a target, not a source
        "ہاکی میں پی ٹی وی اور واپڈا کی ٹیمیں آمنے سامنے ہوں گی۔",  # PTV's hockey team
        "انقلاب کے مطابق عوام نے فیصلہ کیا۔",  # "revolution": only "روزنامہ انقلاب" is the paper
        "ہندو عقائد کے مطابق یہ دن مقدس ہے۔",
        "The festival falls in March, according to the Hindu calendar.",
        "He told Steve Forbes that taxes were too high.",
        # Fourth round. Media and dateline names without a descriptor of their kind, or with one
        # but no credit phrase after them: cameras, a party, a don, a child's guardian, words.
        "سی سی ٹی وی کیمروں کی فوٹیج کے مطابق ڈاکو تین تھے۔",
        "پولیس نے سی سی ٹی وی کی مدد سے ملزم پکڑ لیا۔",
        "غیر ملکی خبر رساں ادارے سی سی ٹی وی فوٹیج دکھا رہے ہیں۔",  # news agencies (plural), cameras
        "ٹی وی چینل سی سی ٹی وی فوٹیج نشر کر رہے ہیں۔",
        "غیر ملکی خبر رساں ادارے پی ٹی آئی کے دھرنے کی کوریج کر رہے ہیں۔",  # the party
        "سرکاری ٹی وی پی ٹی آئی سے بات چیت کی کوریج نہیں کر رہا۔",  # an outlet descriptor: not the agency
        "پی ٹی آئی نے اپنی ویب سائٹ پر امیدواروں کی فہرست جاری کر دی۔",  # a party's website
        "پی ٹی آئی کا کہنا ہے کہ انتخابات میں دھاندلی ہوئی۔",
        "حریت کانفرنس کی ویب سائٹ پر جاری بیان میں کہا گیا کہ ہڑتال ہو گی۔",
        "حریت نے اپنی ویب سائٹ پر بیان جاری کیا۔",  # the Hurriyat Conference, not the Turkish paper
        "ہسپتال کے ایم ایس نے بتایا کہ زخمیوں کی حالت بہتر ہے۔",
        "انڈر ورلڈ ڈان کا کہنا ہے کہ وہ بے قصور ہے۔",
        "طالب علم کے گارڈین کا کہنا ہے کہ فیس زیادہ ہے۔",
        "بچے کے گارڈین نے بتایا کہ وہ سکول نہیں گیا۔",
        "آج تک کے مطابق کوئی فیصلہ نہیں ہوا۔",  # "until today"
        "آئی ایم ایف کی ورلڈ اکنامک آؤٹ لک رپورٹ کے مطابق ترقی کم ہوگی۔",
        "معروف اکانومسٹ کا کہنا ہے کہ معیشت سست ہے۔",
        "ملک کی فارن پالیسی کے مطابق فیصلے کیے جاتے ہیں۔",
        "اس خبر نے ملک میں تہلکہ مچا دیا۔",
        "بلڈ بینک کی ویب سائٹ پر عطیہ دہندگان کی فہرست موجود ہے۔",
        "آر ٹی ایس کے مطابق نتائج تاخیر سے آئے۔",
        "حکومت نے منظوری دی سن 2014 میں منصوبہ شروع ہوا۔",
        # The new phrasings where the name is not the source: "said about X", "about online
        # matters", an attack on X's website, X's staff as the speaker.
        "وزیر نے پی ٹی وی کے حوالے سے بتایا کہ ادارے میں اصلاحات ہوں گی۔",  # "about PTV": agencies only
        "اے پی پی کے حوالے سے کہا گیا کہ ادارے کو فنڈز ملیں گے۔",
        "حکومت نے آن لائن کے حوالے سے بتایا کہ نظام بہتر ہوگا۔",
        "ہیکرز نے بی بی سی کی ویب سائٹ پر حملہ کیا۔",
        "پیمرا نے جیو نیوز کی ویب سائٹ بند کر دی۔",
        "سی این این کے اینکر نے بتایا کہ وہ ملک چھوڑ رہے ہیں۔",
        "اے ایف پی کے فوٹوگرافر نے بتایا کہ صورتحال خراب ہے۔",
        "اے ایف پی کے فوٹوگرافر کے مطابق پل ٹوٹ گیا۔",
        "حکومت کی جانب سے جاری رپورٹ میں کہا گیا کہ برآمدات بڑھ گئیں۔",
        # A word after "آن لائن" (online) does not make it the agency; "انٹری" (entry) is no interview.
        "وزیر نے ایک آن لائن ٹی وی سے گفتگو میں کہا کہ منصوبہ مکمل ہوگا۔",
        "ایک آن لائن ویب سائٹ کے مطابق قیمتیں بڑھ گئیں۔",
        "کھلاڑی کو پی ٹی وی سے انٹری ملی اور وہ ٹیم میں شامل ہو گیا۔",
        # Short names inside longer words, after a non-joining letter ("عوامی", "انسانی", "گزارنا").
        "پاکستان عوامی تحریک کے مطابق دھرنا جاری رہے گا۔",
        "انسانی حقوق کی تنظیموں کے مطابق صورتحال خراب ہے۔",
        "وہ سادہ زندگی گزارنا کے بجائے شہرت چاہتے ہیں۔",
        "Police said CCTV footage showed the suspect.",
        "According to CCTV footage, the car sped away.",
        "The party PTI said on its website that it would protest.",
        # Quote attributions in English (a user audit, 2026-11-26): the article reports what someone
        # told an outlet; it is not copied from it. (Urdu "X کو بتایا" still counts: COUNTER's rule.)
        "\"We will not back down,\" the minister told the BBC.",
        "\"It's not just migrants,\" Arroyo, a signatory to the letter, told NBC News.",
        "He said in an interview with CNN that he would run again.",
        "Speaking to Reuters, the minister said talks would resume.",
        "Oil fell after sources told Reuters that Russia is unlikely to agree to deeper cuts.",
        "Six men were killed, an insurgent source told Agence France-Presse.",
        "The minister told The New York Times that talks would resume.",
        "The minister told the newspaper Dawn that taxes would rise.",
        "\"We are on it,\" a WeWork spokesperson said when contacted by Reuters.",
        "Claure said in an email to staff that was reviewed by Reuters.",
        "The plan is outlined in a document seen by AFP.",
        "The minister spoke with AFP on Tuesday.",
        "The minister spoke with AFP.",
        # Near misses of the new forms: no byline, a photo credit, a party's initials, a podcast.
        "By Tuesday, AFP had counted 12 dead in the flooded villages.",
        "By AP standards, the story was thin.",
        "Protesters march in La Paz, Bolivia, November 19, 2019. © Reuters / David Mercado",
        "Royal Self-Indicting Arrogance\n© REUTERS / POOL",
        "Protesters gather in Paris on Saturday. © AFP",
        "The philosopher Richard David Precht, who has long argued for an unconditional basic income, speaks "
        "in a studio interview about work and the welfare state. (picture alliance / dpa / Oliver Berg)",
        "The protest in Islamabad drew thousands of supporters of the opposition party led by the former "
        "prime minister Imran Khan, Pakistan Tehreek-e-Insaf (PTI).",
        "Catch up on the 2020 election campaign with AP experts on our weekly politics podcast.",
        "The festival, organised with AFP, drew large crowds.",
        "Oil rose.\n\n(Reporting by Will Dunham; Editing by Tom Brown)",  # names nobody
    ],
)
def test_precision_not_a_credit(text: str) -> None:
    assert names(text) == []


def test_an_article_never_credits_its_own_outlet() -> None:
    assert names("KUALA LUMPUR, Nov 24 (Reuters) - ... he told Reuters.", outlet="reuters.com") == []
    assert names("By Reuters\n\nOil prices rose.", outlet="reuters.com") == []
    assert names("Copyright 2019 The Associated Press. All rights reserved.", outlet="apnews.com") == []
    assert names("JAKARTA, KOMPAS.com - Banjir rob.", outlet="kompas.com") == []
    assert names("کراچی (اے پی پی) اسٹیٹ بینک نے کہا", outlet="APP") == []
    assert names("JAKARTA, KOMPAS.com - Banjir rob.", outlet="korannews.com") == ["kompas.com"]
    assert names("پی ٹی وی سے گفتگو کرتے ہوئے وزیر نے کہا", outlet="ptv.com.pk") == []
    assert names("اسلام آباد (اے پی پی اور آن لائن) وزیراعظم نے کہا", outlet="APP") == ["Online"]


def test_urdu_closing_credit_alone_as_the_last_paragraph() -> None:
    # Urdu papers close an agency item with its "(...)" on a line of its own (issue 14, item 6).
    body = "اسلام آباد میں وزیراعظم نے کہا کہ بجٹ متوازن ہوگا اور ترقیاتی منصوبوں پر کام جاری رہے گا۔"
    assert names(body + "\n(اے پی پی)", outlet="express") == ["APP"]
    assert names(body + "\n\n(آن لائن)۔\n", outlet="express") == ["Online"]
    assert names(body + "\n(اے پی پی)", outlet="APP") == []  # its own
    # Not an editor's initials, and not a "(...)" line with more text after it.
    assert names(body + "\n(اح)", outlet="express") == []
    assert names(body + "\n(اے پی پی)\nمزید خبریں صفحہ 5 پر", outlet="express") == []


def test_said_to_x_credits_agencies_only() -> None:
    # "X سے کہا" is a credit when X is an agency; a paper or channel "سے کہا" is often told to do something.
    assert names("انہوں نے اے ایف پی سے کہا کہ مذاکرات جاری رہیں گے۔") == ["AFP"]
    assert names("انہوں نے بی بی سی سے کہا کہ مذاکرات جاری رہیں گے۔") == []
    assert names("انہوں نے بی بی سی سے گفتگو میں کہا کہ مذاکرات جاری رہیں گے۔") == ["bbc.com"]


def test_long_names_tolerate_one_slip_anywhere_short_names_only_in_strong_positions() -> None:
    # A long name (>= 12 letters) one letter off, with two letters swapped, or split by a space,
    # in a plain credit position ("X کے مطابق"); a short one only in a strong position.
    assert names("کشمیر میڈیاسروس کے مطابق ہڑتال رہی۔") == ["KMS"]
    assert names("کشمیر میڈیا سرسو کے مطابق ہڑتال رہی۔") == ["KMS"]
    assert names("کشمیر میڈیا سرورس کے مطابق ہڑتال رہی۔") == ["KMS"]
    assert names("کشمیر میڈیا سروسز کے مطابق ہڑتال رہی۔") == ["KMS"]
    assert names("کشمیر میڈیا سیل کے مطابق ہڑتال رہی۔") == []  # three letters off: another body
    assert names("عنہوا کے مطابق دھماکہ صبح ہوا۔") == []
    # A correctly spelt name in the window is left to the exact patterns, which know AP from APP.
    assert names("خبر رساں ادارے ایسوسی ایٹڈ پریس کے مطابق") == ["AP"]


def test_media_and_dateline_names_need_a_descriptor_of_their_kind() -> None:
    # CCTV (the broadcaster) only where the text says it is one; never the cameras.
    assert names("سی سی ٹی وی کے مطابق ملزم فرار ہو گیا۔") == []
    assert names("چینی ٹی وی سی سی ٹی وی کے مطابق ملزم فرار ہو گیا۔") == ["cctv.com"]
    assert names("سی سی ٹی وی نے اپنی ویب سائٹ پر بتایا کہ ملزم فرار ہو گیا۔") == ["cctv.com"]
    # PTI (the agency; in Pakistan also the party) after an agency descriptor only, never a media one.
    assert names("خبر رساں ادارے پی ٹی آئی کے مطابق بارش ہوئی۔") == ["PTI"]
    assert names("سرکاری ٹی وی پی ٹی آئی کے مطابق بارش ہوئی۔") == []
    assert names("اخبار پی ٹی آئی کے مطابق بارش ہوئی۔") == []
    # A descriptor alone credits nobody; a descriptor glued to the name it describes still counts.
    assert names("اخبار کے مطابق بارش ہوئی۔") == []
    assert names("انگریزی اخبارڈان کے مطابق بارش ہوئی۔") == ["dawn.com"]
    rules = rules_from_toml('[[source]]\nname = "Acme"\nkind = "outlet"\nmedia_aliases.en = ["Acme"]\n'
                            '[[source]]\nname = "Wire"\nkind = "agency"\ndateline_aliases.en = ["WR"]\n'
                            '[descriptors]\noutlet.en = ["newspaper"]\nagency.en = ["news agency"]\n'
                            '[[pattern]]\nregex = "told (?:the )?{names}"\n'
                            '[[pattern]]\ndescribed = true\nregex = "{names} said on its website"\n')
    def found(text: str) -> list[str]:
        return [c.name for c in rules.find(text)]
    assert found("She told Acme.") == []
    assert found("She told the newspaper Acme.") == ["Acme"]
    assert found("Acme said on its website.") == ["Acme"]
    assert found("She told WR.") == [] and found("She told the news agency WR.") == ["Wire"]
    assert found("She told the newspaper WR.") == []  # an outlet's descriptor, an agency's name
    assert found("WR said on its website.") == []  # dateline names are not media names
    with pytest.raises(ConfigError, match="descriptors must map"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "agency"\naliases.en = ["X"]\n[descriptors]\nwire.en = ["w"]\n')


def test_glued_names_only_when_long_and_after_a_non_joining_letter() -> None:
    # "اے ایف پی" (7 letters) glued to "نے" (ending in a non-joining "ے") still counts;
    # "ارنا" (IRNA, 4 letters) does not: too many words contain it ("گزارنا", to spend).
    assert names("انہوں نےاے ایف پی سے گفتگو میں کہا کہ دھماکہ صبح ہوا۔") == ["AFP"]
    assert names("ایرانی میڈیا اور ارنا کے مطابق دھماکہ صبح ہوا۔") == ["IRNA"]
    assert names("ایرانی میڈیا اورارنا کے مطابق دھماکہ صبح ہوا۔") == []
    # Not after a joining letter, where the missing space would show: "کیاے ایف پی" is no word break.
    assert names("انہوں نے کہا کیاے ایف پی سے گفتگو میں") == []
    # Glued to the phrase after it: only a name ending in a non-joining letter ("سنہوا", not "تاس").
    assert names("اطلاعات ہیں کہ سنہواکے مطابق دھماکہ صبح ہوا۔") == ["Xinhua"]
    assert names("اطلاعات ہیں کہ تاسکے مطابق دھماکہ صبح ہوا۔") == []


def test_cctv_and_cgtn_are_two_outlets() -> None:
    assert RULES.canonical("cctv.com") == "cctv.com" and RULES.canonical("cgtn.com") == "cgtn.com"
    assert names("CGTN reported that the talks had stalled.") == ["cgtn.com"]


def test_pattern_kinds_and_parts_are_checked() -> None:
    with pytest.raises(ConfigError, match="kinds must be"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "agency"\naliases.en = ["X"]\n'
                        '[[pattern]]\nkinds = ["wire"]\nregex = "told {names}"\n')
    with pytest.raises(ConfigError, match="unknown part"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "agency"\naliases.en = ["X"]\n'
                        '[[pattern]]\nregex = "{verb} {names}"\n')
    with pytest.raises(ConfigError, match="cannot define"):
        rules_from_toml('[[source]]\nname = "X"\nkind = "agency"\naliases.en = ["X"]\n'
                        '[parts]\nnames = "x"\n[[pattern]]\nregex = "told {names}"\n')
    rules = rules_from_toml('[[source]]\nname = "Acme"\nkind = "agency"\naliases.en = ["ACME Wire"]\n'
                            '[[source]]\nname = "Daily"\nkind = "outlet"\naliases.en = ["The Daily"]\n'
                            '[parts]\nverb = \'\'\'(?:told|{past})\'\'\'\npast = "informed"\n'
                            '[[pattern]]\nkinds = ["agency"]\nregex = "{verb} {names}"\n')
    assert [c.name for c in rules.find("She informed ACME Wire.")] == ["Acme"]
    assert rules.find("She told The Daily.") == ()


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


# -- the data file is the one place to edit (issue 12, item 8) ------------------------------


def _documented_agency() -> str:
    """The [[source]] entry that credits.toml's header shows for "adding an agency"."""
    header = (ROOT / "dedup" / "data" / "credits.toml").read_text(encoding="utf-8")
    block = re.search(r"^#   \[\[source\]\]\n(?:#   .*\n)+", header, re.MULTILINE)
    assert block, "credits.toml's header shows a [[source]] entry for adding an agency"
    return "".join(line[4:] + "\n" for line in block.group(0).splitlines())


def test_adding_an_agency_is_one_entry_in_the_data_file(tmp_path: Path) -> None:
    shipped = (ROOT / "dedup" / "data" / "credits.toml").read_text(encoding="utf-8")
    f = tmp_path / "credits.toml"
    f.write_text(shipped + "\n" + _documented_agency(), encoding="utf-8")
    rules = load_rules(f)
    texts = {
        "NAIROBI, Dec 5 (Acme Wire) - Floods cut the main road.": ["Acme"],
        "NAIROBI (ACME) - Floods cut the main road.": ["Acme"],
        "The toll rose to 12, according to Acme News Agency.": ["Acme"],
        "Seperti dilansir Reuters dan Acme Wire, Selasa, banjir meluas.": ["Reuters", "Acme"],
        "ایکمی وائر کے مطابق سیلاب سے سڑک بند ہو گئی۔": ["Acme"],
        "ACME reported higher revenue.": [],  # the short name counts in datelines only
    }
    for text, expected in texts.items():
        assert [c.name for c in rules.find(text)] == expected, text
        assert names(text) == [n for n in expected if n != "Acme"], text  # the shipped rules lack it
    assert rules.is_agency("acmewire.com") and rules.canonical("www.acmewire.com") == "Acme"
    assert rules.find("NAIROBI (Acme Wire) - Floods.", outlet="acmewire.com") == ()  # its own dateline
    assert len(rules.sources) == len(RULES.sources) + 1 and rules.sources[-1].name == "Acme"


def test_how_names_are_listed_is_data_too() -> None:
    source = '[[source]]\nname = "Acme"\nkind = "agency"\naliases.en = ["Acme"]\n'
    pattern = '[[pattern]]\ndomains = true\nregex = "mukaan {names}"\n'
    def found(rules_toml: str, text: str) -> list[str]:
        return [c.name for c in rules_from_toml(rules_toml).find(text)]
    # A language's "and" and a country's domains, added in [syntax]: "according to Reuters and yle.fi".
    finnish = '[syntax]\nlist_marks = [","]\nlist_words.fi = ["ja"]\ndomain_suffixes = ["fi"]\n'
    assert found(source + pattern + finnish, "mukaan Acme ja yle.fi, tulvat") == ["Acme", "yle.fi"]
    assert found(source + pattern + finnish, "mukaan Acme dan yle.fi") == ["Acme"]  # not the shipped "dan"
    # A file without [syntax] lists and writes names as the shipped file does.
    assert found(source + pattern, "mukaan Acme dan kompas.com") == ["Acme", "kompas.com"]
    assert found(source + pattern, "mukaan Acme ja yle.fi") == ["Acme"]
    with pytest.raises(ConfigError, match="syntax.list_words must map languages"):
        rules_from_toml(source + '[syntax]\nlist_words = ["ja"]\n')
    with pytest.raises(ConfigError, match=r"\[syntax\] must be a table"):
        rules_from_toml('syntax = "ja"\n' + source)
