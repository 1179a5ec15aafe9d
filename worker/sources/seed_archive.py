"""gzip and zip seeds: decompressed in bounded chunks so a bomb costs a few MiB, never the heap.

Every decompressed byte, at every level, is taken from one per-file budget (``max_bytes``);
going over raises DecompressionLimitError for the whole file. ``a.jsonl.gz`` is read as
``a.jsonl`` with the gzip file's origin; a zip member is read by its own suffix with origin
``{zip}!{member}``, and its failure is a record error at that location. Directories, hidden
members (a dot-part or ``__MACOSX``) are skipped and counted. Archives nest one level at most.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import PurePosixPath

from worker.errors import QuarantineError, TooLargeError, UnsupportedFormatError
from worker.sources.seed_common import Budget, DecompressionLimitError, ReadContext

Dispatch = Callable[[bytes, ReadContext], None]
CHUNK = 64 * 1024
_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"


def read_gzip(raw: bytes, ctx: ReadContext, *, dispatch: Dispatch) -> None:
    """A gzip file: its single content dispatched on the name without ``.gz``."""
    _check_depth(ctx)
    inner = ctx.member(ctx.name[: -len(".gz")])
    if not inner.name.lower().endswith(".warc"):
        dispatch(gunzip_bounded(raw, ctx.budget), inner)
        return
    data, error = inflate_members(raw, ctx.budget)
    dispatch(data, inner)
    if error is not None:
        ctx.add_error(ctx.location, QuarantineError(
            f"records after the last complete gzip member are lost: {error}",
            reason_code=error.reason_code))


def read_zip(raw: bytes, ctx: ReadContext, *, dispatch: Dispatch) -> None:
    """A zip file: every regular member dispatched on its own suffix."""
    _check_depth(ctx)
    declared = zip_entry_count(raw)
    if declared is not None and declared > ctx.limits.max_archive_members:
        raise TooLargeError(
            f"zip holds {declared} entries, above the {ctx.limits.max_archive_members} limit"
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise QuarantineError(f"not a readable zip file: {exc}",
                              reason_code="corrupt_archive") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > ctx.limits.max_archive_members:
            raise TooLargeError(
                f"zip holds {len(infos)} entries, above the {ctx.limits.max_archive_members} limit"
            )
        if sum(i.file_size for i in infos) > ctx.budget.bytes_left:
            raise DecompressionLimitError("zip contents above the seed byte limit")
        for info in infos:
            if info.is_dir():
                ctx.out.skip("zip_directory")
                continue
            if _hidden(info.filename):
                ctx.out.skip("zip_hidden")
                continue
            location = f"{ctx.location}!{info.filename}"
            try:
                data = _read_member(archive, info, ctx.budget)
            except DecompressionLimitError:
                raise
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, zlib.error,
                    EOFError, OSError) as exc:
                ctx.add_error(location, QuarantineError(
                    f"unreadable zip member: {exc}", reason_code="corrupt_archive"))
                continue
            try:
                dispatch(data, ctx.member(info.filename, location=location))
            except DecompressionLimitError:
                raise
            except QuarantineError as exc:
                ctx.add_error(location, exc, data)


def gunzip_bounded(raw: bytes, budget: Budget) -> bytes:
    """All gzip members of ``raw`` decompressed, charging every output chunk to ``budget``."""
    data, error = inflate_members(raw, budget)
    if error is not None:
        raise error
    return data


def inflate_members(raw: bytes, budget: Budget) -> tuple[bytes, QuarantineError | None]:
    """Complete gzip members of ``raw`` and the error that stopped the rest, if any.

    WARC files gzip each record on its own, so a truncated download keeps its whole records;
    with no complete member at all the error is raised.
    """
    out = bytearray()
    complete = 0
    pending = raw
    error: QuarantineError | None = None
    try:
        while pending:
            inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            while not inflater.eof:
                chunk = inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
                budget.take(len(chunk))
                out += chunk
                if not chunk and not pending and not inflater.eof:
                    raise QuarantineError("gzip data is truncated", reason_code="corrupt_archive")
            complete = len(out)
            pending = inflater.unused_data
            if not pending.strip(b"\x00"):
                break  # trailing padding after the last member
    except zlib.error as exc:
        error = QuarantineError(f"not readable gzip data: {exc}", reason_code="corrupt_archive")
    except QuarantineError as exc:
        if isinstance(exc, DecompressionLimitError):
            raise
        error = exc
    if not raw:
        error = QuarantineError("empty gzip file", reason_code="corrupt_archive")
    if error is not None and complete == 0:
        raise error
    return bytes(out[:complete]), error


def zip_entry_count(raw: bytes) -> int | None:
    """Entries the zip's end record declares, read before zipfile builds one object per entry."""
    at = raw.rfind(_EOCD_SIGNATURE, max(0, len(raw) - _EOCD.size - 0xFFFF))
    if at < 0 or at + _EOCD.size > len(raw):
        return None
    total = _EOCD.unpack_from(raw, at)[4]
    if total != 0xFFFF:
        return int(total)
    at64 = raw.rfind(_ZIP64_EOCD_SIGNATURE, 0, at)
    if at64 < 0 or at64 + 40 > len(raw):
        return None
    return int(struct.unpack_from("<Q", raw, at64 + 32)[0])


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    out = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            budget.take(len(chunk))
            out += chunk
    return bytes(out)


def _check_depth(ctx: ReadContext) -> None:
    if ctx.depth >= ctx.limits.max_archive_depth:
        raise UnsupportedFormatError(
            f"archive nested more than {ctx.limits.max_archive_depth - 1} level(s) deep"
        )


def _hidden(name: str) -> bool:
    return any(part.startswith(".") or part == "__MACOSX" for part in PurePosixPath(name).parts)
