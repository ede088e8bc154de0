"""Reading a file the user named without trusting it: regular files only, never more than a
cap, and JSON whose nesting and size are known before it is parsed.

- A FIFO, a device (`/dev/zero`) or a symlink to one is never opened: `os.stat` first.
- Every read stops at a cap: a plain file's bytes, a zip member's *decompressed* bytes (read
  in chunks, whatever its header claims), an `.h5` attribute's length.
- JSON is scanned before it is parsed: nesting deeper than MAX_JSON_DEPTH or more than
  MAX_JSON_CONTAINERS objects and arrays is refused (both bound the memory and the recursion
  of everything that walks the parsed value), and `NaN`/`Infinity` are not numbers here.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import struct
import zipfile
import zlib

from shapecheck.errors import CheckError

MAX_CONFIG_BYTES = 32 * 2**20  # a model config is kilobytes to a few megabytes
MAX_SOURCE_BYTES = 16 * 2**20  # a .py file
MAX_NOTEBOOK_BYTES = 128 * 2**20  # an .ipynb, outputs (images) and all
MAX_SETTINGS_BYTES = 4 * 2**20  # pyproject.toml, a baseline
MAX_JSON_DEPTH = 200  # a Keras config nests ~10 levels per nested model
MAX_JSON_CONTAINERS = 2_000_000  # objects + arrays: a 1,000-layer model has ~100,000
MAX_ZIP_ENTRIES = 10_000  # a .keras holds three (config.json, metadata.json, model.weights.h5)
MAX_ZIP_DIRECTORY = 4 * 2**20
CHUNK = 2**20

# a string to its closing quote, or to the end of the text when it has none: every match
# attempt succeeds, so the scan is linear whatever the quotes and backslashes
_STRINGS = re.compile(rb'"(?:[^"\\]+|\\.|\\\Z)*(?:"|\Z)', re.DOTALL)
_OPEN, _CLOSE = b"{[", b"}]"


def require_regular(path: str) -> os.stat_result:
    """The file's stat, or CheckError when it is not a regular file (a FIFO, a device, a
    folder; a symlink counts as what it points to)."""
    try:
        info = os.stat(path)
    except OSError as exc:
        raise CheckError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckError(f"{path}: not a regular file ({kind(info.st_mode)}); not read")
    return info


def kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a plain file"


def irregular(path: str) -> str | None:
    """Why `path` is not a regular file ('a named pipe'), or None when it is one (or is gone:
    reading it will say so)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else kind(mode)


def open_regular(path: str):
    """The file opened for reading (binary), once `os.stat` says it is a regular file; opened
    without blocking and checked again on the descriptor, so a file swapped for a pipe in
    between is not waited on either."""
    require_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise CheckError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise CheckError(f"{path}: not a regular file ({kind(mode)}); not read")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_file(path: str, cap: int = MAX_CONFIG_BYTES, what: str = "a model config") -> bytes:
    """At most `cap` bytes of a regular file; CheckError past that."""
    try:
        with open_regular(path) as handle:
            data = handle.read(cap + 1)
    except OSError as exc:
        raise CheckError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if len(data) > cap:
        raise CheckError(f"{path}: larger than {mib(cap)}; too large for {what}")
    return data


def read_zip_member(path: str, member: str, cap: int = MAX_CONFIG_BYTES) -> bytes:
    """A zip member's decompressed bytes, read in chunks and stopped at `cap` whatever the
    header claims (a deflate bomb, a lying size)."""
    handle = open_regular(path)
    try:
        _check_zip_directory(handle, path)
        with zipfile.ZipFile(handle) as archive:
            if member not in archive.namelist():
                raise CheckError(f"{path}: not a Keras 3 .keras file (no {member} inside)")
            return _read_capped(archive, archive.getinfo(member), path, cap)
    except zipfile.BadZipFile as exc:
        raise CheckError(f"{path}: not a .keras file (a corrupt or truncated zip: {exc})") from None
    except zlib.error:
        raise CheckError(f"{path}: {member} is corrupt (its compressed data does not inflate)") from None
    except (OSError, EOFError, zipfile.LargeZipFile, RuntimeError, NotImplementedError, ValueError) as exc:
        raise CheckError(f"{path}: cannot read the .keras file ({type(exc).__name__}: {exc})") from None
    finally:
        handle.close()


def _check_zip_directory(handle, path: str) -> None:
    """zipfile reads the whole central directory into memory, one object per entry: refuse a
    directory of millions of entries from its end record, before zipfile sees it."""
    try:
        size = os.fstat(handle.fileno()).st_size
        tail_size = min(size, 65_557)  # the end record (22 bytes) and a comment of at most 64 KiB
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + 22 > len(tail):
            return  # not a zip: zipfile says so
        entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
        if entries == 0xFFFF or directory == 0xFFFFFFFF:  # zip64: the real numbers are in its end record
            locator = tail[at - 20 : at] if at >= 20 else b""
            if locator[:4] == b"PK\x06\x07":
                handle.seek(struct.unpack("<Q", locator[8:16])[0])
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06" and len(record) == 56:
                    entries, directory = struct.unpack("<QQ", record[32:48])
    except (OSError, struct.error, OverflowError, ValueError):
        return  # zipfile reports what is wrong with it
    finally:
        handle.seek(0)
    if entries > MAX_ZIP_ENTRIES or directory > MAX_ZIP_DIRECTORY:
        count = f"at least {entries}" if entries == 0xFFFF else str(entries)
        raise CheckError(
            f"{path}: a zip of {count} entries ({directory} bytes of directory); a .keras file holds a few; not read"
        )


def _read_capped(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: str, cap: int) -> bytes:
    if info.file_size > cap:
        raise CheckError(
            f"{path}: {info.filename} is {info.file_size} bytes by its header, over the "
            f"{mib(cap)} cap for a model config; not read"
        )
    # zipfile stops at the header's size: claim more than the cap (by a chunk, so that it
    # never reaches that claim and checks a CRC first) and stop past the cap ourselves
    info.file_size = cap + CHUNK + 1
    chunks, total = [], 0
    with archive.open(info) as member:
        while total <= cap:
            chunk = member.read(CHUNK)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if total > cap:
        raise CheckError(f"{path}: {info.filename} inflates past {mib(cap)} (a zip bomb?); not read")
    return b"".join(chunks)


def mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def parse_json(data: bytes | str, path: str, what: str = "the model config") -> object:
    """JSON within the depth and size caps, without NaN or Infinity; CheckError otherwise."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    depth, containers = shape_of_json(raw)
    if depth > MAX_JSON_DEPTH:
        raise CheckError(f"{path}: {what} nests deeper than {MAX_JSON_DEPTH} levels; not parsed")
    if containers > MAX_JSON_CONTAINERS:
        raise CheckError(f"{path}: {what} holds more than {MAX_JSON_CONTAINERS:,} objects and arrays; not parsed")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckError(f"{path}: {what} is not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    try:
        return json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except _Constant as exc:
        raise CheckError(f"{path}: {what} holds {exc.args[0]}, which is not a number shapecheck accepts") from None
    except (ValueError, RecursionError) as exc:
        raise CheckError(f"{path}: {what} is not valid JSON ({type(exc).__name__}: {exc})") from None


class _Constant(Exception):
    pass


def _no_constant(name: str):
    raise _Constant(name)


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Constant(text[:40])
    return value


def shape_of_json(raw: bytes) -> tuple[int, int]:
    """(deepest nesting, number of objects and arrays) of JSON text, strings skipped; for
    text that is not JSON, an estimate that never undercounts brackets outside strings."""
    brackets = _STRINGS.sub(b"", raw).translate(None, _NOT_BRACKETS)
    containers = brackets.count(b"{") + brackets.count(b"[")
    if containers > MAX_JSON_CONTAINERS:
        return 0, containers
    depth = deepest = 0
    for start in range(0, len(brackets), CHUNK):
        chunk = brackets[start : start + CHUNK]
        if chunk.count(b"{") + chunk.count(b"[") + depth <= deepest:
            depth += chunk.count(b"{") + chunk.count(b"[") - chunk.count(b"}") - chunk.count(b"]")
            continue  # cannot go deeper than already seen: no need to walk it
        for byte in chunk:
            depth += 1 if byte in _OPEN else -1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest, containers
    return deepest, containers


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"{}[]")
