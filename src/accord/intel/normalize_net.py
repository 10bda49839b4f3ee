"""The normalization rules of network identifiers: IP addresses, domains, e-mail addresses, URLs.

`observables.normalize` hands these kinds to the normalizers here; the rule of each kind is in
the docstring of its normalizer.
"""

from __future__ import annotations

import ipaddress
import re
import string

import idna

from accord.intel.observable_types import InvalidObservable, Observable, ObservableKind, clean_text

__all__ = ["normalize_domain", "normalize_email", "normalize_ip", "normalize_url"]


def _refang(text: str) -> str:
    """Undo the usual defanging of shared indicators: `[.]` and `[@]`, and `hxxp` schemes."""
    text = text.replace("[.]", ".").replace("[@]", "@")
    return re.sub(r"^hxxp(s?)://", r"http\1://", text, flags=re.IGNORECASE)


def normalize_ip(kind: ObservableKind, raw: object) -> Observable:
    """An address as `ipaddress` writes it: IPv6 compressed and lowercase, and an IPv4-mapped
    IPv6 address as the IPv4 address it is. Networks and zoned (`%eth0`) addresses are refused:
    a network is many addresses, and a zone only means something on one host."""
    text = _refang(clean_text(kind, raw, "the address"))
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if "/" in text:
        raise InvalidObservable(kind, f"{text!r} is a network, not one address")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise InvalidObservable(kind, f"{text!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            raise InvalidObservable(kind, f"{text!r} carries a zone, which is local to one host")
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        return Observable(ObservableKind.IPV4, str(address), str(address))
    return Observable(ObservableKind.IPV6, address.compressed, address.compressed)


def normalize_domain(kind: ObservableKind, raw: object) -> Observable:
    """A fully qualified name in ASCII, as IDNA 2008 with UTS #46 mapping writes it (the `idna`
    package): lowercase, internationalized labels as their A-label (`xn--`) form, full-width
    letters and dots folded, one trailing dot removed, and at least two labels. Labels are
    letters, digits and hyphens (RFC 1034's preferred syntax, which STIX 2.1 asks of domain
    names), so DNS names with underscores, such as service records, are refused. `display` is
    the ASCII form too, so that a look-alike letter from another script is never hidden."""
    name = _domain_name(kind, _refang(clean_text(kind, raw, "the domain")), single_label=False)
    return Observable(kind, name, name)


def _domain_name(kind: ObservableKind, text: str, *, single_label: bool) -> str:
    # UTS #46 §2.3: the ideographic and full-width full stops separate labels too.
    name = re.sub("[\u3002\uff0e\uff61]", ".", text).removesuffix(".")
    if not name or name.endswith("."):
        raise InvalidObservable(kind, f"{text!r} has an empty label")
    try:
        name = idna.encode(name, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise InvalidObservable(kind, f"{text!r} is not a valid domain name: {exc}") from None
    if name.endswith("."):
        raise InvalidObservable(kind, f"{text!r} has an empty label")
    labels = name.split(".")
    if not single_label and len(labels) < 2:
        raise InvalidObservable(kind, f"{text!r} needs at least two labels, as in example.com")
    if labels[-1].isdigit():
        raise InvalidObservable(kind, f"{text!r} looks like an IP address, not a domain")
    return name


_LOCAL_PART = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")


def normalize_email(kind: ObservableKind, raw: object) -> Observable:
    """`local@domain`: the domain as `normalize_domain` writes it, the local part lowercased.

    RFC 5321 lets a mail server tell `Alice` from `alice`, but practically none does, and one
    sender written two ways must match. Sub-addresses (`+tag`) and dots are kept: ignoring them
    is a rule of some providers only, and elsewhere they are different mailboxes. The local part
    is a dot-atom of letters, digits and `_ + -`: the characters stix2-validator, and so the
    tools partners run, accept, which cover nearly every address in use. The rest of RFC 5322
    (`!#$%&'*/=?^`{|}~`, quoted and non-ASCII local parts) is refused rather than exported as
    STIX that partners' tools reject."""
    text = _refang(clean_text(kind, raw, "the address"))
    text = text[len("mailto:") :] if text.lower().startswith("mailto:") else text
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        raise InvalidObservable(kind, f"{text!r} is not of the form name@example.com")
    if not _LOCAL_PART.fullmatch(local):
        message = f"{local!r} before the @ may hold only letters, digits, and . _ + -"
        raise InvalidObservable(kind, message)
    if len(local) > 64:
        raise InvalidObservable(kind, "the part before the @ is at most 64 characters")
    value = f"{local.lower()}@{_domain_name(kind, domain, single_label=False)}"
    return Observable(kind, value, value)


_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | {"?"}
_USERINFO_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:")
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_URL = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)"
    r"(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?(?:#.*)?",
    re.DOTALL,
)


def normalize_url(kind: ObservableKind, raw: object) -> Observable:
    """A URL in the normal form of RFC 3986 §6.2.2-6.2.3, for URLs with a host:
    - the scheme lowercase (defanged `hxxp` read as `http`); the fragment dropped, since it never
      leaves the browser; an empty query (`?`) dropped;
    - the host as `normalize_domain` writes it (one label allowed), an IPv4 address as
      `normalize_ip` writes it, an IPv6 address compressed in brackets; the port dropped when it
      is the scheme's default (http and ws 80, https and wss 443, ftp 21) and written without
      leading zeros otherwise;
    - percent-encoding: an escape of an unreserved character decoded, other escapes in
      uppercase hex, a `%` that starts no escape written `%25`, and every character not allowed
      where it stands (spaces, quotes, non-ASCII letters as UTF-8) percent-encoded;
    - `.` and `..` path segments removed, and an empty path written `/`.
    User information, path case and the order of query parameters are kept: servers may tell
    them apart."""
    text = _refang(clean_text(kind, raw, "the URL"))
    match = _URL.fullmatch(text)
    if match is None:
        raise InvalidObservable(kind, f"{text!r} is not a URL with a scheme and a host")
    scheme = match["scheme"].lower()
    userinfo, at, hostport = match["authority"].rpartition("@")
    host, port = _host_and_port(kind, hostport)
    if port is not None and port == _DEFAULT_PORTS.get(scheme):
        port = None
    path = _remove_dot_segments(_percent(match["path"], _PATH_SAFE)) or "/"
    query = _percent(match["query"] or "", _QUERY_SAFE)
    value = "".join(
        (
            f"{scheme}://",
            f"{_percent(userinfo, _USERINFO_SAFE)}@" if at else "",
            host,
            f":{port}" if port is not None else "",
            path,
            f"?{query}" if query else "",
        )
    )
    return Observable(kind, value, value)


def _host_and_port(kind: ObservableKind, hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        literal, bracket, rest = hostport[1:].partition("]")
        if not bracket:
            raise InvalidObservable(kind, f"{hostport!r} opens a bracket it does not close")
        address = normalize_ip(kind, literal)
        host = str(address.value)
        host = host if address.kind is ObservableKind.IPV4 else f"[{host}]"
        if rest and not rest.startswith(":"):
            raise InvalidObservable(kind, f"{rest!r} follows the host")
        port_text = rest[1:] if rest else ""
    else:
        name, _, port_text = hostport.partition(":")
        if ":" in port_text:
            raise InvalidObservable(
                kind, "an IPv6 host is written in brackets, as in [2001:db8::1]"
            )
        if not name:
            raise InvalidObservable(kind, "the URL has no host")
        if re.fullmatch(r"[0-9.]+", name):
            host = str(normalize_ip(kind, name).value)
        else:
            host = _domain_name(kind, name, single_label=True)
    if not port_text:
        return host, None
    if not (port_text.isascii() and port_text.isdigit()) or int(port_text) > 65535:
        raise InvalidObservable(kind, f"port {port_text!r} is not a number from 0 to 65535")
    return host, int(port_text)


def _percent(text: str, safe: frozenset[str]) -> str:
    out = []
    i = 0
    while i < len(text):
        escape = text[i + 1 : i + 3]
        if text[i] == "%" and len(escape) == 2 and all(c in string.hexdigits for c in escape):
            byte = int(escape, 16)
            out.append(chr(byte) if chr(byte) in _UNRESERVED else f"%{byte:02X}")
            i += 3
            continue
        char = text[i]
        out.append(char if char in safe else "".join(f"%{b:02X}" for b in char.encode()))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4 for an absolute path."""
    segments = path.split("/")
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments[-1] in {".", ".."}:
        out.append("")
    return "/".join(out)
