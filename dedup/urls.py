"""URL keys: the forms of one article's address that a reader may paste, made equal.

``dedup query --url`` looks a stored article up by this key, so the URL a desk has
(shared with tracking parameters, typed without ``www.`` or ``https://``) finds the
article whatever form was stored. courlan (already installed with trafilatura) does
the normalisation proper: case of scheme and host, default ports, percent-encoding,
dot segments, sorted query, and the tracking parameters it knows (``utm_*``,
``fbclid``, ``gclid``, ``mc_cid``/``mc_eid``, ``msclkid``, ``ref``…). On top of it
the key drops what never tells two articles apart: the scheme, a leading ``www.``,
the fragment and a trailing slash.

>>> url_key("https://www.Example.com/news/a-1/?utm_source=tw&fbclid=X#comments")
'example.com/news/a-1'
>>> url_key("example.com/news/a-1") == url_key("http://example.com/news/a-1/")
True
>>> url_key("https://example.com/item.php?id=3&gclid=9&mc_cid=1")
'example.com/item.php?id=3'
>>> url_key("")
''
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from courlan import normalize_url

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# An address courlan would leave as it is (lower-case host, no port, query or fragment,
# a path of unreserved characters without dot segments or doubled slashes): most of a
# crawl's. Its key is cut from it directly: courlan costs ~18 µs an address, 5% of an
# index run of 20k text records (benchmarks in the README's re-indexing section).
_PLAIN = re.compile(r"^https?://(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)+)((?:/(?!\.)[A-Za-z0-9._~-]+)*/?)$")


def url_key(url: str) -> str:
    """The lookup key of ``url``; '' for an empty one. Never raises: an address
    courlan cannot parse keeps its own (trimmed, lower-cased) text as its key."""
    plain = _PLAIN.match(url)
    if plain is not None:
        return plain[1] + plain[2].rstrip("/")
    url = url.strip()
    if not url:
        return ""
    full = url if _SCHEME.match(url) or url.startswith("//") else "http://" + url
    try:
        parts = urlsplit(normalize_url(full, strict=False, trailing_slash=False))
    except (ValueError, TypeError, AttributeError):  # courlan on a malformed netloc or port
        return url.lower()
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/")
    return host + path + (f"?{parts.query}" if parts.query else "")
