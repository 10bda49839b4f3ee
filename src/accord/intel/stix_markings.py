"""TLP markings in STIX 2.1: the published TLP 2.0 marking definitions, and TLP 1.0 on import.

Accord marks every shared record with TLP 2.0. In STIX 2.1 these markings are the five
marking-definition objects that OASIS publishes with the TLP 2.0 extension (cti-stix-common-objects,
`extension-definition-specifications/tlp-2.0`): fixed ids, created 2022-10-01, a name such as
`TLP:CLEAR`, and the property extension `extension-definition--60a3c5c5-…` whose `tlp_2_0`
says the colour. They are written here exactly as published, so a partner's tool recognizes them by
id. The extension definition itself is OASIS's and is not repeated in Accord's bundles, which
stix2-validator accepts without it.

Partners still send the TLP 1.0 markings that STIX 2.1 defines (and the `stix2` library ships). On
import, TLP 1.0 WHITE is TLP 2.0 CLEAR (FIRST TLP 2.0 renamed it), and GREEN, AMBER and RED are
the TLP 2.0 markings of the same name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from accord.sharing.domain import Tlp

__all__ = [
    "TLP1_MARKING_IDS",
    "TLP2_EXTENSION_ID",
    "TLP2_MARKING_IDS",
    "marking_definition",
    "marking_problem",
    "strictest_tlp",
    "tlp_of",
    "tlp_of_marking",
]

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_MARKING_IDS: Mapping[Tlp, str] = MappingProxyType(
    {
        Tlp.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
)
# STIX 2.1 §7.2.1.4: the TLP 1.0 markings, keyed by their `definition.tlp` colour.
TLP1_MARKING_IDS: Mapping[str, str] = MappingProxyType(
    {
        "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
    }
)
_TLP1_AS_TLP2 = {"white": Tlp.CLEAR, "green": Tlp.GREEN, "amber": Tlp.AMBER, "red": Tlp.RED}
_BY_ID: Mapping[str, Tlp] = MappingProxyType(
    {marking: tlp for tlp, marking in TLP2_MARKING_IDS.items()}
    | {marking: _TLP1_AS_TLP2[colour] for colour, marking in TLP1_MARKING_IDS.items()}
)
_TLP2_COLOURS = {marking: tlp.value for tlp, marking in TLP2_MARKING_IDS.items()}
_TLP1_COLOURS = {marking: colour for colour, marking in TLP1_MARKING_IDS.items()}
_PUBLISHED = "2022-10-01T00:00:00.000Z"


def marking_definition(tlp: Tlp | str) -> dict[str, Any]:
    """The TLP 2.0 marking-definition object for `tlp`, as OASIS publishes it."""
    tlp = Tlp(tlp)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_MARKING_IDS[tlp],
        "created": _PUBLISHED,
        "name": tlp.label,
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": tlp.value}
        },
    }


def tlp_of_marking(marking_id: str) -> Tlp | None:
    """The Accord marking a TLP 1.0 or 2.0 marking-definition id stands for, or None."""
    return _BY_ID.get(marking_id)


def strictest_tlp(tlps: Iterable[Tlp]) -> Tlp | None:
    """The most restrictive of `tlps` (RED over AMBER+STRICT over AMBER …), or None if empty."""
    return max(tlps, key=lambda tlp: tlp.rank, default=None)


def tlp_of(stix_object: Mapping[str, Any]) -> Tlp | None:
    """The strictest TLP marking among `stix_object`'s `object_marking_refs`, or None."""
    refs = stix_object.get("object_marking_refs") or []
    return strictest_tlp(tlp for ref in refs if (tlp := tlp_of_marking(ref)) is not None)


def marking_problem(definition: Mapping[str, Any]) -> str | None:
    """What is wrong with a marking-definition object that carries an official TLP id, if anything.

    A TLP id is a promise about meaning: an object with TLP:RED's id that says `clear` is refused
    rather than read either way. Markings with other ids are not Accord's to judge."""
    marking_id = definition.get("id")
    path: tuple[str, ...]
    if marking_id in _TLP2_COLOURS:
        expected, path = _TLP2_COLOURS[marking_id], ("extensions", TLP2_EXTENSION_ID, "tlp_2_0")
    elif marking_id in _TLP1_COLOURS:
        expected, path = _TLP1_COLOURS[marking_id], ("definition", "tlp")
    else:
        return None
    found: object = definition
    for key in path:
        found = found.get(key) if isinstance(found, Mapping) else None
    if found != expected:
        shown = "missing" if found is None else repr(found)
        return f"{'.'.join(path)} is {shown}, but {marking_id} is the TLP marking {expected!r}"
    return None
