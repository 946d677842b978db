"""Outlet names from URLs: the registered domain, from the public-suffix list
bundled with tldextract (no network, ever).

>>> outlet_from_url("https://www.korannews.com/2026/11/x.html")
'korannews.com'
>>> outlet_from_url("https://news.bbc.co.uk/a")
'bbc.co.uk'
>>> outlet_from_url("https://web.archive.org/web/20120611024252/http://www.he.xinhuanet.com/news/x.htm")
'xinhuanet.com'
>>> outlet_from_url("korannews.com:8080/x"), outlet_from_url("mailto:redaksi@korannews.com")
('korannews.com', '')
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract


_HOST = re.compile(r"^https?://([A-Za-z0-9.-]+)(?:[:/?#]|$)")
# A capture in a web archive belongs to the archived page's outlet.
_ARCHIVED = re.compile(r"^(?:https?:)?//(?:web\.)?archive\.org/web/[0-9a-z_*]+/(.+)$", re.IGNORECASE)
# A scheme (RFC 3986: a letter, then letters, digits, "+", "-", "."), and what follows it.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.DOTALL)
# What follows "host:" in a scheme-less "korannews.com:8080/x": a port, at most five digits.
_PORT = re.compile(r"^[0-9]{1,5}(?:[/?#]|$)")


@lru_cache(maxsize=1)
def _extractor() -> tldextract.TLDExtract:
    # suffix_list_urls=() → only the snapshot shipped inside the package; cache_dir
    # disabled so that nothing is written to the user's home directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def outlet_from_url(url: str) -> str:
    """Registered domain of ``url``, lower-cased; '' when there is none."""
    url = url.strip()
    if not url:
        return ""
    if "archive.org/web/" in url:
        archived = _ARCHIVED.match(url)
        if archived:
            return outlet_from_url(archived.group(1))
    m = _HOST.match(url)
    if m:  # the common case, ~10x cheaper than urlsplit
        return _registered_domain(m.group(1).lower())
    if _other_scheme(url):
        return ""
    if "//" not in url:
        url = "//" + url  # "korannews.com/x" has no scheme but is still a host
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return _registered_domain(host)


def _other_scheme(url: str) -> bool:
    """A scheme other than http(s): "javascript:…", "mailto:…", "ftp://…",
    "data:…" name no news outlet (their "host" would be "javascript", "mailto"…).

    >>> [_other_scheme(u) for u in ("ftp://f.example.com/x", "data:text/html,<p>", "localhost:8080", "//a.com/x")]
    [True, True, False, False]
    """
    m = _SCHEME.match(url)
    if m is None:
        return False
    scheme, rest = m.groups()
    # "korannews.com:8080/x" parses as scheme "korannews.com": a host and port, no scheme.
    return scheme.lower() not in ("http", "https") and not _PORT.match(rest)


@lru_cache(maxsize=65536)
def _registered_domain(host: str) -> str:
    # Cached per host: a corpus has many URLs but few hosts.
    parts = _extractor().extract_str(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}".lower()
    return (parts.domain or parts.suffix or "").lower()
