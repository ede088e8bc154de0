"""What installed distributions import, cached by distribution name and version.

The cache is one JSON file in the user's cache directory (`$XDG_CACHE_HOME/shapecheck`, or
`~/.cache/shapecheck`); `--no-cache` neither reads nor writes it. Per distribution it keeps
whether its metadata requires keras/tensorflow and, per module read so far, which keras name it
imports and which other imports are worth following; the answer for a file is recomputed from these facts on
every run, so a distribution upgraded or installed later is seen at once. Editable installs
(their source changes without a new version) are never cached. A cache that cannot be read or
written is ignored: it only saves time.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from typing import Mapping, Optional

FORMAT = 2
KERAS_REQUIREMENTS = {
    "keras",
    "keras-nightly",
    "tf-keras",
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tensorflow-intel",
    "tensorflow-macos",
    "tensorflow-aarch64",
    "tf-nightly",
}
REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def cache_path() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "shapecheck", f"imports-v{FORMAT}.json")


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    info: str  # the .dist-info folder
    editable: bool

    @property
    def key(self) -> str:
        return f"{self.name} {self.version}"


class Distributions:
    """Which installed distribution a top-level module comes from, read from the .dist-info
    folders beside it (by name first; `packages_distributions()` only when the names differ,
    as `yaml` and PyYAML)."""

    def __init__(self, cache: Optional[FactsCache] = None):
        self._by_top: dict[str, Optional[Dist]] = {}
        self._listings: dict[str, dict[str, str]] = {}
        self._packages: Optional[Mapping[str, list[str]]] = None
        self._requires: dict[str, Optional[str]] = {}
        self.cache = cache

    def of(self, top: str, spec) -> Optional[Dist]:
        if top not in self._by_top:
            self._by_top[top] = self._find(top, spec)
        return self._by_top[top]

    def _find(self, top: str, spec) -> Optional[Dist]:
        site = _site_of(spec)
        if site is None:
            return None
        listing = self._listing(site)
        folder = listing.get(normalize(top))
        remembered = self.cache.folder_of(top) if self.cache and folder is None else None
        if remembered and os.path.dirname(remembered) == site and os.path.isdir(remembered):
            folder = os.path.basename(remembered)  # PyYAML for yaml, without scanning every distribution
        if folder is None:
            if self._packages is None:
                import importlib.metadata

                self._packages = importlib.metadata.packages_distributions()
            folder = next((listing[normalize(d)] for d in self._packages.get(top, []) if normalize(d) in listing), None)
        if folder is None:
            return None
        name, _, version = folder[: -len(".dist-info")].partition("-")
        info = os.path.join(site, folder)
        if self.cache and normalize(top) != normalize(name) and self.cache.folder_of(top) != info:
            self.cache.remember_folder(top, info)
        return Dist(normalize(name), version, info, _editable(info))

    def _listing(self, site: str) -> dict[str, str]:
        if site not in self._listings:
            try:
                names = os.listdir(site)
            except OSError:
                names = []
            self._listings[site] = {
                normalize(n.partition("-")[0]): n for n in names if n.endswith(".dist-info") and "-" in n
            }
        return self._listings[site]

    def requires_keras(self, top: str, spec) -> Optional[str]:
        """The keras/tensorflow requirement of `top`'s distribution (not an optional extra's)."""
        if top in self._requires:
            return self._requires[top]
        dist = self.of(top, spec)
        answer = None
        if dist is not None:
            cached = self.cache.requires(dist) if self.cache else None
            answer = cached if cached is not None else _read_requires(dist)
            if self.cache and cached is None:
                self.cache.put_requires(dist, answer)
            answer = answer or None
        self._requires[top] = answer
        return answer


def _site_of(spec) -> Optional[str]:
    if spec is None:
        return None
    if spec.submodule_search_locations:
        locations = list(spec.submodule_search_locations)
        return os.path.dirname(locations[0]) if locations else None
    if spec.origin and os.path.isabs(spec.origin):
        return os.path.dirname(spec.origin)
    return None


def _editable(info: str) -> bool:
    try:
        with open(os.path.join(info, "direct_url.json"), encoding="utf-8") as handle:
            return bool(json.load(handle).get("dir_info", {}).get("editable"))
    except (OSError, ValueError, AttributeError):
        return False


def _read_requires(dist: Dist) -> str:
    """'' when the distribution requires neither keras nor tensorflow."""
    from email.parser import Parser

    try:
        with open(os.path.join(dist.info, "METADATA"), encoding="utf-8", errors="replace") as handle:
            metadata = Parser().parse(handle, headersonly=True)
    except OSError:
        return ""
    for requirement in metadata.get_all("Requires-Dist") or []:
        match = REQUIREMENT_NAME.match(requirement)
        marker = requirement.partition(";")[2]
        if match and normalize(match.group(1)) in KERAS_REQUIREMENTS and "extra" not in marker:
            return match.group(1)
    return ""


class FactsCache:
    """Per distribution (name and version): its keras requirement and, per module, the keras
    name it imports and the imports worth following ([name, inside a function]). Also the .dist-info folder of
    top-level names that their distribution's name does not give away (yaml: PyYAML)."""

    def __init__(self, path: Optional[str]):
        self.path = path
        self._document: Optional[dict] = None
        self._dirty = False

    def _section(self, name: str) -> dict:
        if self._document is None:
            self._document = self._load()
        section = self._document.setdefault(name, {})
        return section if isinstance(section, dict) else {}

    def _load(self) -> dict:
        if not self.path:
            return {}
        try:
            with open(self.path, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError):
            return {}
        return document if isinstance(document, dict) and document.get("format") == FORMAT else {}

    def _entry(self, dist: Dist, create: bool = False) -> Optional[dict]:
        if dist.editable or not self.path:
            return None
        entries = self._section("distributions")
        if create and not isinstance(entries.get(dist.key), dict):
            entries[dist.key] = {"modules": {}}
        entry = entries.get(dist.key)
        return entry if isinstance(entry, dict) else None

    def get(self, dist: Dist, module: str) -> Optional[tuple[Optional[str], list]]:
        entry = self._entry(dist)
        facts = entry.get("modules", {}).get(module) if entry else None
        if isinstance(facts, list) and len(facts) == 2 and isinstance(facts[1], list):
            return facts[0], list(facts[1])
        return None

    def put(self, dist: Dist, module: str, keras: Optional[str], imports: list) -> None:
        entry = self._entry(dist, create=True)
        if entry is not None:
            entry.setdefault("modules", {})[module] = [keras, imports]
            self._dirty = True

    def requires(self, dist: Dist) -> Optional[str]:
        entry = self._entry(dist)
        return entry.get("requires") if entry else None

    def put_requires(self, dist: Dist, requirement: str) -> None:
        entry = self._entry(dist, create=True)
        if entry is not None:
            entry["requires"] = requirement
            self._dirty = True

    def folder_of(self, top: str) -> Optional[str]:
        folder = self._section("top_level").get(top) if self.path else None
        return folder if isinstance(folder, str) else None

    def remember_folder(self, top: str, info: str) -> None:
        if self.path:
            self._section("top_level")[top] = info
            self._dirty = True

    def save(self) -> None:
        if not (self.path and self._dirty):
            return
        try:
            assert self._document is not None  # _dirty is set only after _section read it
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=os.path.dirname(self.path), suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({**self._document, "format": FORMAT}, handle, separators=(",", ":"))
            os.replace(temporary, self.path)
            self._dirty = False
        except OSError:
            pass  # a read-only home: the next run reads the packages again


NO_CACHE = FactsCache(None)
