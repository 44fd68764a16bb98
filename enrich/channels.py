"""Channels a customer uses and the one they prefer.

A channel is where the customer acted: `online` and `store` (orders, by the order's
channel), `email` (opening or clicking a campaign), `web` (visits recorded by web
analytics or Segment), `service` (contacting customer service), or the name of any other
event source. Activity is counted in **distinct UTC days** per channel, so a dozen page
views in one visit weigh as much as one order that day; campaign sends and unsubscribes
are not the customer's activity.

- `channels`: every channel with activity, sorted by name.
- `preferred_channel`: the channel with the most days of activity, ties going to the one
  used most recently (then to the name first in order). `service` is never preferred: a
  complaint is not a preference. None when there is no other activity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

NEVER_PREFERRED: Final = frozenset({"service"})
MAX_MASK_CHANNELS: Final = 62


@dataclass
class ChannelActivity:
    """Cells of (profile index, channel code, days with activity, latest epoch second);
    `names` gives each channel code its name."""

    profile: IntArray
    channel: IntArray
    names: Sequence[str]
    days: IntArray
    last_s: IntArray


def channel_attributes(
    n: int, parts: Sequence[ChannelActivity]
) -> tuple[list[list[str] | None], list[str | None]]:
    """`channels` and `preferred_channel` of `n` profiles from activity cells.

    Cells of one (profile, channel) from several parts are summed (days) and maxed (last);
    the parts count different activity (orders, events), so their days do not overlap.
    Cells of profiles outside [0, n) are ignored.

    Returns:
        Per profile: the sorted channel names (None without activity), and the preferred
        channel (None without eligible activity).
    """
    channels: list[list[str] | None] = [None] * n
    preferred: list[str | None] = [None] * n
    vocabulary = sorted({name for p in parts for name in p.names})
    if not vocabulary:
        return channels, preferred
    code_of = {name: i for i, name in enumerate(vocabulary)}
    profiles, codes, days, lasts = [], [], [], []
    for part in parts:
        keep = (part.profile >= 0) & (part.profile < n) & (part.channel >= 0)
        remap = np.array([code_of[name] for name in part.names] + [-1], dtype=np.int64)
        profiles.append(part.profile[keep])
        codes.append(remap[part.channel[keep]])
        days.append(part.days[keep])
        # Unreadable times (MISSING) become "long ago" without overflowing when negated.
        lasts.append(np.maximum(part.last_s[keep], -(2**62)))
    profile = np.concatenate(profiles)
    if len(profile) == 0:
        return channels, preferred
    width = len(vocabulary)
    # Merge duplicate (profile, channel) cells.
    cells, inverse = np.unique(profile * width + np.concatenate(codes), return_inverse=True)
    cell_days = np.bincount(inverse, weights=np.concatenate(days)).astype(np.int64)
    cell_last = np.full(len(cells), -(2**62), dtype=np.int64)
    np.maximum.at(cell_last, inverse, np.concatenate(lasts))
    cell_profile = cells // width
    cell_code = cells % width
    eligible = np.array([name not in NEVER_PREFERRED for name in vocabulary])[cell_code]
    if width <= MAX_MASK_CHANNELS:
        # Each profile's set of channels as a bit mask, one list per distinct set (the
        # lists are shared between profiles: read them, do not change them).
        masks = np.zeros(n, dtype=np.int64)
        np.bitwise_or.at(masks, cell_profile, np.left_shift(1, cell_code))
        lists = {
            int(m): [name for bit, name in enumerate(vocabulary) if m >> bit & 1]
            for m in np.unique(masks)
            if m
        }
        channels = [lists[m] if m else None for m in masks.tolist()]
    else:
        for p, c in zip(cell_profile.tolist(), cell_code.tolist(), strict=True):
            listed = channels[p]
            if listed is None:
                channels[p] = [vocabulary[c]]
            else:
                listed.append(vocabulary[c])  # cells come sorted by profile, then name
    # Preferred: per profile, eligible first, most days, latest, then name.
    order = np.lexsort((cell_code, -cell_last, -cell_days, ~eligible, cell_profile))
    first = np.ones(len(order), dtype=bool)
    first[1:] = cell_profile[order][1:] != cell_profile[order][:-1]
    best = order[first]
    best = best[eligible[best]]
    names = np.array([*vocabulary, None], dtype=object)
    chosen = np.full(n, len(vocabulary), dtype=np.int64)
    chosen[cell_profile[best]] = cell_code[best]
    preferred = names[chosen].tolist()
    return channels, preferred
