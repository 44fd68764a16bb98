"""`cdp sync`'s progress view: a bar on a terminal, plain lines in a log."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from activate import progress
from activate.progress import SyncProgress
from cli.progress import SyncProgressView

pytestmark = pytest.mark.unit


def feed(view: SyncProgressView) -> None:
    seen = SyncProgress("vip", "klaviyo-main", total=40)
    with view, progress.reporting(seen, view):
        for _ in range(4):
            progress.batch_done(10)  # what send_batches reports after each vendor batch
        progress.finish()


def test_a_terminal_gets_a_bar_with_members_and_batches() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    feed(SyncProgressView(console))
    text = out.getvalue()
    assert "vip -> klaviyo-main" in text
    assert "40/40" in text and "4 batches" in text
    assert "\x1b[" in text  # drawn with terminal control codes


def test_a_log_gets_a_line_per_tenth_and_one_at_the_end() -> None:
    out = io.StringIO()
    feed(SyncProgressView(Console(file=out, force_terminal=False, width=120)))
    assert out.getvalue().splitlines() == [
        "sync vip -> klaviyo-main: 0/40 members, 0 batches (0%)",
        "sync vip -> klaviyo-main: 10/40 members, 1 batches (20%)",
        "sync vip -> klaviyo-main: 20/40 members, 2 batches (50%)",
        "sync vip -> klaviyo-main: 30/40 members, 3 batches (70%)",
        "sync vip -> klaviyo-main: 40/40 members, 4 batches (100%)",
        "sync vip -> klaviyo-main: 40/40 members, 4 batches (done)",
    ]


def test_batches_outside_a_shown_sync_are_ignored() -> None:
    progress.batch_done(10)  # no sync shown: nothing to update, nothing raised
    assert progress.current() is None
