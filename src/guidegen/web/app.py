"""The web guide as an app on the person's phone: the quick tools on Today, the web app manifest,
the service worker that keeps the guide for offline use, and the plain icon.

Every file here is the same for every person (the manifest and the worker name no one and say
nothing about recovery), and the same bytes on every build.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the build imports this module for file names before anything is rendered
    from ..guide.assemble import Guide, GuideModule

QUICK_TOOLS = ("urge-surfing", "halt", "slow-breathing", "grounding", "thinking-it-over")
"""Short skills a person can use in the moment, best first: Today offers the first three that
are in their guide, then other coping modules of their guide in guide order."""
QUICK_SECTION = "coping"
QUICK_COUNT = 3

MANIFEST_FILE = "manifest.webmanifest"
WORKER_FILE = "sw.js"
ICON_SIZES = (192, 512)
ICON_COLOR = (0x2E, 0x5E, 0x8C)
"""A calm blue square with a white page on it: it looks like any notes app."""


def quick_tools(guide: Guide) -> tuple[GuideModule, ...]:
    """Three quick tools for Today, chosen from the modules in this person's guide."""
    coping = [m for s in guide.sections if s.id == QUICK_SECTION for m in s.modules]
    if not coping:
        coping = [m for s in guide.sections for m in s.modules if m.id in QUICK_TOOLS]
    ranked = sorted(coping, key=lambda m: QUICK_TOOLS.index(m.id) if m.id in QUICK_TOOLS else len(QUICK_TOOLS))
    return tuple(ranked[:QUICK_COUNT])


def safety_plan_target(guide: Guide) -> str:
    """Where Today's "Open my safety plan" goes: My safety plan, in every guide (the person's own
    plan, or the steps to fill in)."""
    return "safety-plan"


def icon_name(size: int) -> str:
    """The icon's path under site/assets/."""
    return f"app-icon-{size}.png"


def app_assets() -> dict[str, bytes]:
    """The shared files the build makes for the app (under site/assets/): its icons."""
    return {icon_name(size): icon_png(size) for size in ICON_SIZES}


def web_manifest(strings: Mapping[str, str]) -> bytes:
    """site/<slug>/manifest.webmanifest: a neutral name ("My notes") in the site's default
    language, so the manifest is the same for everyone and tells nothing about its reader."""
    name = strings.get("app_name", "My notes")
    data = {
        "name": name,
        "short_name": name,
        "start_url": "./",
        "scope": "./",
        "id": "./",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2e5e8c",
        "icons": [
            {"src": f"../assets/{icon_name(size)}", "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
            for size in ICON_SIZES
        ],
    }
    return (json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()


def offline_assets(shared: Iterable[str]) -> list[str]:
    """The shared assets a web guide uses (under assets/): what the worker keeps for offline use."""
    return sorted(
        n for n in shared if n in ("guide.css", "guide.js") or n.endswith(".woff2") or n.startswith("app-icon-")
    )


def service_worker(assets: Iterable[str]) -> bytes:
    """site/<slug>/sw.js: keeps the sealed page, its sealed PDF and the shared assets in a cache of
    this folder, so the guide opens without a network after one visit. The network comes first
    (a new guide replaces the old one as soon as it is online); the cache answers when it fails."""
    files = ["./", "manifest.webmanifest", *(f"../assets/{name}" for name in sorted(assets))]
    return WORKER_SOURCE.replace("/*FILES*/[]", json.dumps(files)).encode()


WORKER_SOURCE = """// The guide's service worker: one cache for this folder, nothing sent anywhere.
"use strict";
var CACHE = "guide " + self.registration.scope;
var FILES = /*FILES*/[];
var OPTIONAL = ["guide.pdf.enc"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(FILES).then(function () {
      return Promise.all(OPTIONAL.map(function (name) {
        return fetch(name, { cache: "no-cache" }).then(function (response) {
          if (response.ok) { return cache.put(name, response); }
        }, function () { return null; });
      }));
    });
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function keep(request, response) {
  if (response.ok && response.type === "basic") {
    var copy = response.clone();
    caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) { return; }
  event.respondWith(fetch(request).then(function (response) {
    return keep(request, response);
  }, function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: true }).then(function (found) {
        return found || (request.mode === "navigate" ? cache.match("./") : undefined) || Response.error();
      });
    });
  }));
});

// "Forget on this phone": the page asks the worker to drop this folder's cache.
self.addEventListener("message", function (event) {
  if (event.data === "forget") {
    event.waitUntil(caches.delete(CACHE).then(function () { return self.registration.unregister(); }));
  }
});
"""


@functools.cache
def icon_png(size: int) -> bytes:
    """A plain square icon as PNG, drawn here pixel by pixel: the same bytes on every build.
    Drawn once per process (a tenth of a second): every guide's job asks for the icons' names."""
    red, green, blue = ICON_COLOR
    page = (size * 3 // 10, size * 2 // 10, size * 7 // 10, size * 8 // 10)
    step = max(size // 12, 2)
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            inside = page[0] <= x < page[2] and page[1] <= y < page[3]
            ruled = inside and y > page[1] + step and (y - page[1]) % step < max(size // 64, 1) and x > page[0] + step
            row += b"\xff\xff\xff" if inside and not ruled else bytes((red, green, blue))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
