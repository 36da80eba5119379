"""Deep calls without CPython 3.11's data-stack churn (CPython issue gh-142183).

CPython 3.11 and 3.12 keep a thread's Python frames in chunks of 16 KiB and give a chunk back to
the system (munmap) as soon as the calls fall back below its start. WeasyPrint's layout goes a
few frames up and down thousands of times a guide; where that happens across the edge of a
chunk, every crossing costs an mmap, page faults and a munmap. Where the edges fall depends only
on how deep the caller already is: the same two guides, laid out from 0 to 100 frames deeper,
took 10,000 to 245,000 page faults and 4.3 to 6.6 CPU-seconds (docs/cluster.md). A Dask
worker's task thread happened to start at a bad depth, a forked worker at a middling one.

`in_one_chunk` runs a call inside one chunk large enough for the whole layout. It enters a frame
that declares 1 MiB of evaluation stack, which CPython can only place at the start of a new
chunk of 2 MiB; the call's own frames fill the other 1 MiB (some thousands of WeasyPrint's
frames) and never meet an edge. The chunk is one mmap per call, and only the pages the frames
use are ever touched. CPython releases with the fix for gh-142183 (backported to 3.13 and 3.14 in
March 2026) keep a spare chunk instead; there this costs one mmap a guide and changes nothing else.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

ROOM = 1 << 17
"""The frame's declared stack, in slots of 8 bytes (1 MiB): a chunk of twice that is made."""


def _call(function: Callable[[], T]) -> T:
    return function()


if sys.implementation.name == "cpython":
    _call.__code__ = _call.__code__.replace(co_stacksize=ROOM)


def in_one_chunk(function: Callable[[], T]) -> T:
    """`function()`, its frames all in one chunk of the thread's data stack."""
    return _call(function)
