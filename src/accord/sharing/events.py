"""Events of the sharing engine on the bus, for the live feed.

Record events (`records.created`, `records.changed`, `records.withdrawn`) carry one record's
id. `records.reach` says that what some organizations may see has changed as a whole (an
agreement came into force, was suspended, resumed or terminated): it carries only the
organizations' ids, and their members' live feeds reload through the access module.
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.core.bus import Bus

__all__ = ["REACH_TOPIC", "announce_reach"]

REACH_TOPIC = "records.reach"


def announce_reach(bus: Bus, org_ids: Iterable[str]) -> None:
    """Tell the live feeds of `org_ids` that their view changed; sent after the commit."""
    orgs = sorted(set(org_ids))
    if orgs:
        bus.publish(REACH_TOPIC, {"orgs": orgs})
