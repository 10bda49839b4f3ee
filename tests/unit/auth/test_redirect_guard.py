"""The `next` guard of the sign-in flow: a target is a path on this site, as a browser reads it."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from accord.web.pages import safe_next

SITE = "https://accord.example/sign-in"

# Characters that matter to URL parsing; random text rarely combines them usefully.
url_text = st.text(alphabet=st.sampled_from("/\\\t\r\n :.@?#%ae-"), max_size=12)


def _host_a_browser_would_visit(target: str) -> str:
    # urljoin strips ASCII tab and newlines as the WHATWG URL parser does (and as browsers do).
    return urlsplit(urljoin(SITE, target.replace("\\", "/"))).netloc


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "https://evil.example",
        "javascript:alert(1)",
        "evil.example",
        "",
        None,
    ],
)
def test_off_site_or_schemed_targets_become_the_home_page(target: str | None) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/", "/account", "/orgs?q=harbour&page=2", "/people#top"])
def test_paths_on_this_site_are_kept(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example"])
def test_control_characters_cannot_smuggle_a_second_slash(target: str) -> None:
    # Browsers drop tabs and newlines from URLs, so "/\t/evil.example" is "//evil.example".
    # Harmless in a Location header (Starlette percent-encodes it) but not in an href, and
    # recovery_codes.html renders `next` into one.
    assert _host_a_browser_would_visit(safe_next(target)) == "accord.example"


@given(url_text)
@example("/\t/evil.example")
@example("/\\/evil.example")
def test_whatever_is_asked_the_target_stays_on_this_site(target: str) -> None:
    kept = safe_next(target)
    assert kept.startswith("/")
    assert _host_a_browser_would_visit(kept) == "accord.example"
