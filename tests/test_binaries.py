"""The binary header reader: debug information and symbol tables in ELF, Mach-O and PE files.

ELF files are real: compiled here with gcc (with and without ``-g``, stripped both ways,
``-gz``, a shared library, an object file) and cross-checked against ``readelf``; a PE image
is made from one by ``objcopy -O pei-x86-64`` when binutils can. Mach-O and PE files (and
ELF variants gcc here cannot make: 32-bit big-endian, extended section numbering) are laid
out byte by byte with :mod:`struct`, as the formats specify. Every real binary is also read
through archive member streams (a deflated wheel, a ``.tar.gz``) and through a stream that
refuses any backward seek, and must give the same answer as from disk.
"""

from __future__ import annotations

import io
import random
import re
import shutil
import struct
import subprocess
import tarfile
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest

from preupload_guard.read import binaries
from preupload_guard.read.archives import ArchiveReader
from preupload_guard.read.binaries import BinaryInfo, inspect_binary, sniff

SOURCE = r"""
#include <stdio.h>
static int helper(int x) { return x * 2; }
int exported(int y) { return helper(y) + 1; }
int main(void) { printf("%d\n", exported(3)); return 0; }
"""


# -- helpers -------------------------------------------------------------------------------
class ForwardOnly:
    """A stream that refuses every backward seek and records what is asked of it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.pos = 0
        self.total = 0
        self.largest = 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.inner.read(n)
        self.pos += len(data)
        self.total += len(data)
        self.largest = max(self.largest, n)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0 or offset < self.pos:
            raise OSError("this stream only goes forward")
        self.inner.seek(offset)
        self.pos = offset
        return offset

    def tell(self) -> int:
        return self.pos


def inspect_bytes(data: bytes, **kwargs: Any) -> BinaryInfo | None:
    return inspect_binary(io.BytesIO(data), len(data), **kwargs)


def inspect_path(path: Path, **kwargs: Any) -> BinaryInfo | None:
    with path.open("rb") as fh:
        return inspect_binary(fh, path.stat().st_size, **kwargs)


def inspect_forward_only(data: bytes, **kwargs: Any) -> BinaryInfo | None:
    return inspect_binary(cast(BinaryIO, ForwardOnly(io.BytesIO(data))), len(data), **kwargs)


def all_ways(path: Path) -> BinaryInfo | None:
    """Inspect ``path`` from disk (both seek modes) and forward-only: all must agree."""
    data = path.read_bytes()
    cheap = inspect_path(path, cheap_seek=True)
    assert inspect_path(path) == cheap
    assert inspect_forward_only(data) == cheap
    return cheap


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


def readelf_sections(path: Path) -> dict[str, tuple[str, int, str]]:
    """``{name: (type, size, flags)}`` from ``readelf -SW``."""
    out = subprocess.run(["readelf", "-SW", str(path)], check=True, capture_output=True,
                         text=True).stdout
    pattern = re.compile(r"^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+[0-9a-f]+\s+[0-9a-f]+\s+"
                         r"([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s+\d+\s+\d+\s+\d+\s*$")
    sections = {}
    for line in out.splitlines():
        match = pattern.match(line)
        if match and match.group(1) != "0":
            sections[match.group(2)] = (match.group(3), int(match.group(4), 16),
                                        match.group(5))
    assert sections, out
    return sections


# -- real ELF files --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def elves(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Small real binaries: ``g``, ``nog``, ``strip_debug``, ``strip_all``, ``gz``, ``shared``,
    ``object``, and ``padded`` (``g`` plus a 300 KiB ``.debug_pad`` section, so its tables
    lie beyond the tar reader's own look-behind). Keys are missing when a tool is."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    d = tmp_path_factory.mktemp("elves")
    src = d / "prog.c"
    src.write_text(SOURCE)
    out: dict[str, Path] = {}
    for key, flags in {"g": ["-g"], "nog": [], "shared": ["-g", "-shared", "-fPIC"],
                       "object": ["-g", "-c"]}.items():
        run(gcc, "-O0", *flags, src, "-o", d / key)
        out[key] = d / key
    try:
        run(gcc, "-O0", "-g", "-gz", src, "-o", d / "gz")
        out["gz"] = d / "gz"
    except subprocess.CalledProcessError:
        pass  # a toolchain without compressed debug sections
    strip = shutil.which("strip")
    if strip is not None:
        for key, flags in {"strip_debug": ["--strip-debug"], "strip_all": []}.items():
            shutil.copy(d / "g", d / key)
            run(strip, *flags, d / key)
            out[key] = d / key
    objcopy = shutil.which("objcopy")
    if objcopy is not None:
        pad = d / "pad.bin"
        pad.write_bytes(random.Random(7).randbytes(300 * 1024))
        run(objcopy, "--add-section", f".debug_pad={pad}", d / "g", d / "padded")
        out["padded"] = d / "padded"
    return out


def need(elves: dict[str, Path], *keys: str) -> list[Path]:
    missing = [k for k in keys if k not in elves]
    if missing:
        pytest.skip(f"the toolchain here cannot make {', '.join(missing)}")
    return [elves[k] for k in keys]


def test_debug_build_has_debug_sections_and_symbols(elves: dict[str, Path]) -> None:
    info = all_ways(elves["g"])
    assert info is not None
    assert info.format == "elf" and info.arch == "x86_64"
    assert info.complete and info.note is None
    names = dict(info.sections)
    assert {".debug_info", ".debug_abbrev", ".debug_line", ".symtab", ".strtab"} <= set(names)
    assert info.debug_bytes == sum(s for n, s in info.sections if n.startswith(".debug"))
    assert info.symbol_bytes == names[".symtab"] + names[".strtab"]
    assert info.debug_bytes > 0 and info.symbol_bytes > 0
    assert info.strippable_bytes == info.debug_bytes + info.symbol_bytes


def test_build_without_g_has_symbols_only(elves: dict[str, Path]) -> None:
    info = all_ways(elves["nog"])
    assert info is not None and info.complete
    assert info.debug_bytes == 0 and info.symbol_bytes > 0
    assert {n for n, _ in info.sections} == {".symtab", ".strtab"}


def test_strip_debug_then_strip_all(elves: dict[str, Path]) -> None:
    debug_stripped, stripped = need(elves, "strip_debug", "strip_all")
    info = all_ways(debug_stripped)
    assert info is not None and info.complete
    assert info.debug_bytes == 0 and info.symbol_bytes > 0
    info = all_ways(stripped)
    assert info == BinaryInfo("elf", "x86_64", 0, 0, (), True)


def test_compressed_debug_sections_count_their_size_on_disk(elves: dict[str, Path]) -> None:
    (gz,) = need(elves, "gz")
    info = all_ways(gz)
    assert info is not None and info.complete and info.debug_bytes > 0
    if shutil.which("readelf"):
        sections = readelf_sections(gz)
        if "C" not in sections[".debug_info"][2]:
            pytest.skip("gcc -gz made no compressed sections here")
        assert dict(info.sections)[".debug_info"] == sections[".debug_info"][1]


def test_shared_library_and_object_file(elves: dict[str, Path]) -> None:
    shared = all_ways(elves["shared"])
    assert shared is not None and shared.complete
    assert shared.debug_bytes > 0 and shared.symbol_bytes > 0
    obj = all_ways(elves["object"])
    assert obj is not None and obj.complete
    names = dict(obj.sections)
    # In an object file the relocations of debug sections go with them (strip -g drops both).
    assert ".rela.debug_info" in names
    assert ".rela.text" not in names and ".text" not in names


@pytest.mark.parametrize("key", ["g", "nog", "strip_debug", "strip_all", "gz", "shared",
                                 "object", "padded"])
def test_sizes_agree_with_readelf(elves: dict[str, Path], key: str) -> None:
    if shutil.which("readelf") is None:
        pytest.skip("readelf is not installed")
    (path,) = need(elves, key)
    info = inspect_path(path, cheap_seek=True)
    assert info is not None
    sections = readelf_sections(path)
    for name, size in info.sections:
        assert sections[name][1] == size, name
    debug = {n: s for n, (_, s, flags) in sections.items()
             if n.startswith((".debug", ".rela.debug")) and "A" not in flags}
    assert {n for n, _ in info.sections if ".debug" in n} == set(debug)
    assert info.debug_bytes == sum(debug.values())
    assert info.symbol_bytes == sum(s for n, (_, s, _) in sections.items()
                                    if n in (".symtab", ".strtab"))


# -- through real archive member streams ---------------------------------------------------------
@pytest.fixture(scope="module")
def packed(elves: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
           ) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("packed")
    wheel = d / "native-1.0-cp311-cp311-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("native/__init__.py", "")
        for key, path in elves.items():
            zf.write(path, f"native/{key}.so")
    sdist = d / "native-1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as tf:
        for key, path in elves.items():
            tf.add(path, f"native-1.0/build/{key}.so")
        readme = d / "README"
        readme.write_text("not a binary\n")
        tf.add(readme, "native-1.0/README")
    return {"zip": wheel, "tar": sdist}


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_member_streams_give_the_same_answers(elves: dict[str, Path],
                                              packed: dict[str, Path], kind: str) -> None:
    reader = ArchiveReader(packed[kind], kind)
    seen = {}
    for member, stream in reader.iter_streams(lambda m: m.name.endswith(".so")):
        key = member.name.rsplit("/", 1)[1].removesuffix(".so")
        seen[key] = inspect_binary(stream, member.size)
    assert set(seen) == set(elves)
    for key, path in elves.items():
        assert seen[key] == inspect_path(path, cheap_seek=True), key
        assert seen[key] is not None and seen[key].complete  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_member_streams_are_read_forward_only(elves: dict[str, Path],
                                              packed: dict[str, Path], kind: str) -> None:
    """No backward seek at all, even for the section names before the section headers."""
    (padded,) = need(elves, "padded")
    reader = ArchiveReader(packed[kind], kind)
    for member, stream in reader.iter_streams(lambda m: m.name.endswith("padded.so")):
        wrapped = ForwardOnly(stream)
        info = inspect_binary(cast(BinaryIO, wrapped), member.size)
        assert info == inspect_path(padded, cheap_seek=True)
        assert info is not None and info.complete
        assert wrapped.largest <= binaries._CHUNK
        break
    else:
        raise AssertionError("no padded.so member")


def test_a_file_on_disk_with_cheap_seeks_reads_only_the_tables(elves: dict[str, Path]) -> None:
    (padded,) = need(elves, "padded")
    with padded.open("rb") as fh:
        wrapped = _Counting(fh)
        info = inspect_binary(cast(BinaryIO, wrapped), padded.stat().st_size, cheap_seek=True)
    assert info is not None and info.complete
    assert wrapped.total < 8 * 1024 < padded.stat().st_size // 30


class _Counting:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.total = 0

    def read(self, n: int = -1) -> bytes:
        data: bytes = self.inner.read(n)
        self.total += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return int(self.inner.seek(offset, whence))

    def tell(self) -> int:
        return int(self.inner.tell())


def test_names_out_of_reach_of_a_forward_only_stream(elves: dict[str, Path],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the tail window the names are behind us: sizes stay, names are lost."""
    data = elves["g"].read_bytes()
    full = inspect_bytes(data, cheap_seek=True)
    monkeypatch.setattr(binaries, "_TAIL_WINDOW", 0)
    blind = inspect_forward_only(data)
    assert full is not None and blind is not None
    assert not blind.complete and blind.note is not None and "names" in blind.note
    assert blind.debug_bytes == 0
    assert blind.symbol_bytes == full.symbol_bytes  # found by section type, not by name
    # A stream that can go back (a zip member, at the cost of decompressing again) can.
    assert inspect_bytes(data) == full


# -- synthetic ELF (32-bit big-endian, extended numbering) --------------------------------------
ElfSection = tuple[str, int, int, bytes | int, int, int]  # name, type, flags, data, link, info


def make_elf(sections: list[ElfSection], *, is64: bool, little: bool, machine: int,
             extended: bool = False, pad_to: int = 0) -> bytes:
    """An ELF relocatable file: header, section contents, ``.shstrtab``, section headers.

    ``data`` is the contents, or for ``SHT_NOBITS`` the size. With ``extended``, the
    section count and ``.shstrtab`` index live in section 0 (``e_shnum = 0``,
    ``e_shstrndx = SHN_XINDEX``), as the gABI requires from 0xff00 sections on.
    """
    e = "<" if little else ">"
    ehdr = struct.Struct(e + ("16sHHIQQQIHHHHHH" if is64 else "16sHHIIIIIHHHHHH"))
    shdr = struct.Struct(e + ("IIQQQQIIQQ" if is64 else "IIIIIIIIII"))
    names = bytearray(b"\0")
    name_at: dict[str, int] = {}
    for name in [s[0] for s in sections] + [".shstrtab"]:
        if name and name not in name_at:
            name_at[name] = len(names)
            names += name.encode() + b"\0"
    body = bytearray(ehdr.size)
    headers: list[tuple[int, ...]] = []
    for name, kind, flags, data, link, info in sections:
        offset = len(body)
        if isinstance(data, int):
            size = data
        else:
            body += data
            size = len(data)
        headers.append((name_at.get(name, 0), kind, flags, 0, offset, size, link, info, 1, 0))
    shstrndx = len(sections) + 1
    headers.append((name_at[".shstrtab"], 3, 0, 0, len(body), len(names), 0, 0, 1, 0))
    body += names
    body += bytes(max(0, pad_to - len(body)))
    body += bytes(-len(body) % 8)
    shoff = len(body)
    count = len(headers) + 1
    null = (0, 0, 0, 0, 0, count if extended else 0, shstrndx if extended else 0, 0, 0, 0)
    for header in [null, *headers]:
        body += shdr.pack(*header)
    ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if little else 2, 1]) + bytes(9)
    struct.pack_into(ehdr.format, body, 0, ident, 1, machine, 1, 0, 0, shoff, 0, ehdr.size,
                     0, 0, shdr.size, 0 if extended else count,
                     0xFFFF if extended else shstrndx)
    return bytes(body)


def test_elf32_big_endian_with_extended_numbering() -> None:
    """0xff10 sections (e_shnum = 0): the count and .shstrtab index come from section 0."""
    fillers: list[ElfSection] = [("", 1, 0, b"", 0, 0)] * 0xFF00
    tail: list[ElfSection] = [
        (".text", 1, 0x6, b"\x60\x00\x00\x00" * 8, 0, 0),
        (".debug_info", 1, 0, b"D" * 300, 0, 0),
        (".debug_str", 1, 0x30, b"S" * 120, 0, 0),
        (".debug_nobits", 8, 0, 5000, 0, 0),  # SHT_NOBITS: no file space
        (".debug_alloc", 1, 0x2, b"A" * 64, 0, 0),  # loaded at run time: not debug info
        (".symtab", 2, 0, b"Y" * 160, 0xFF00 + 7, 0),  # links to .strtab
        (".strtab", 3, 0, b"Z" * 50, 0, 0),
    ]
    data = make_elf(fillers + tail, is64=False, little=False, machine=20, extended=True)
    for info in (inspect_bytes(data, cheap_seek=True), inspect_forward_only(data)):
        assert info is not None
        assert info.arch == "ppc" and info.complete, info.note
        assert info.sections == ((".debug_info", 300), (".debug_str", 120),
                                 (".symtab", 160), (".strtab", 50))
        assert (info.debug_bytes, info.symbol_bytes) == (420, 210)


@pytest.mark.parametrize(("is64", "little", "machine", "arch"), [
    (True, True, 183, "aarch64"), (True, True, 21, "ppc64le"), (True, False, 22, "s390x"),
    (False, True, 3, "i386"), (False, True, 40, "arm"), (True, True, 9999, None),
])
def test_elf_variants_and_arch_names(is64: bool, little: bool, machine: int,
                                     arch: str | None) -> None:
    data = make_elf([(".zdebug_info", 1, 0, b"z" * 77, 0, 0),
                     (".gnu.debuglto_.debug_info", 1, 0, b"l" * 11, 0, 0),
                     (".stab", 1, 0, b"s" * 12, 0, 0), (".stabstr", 1, 0, b"t" * 13, 0, 0),
                     (".comment", 1, 0x30, b"GCC\0", 0, 0)],
                    is64=is64, little=little, machine=machine)
    info = inspect_bytes(data)
    assert info is not None and info.complete
    assert info.arch == arch
    assert info.debug_bytes == 77 + 11 + 12 + 13 and info.symbol_bytes == 0


def test_overlapping_sections_are_counted_once() -> None:
    data = bytearray(make_elf([(".debug_info", 1, 0, b"D" * 400, 0, 0),
                               (".debug_line", 1, 0, b"L" * 100, 0, 0)],
                              is64=True, little=True, machine=62))
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    info_offset = struct.unpack_from("<Q", data, shoff + 64 + 24)[0]
    struct.pack_into("<Q", data, shoff + 2 * 64 + 24, info_offset)  # .debug_line inside it
    info = inspect_bytes(bytes(data))
    assert info is not None and info.debug_bytes == 400


# -- Mach-O ------------------------------------------------------------------------------------
MH_MAGIC_64, MH_MAGIC = 0xFEEDFACF, 0xFEEDFACE
CPU_X86_64, CPU_ARM64, CPU_PPC = 0x01000007, 0x0100000C, 18
N_SO, N_OSO, N_FUN, N_SECT_LOCAL, N_SECT_EXT, N_UNDF_EXT = 0x64, 0x66, 0x24, 0x0E, 0x0F, 0x01


def align(n: int, to: int) -> int:
    return -(-n // to) * to


def make_macho(*, cputype: int, cpusubtype: int = 0, is64: bool = True, little: bool = True,
               segments: dict[str, list[tuple[str, bytes | int, int]]],
               symbols: list[tuple[str, int]], filetype: int = 0xA) -> bytes:
    """A thin Mach-O: header, LC_SEGMENT(_64) per segment, LC_SYMTAB, then the data.

    ``segments`` maps a segment name to ``(section name, contents or zero-fill size, flags)``;
    ``symbols`` are ``(name, n_type)``. The string table starts with the empty name, and a
    name that appears twice is stored once (both entries point at it), as ld64 does.
    """
    e = "<" if little else ">"
    header = struct.Struct(e + ("IiiIIIII" if is64 else "IiiIIII"))
    seg = struct.Struct(e + ("II16sQQQQiiII" if is64 else "II16sIIIIiiII"))
    sect = struct.Struct(e + ("16s16sQQIIIIIIII" if is64 else "16s16sIIIIIIIII"))
    nlist = struct.Struct(e + ("IBBHQ" if is64 else "IBBhI"))
    symtab_cmd = struct.Struct(e + "IIIIII")
    sizeofcmds = sum(seg.size + len(s) * sect.size for s in segments.values()) + symtab_cmd.size
    offset = align(header.size + sizeofcmds, 16)
    cmds = bytearray()
    blobs = bytearray()
    data_start = offset
    for segname, sections in segments.items():
        seg_start = offset
        packed = bytearray()
        for sectname, contents, flags in sections:
            if isinstance(contents, int):  # zero-fill: no file space
                packed += sect.pack(sectname.encode(), segname.encode(), 0, contents, 0, 0,
                                    0, 0, flags, 0, 0, *([0] if is64 else []))
                continue
            packed += sect.pack(sectname.encode(), segname.encode(), 0, len(contents),
                                offset, 0, 0, 0, flags, 0, 0, *([0] if is64 else []))
            blobs += contents + bytes(align(len(contents), 16) - len(contents))
            offset = data_start + len(blobs)
        cmds += seg.pack(0x19 if is64 else 0x1, seg.size + len(packed), segname.encode(), 0, 0,
                         seg_start, offset - seg_start, 7, 5, len(sections), 0) + packed
    strings = bytearray(b"\0")
    where: dict[str, int] = {"": 0}
    for name, _ in symbols:
        if name not in where:
            where[name] = len(strings)
            strings += name.encode() + b"\0"
    symoff = offset
    for name, kind in symbols:
        blobs += nlist.pack(where[name], kind, 1, 0, 0x1000)
    stroff = data_start + len(blobs)
    blobs += strings
    cmds += symtab_cmd.pack(0x2, symtab_cmd.size, symoff, len(symbols), stroff, len(strings))
    assert len(cmds) == sizeofcmds
    head = header.pack(MH_MAGIC_64 if is64 else MH_MAGIC, cputype, cpusubtype, filetype,
                       len(segments) + 1, sizeofcmds, 0, *([0] if is64 else []))
    return head + bytes(cmds) + bytes(data_start - len(head) - len(cmds)) + bytes(blobs)


DWARF = {"__debug_info": b"I" * 1000, "__debug_abbrev": b"A" * 200, "__debug_str": b"S" * 333}
SYMBOLS = [("", N_SO), ("/src/prog.c", N_SO), ("/tmp/prog.o", N_OSO), ("_helper", N_FUN),
           ("_helper", N_SECT_LOCAL), ("ltmp0", N_SECT_LOCAL), ("_exported", N_SECT_EXT),
           ("_printf", N_UNDF_EXT)]


def macho(cputype: int = CPU_ARM64, **kwargs: Any) -> bytes:
    segments = {
        "__TEXT": [("__text", b"\xc0\x03\x5f\xd6" * 4, 0x80000400)],
        "__DATA": [("__bss", 4096, 0x1)],
        "__DWARF": [(name, data, 0) for name, data in DWARF.items()],
    }
    return make_macho(cputype=cputype, segments=segments, symbols=SYMBOLS, **kwargs)


def test_macho64_dwarf_segment_and_symbol_table() -> None:
    data = macho()
    assert sniff(data[:64]) == "macho"
    info = inspect_bytes(data)
    assert info is not None and info.format == "macho" and info.arch == "arm64"
    assert info.complete, info.note
    dwarf = sum(len(v) for v in DWARF.values())
    # stabs: 4 entries; names "/src/prog.c", "/tmp/prog.o", "_helper" (the empty one is free)
    stabs = 4 * 16 + len(b"/src/prog.c\0/tmp/prog.o\0_helper\0")
    # locals: "_helper" (its name already counted with the stab) and "ltmp0"
    local = 2 * 16 + len(b"ltmp0\0")
    assert info.debug_bytes == dwarf + stabs
    assert info.symbol_bytes == local
    assert ("__DWARF,__debug_info", 1000) in info.sections
    assert not any("__bss" in name or "__text" in name for name, _ in info.sections)
    assert inspect_forward_only(data) == info


def test_macho32_big_endian() -> None:
    data = macho(CPU_PPC, is64=False, little=False)
    info = inspect_bytes(data)
    assert info is not None and info.arch == "ppc" and info.complete
    assert info.debug_bytes == sum(len(v) for v in DWARF.values()) + 4 * 12 + 32
    assert info.symbol_bytes == 2 * 12 + 6


def test_macho_without_dwarf_or_locals_has_nothing_to_strip() -> None:
    data = make_macho(cputype=CPU_X86_64, cpusubtype=8, filetype=0x6,
                      segments={"__TEXT": [("__text", b"\x90" * 32, 0)]},
                      symbols=[("_exported", N_SECT_EXT), ("_printf", N_UNDF_EXT)])
    info = inspect_bytes(data)
    assert info == BinaryInfo("macho", "x86_64h", 0, 0, (), True)


def make_fat(slices: list[tuple[int, int, bytes]], *, fat64: bool = False) -> bytes:
    """A universal file: the fat header, one fat_arch per slice, slices 4 KiB aligned."""
    entry = struct.Struct(">iiQQII" if fat64 else ">iiIII")
    offset = align(8 + len(slices) * entry.size, 4096)
    table = bytearray()
    body = bytearray()
    for cputype, cpusubtype, data in slices:
        fields = (cputype, cpusubtype, offset, len(data), 12) + ((0,) if fat64 else ())
        table += entry.pack(*fields)
        body += data + bytes(align(len(data), 4096) - len(data))
        offset += align(len(data), 4096)
    head = struct.pack(">II", 0xCAFEBABF if fat64 else 0xCAFEBABE, len(slices)) + table
    return head + bytes(align(len(head), 4096) - len(head)) + bytes(body)


@pytest.mark.parametrize("fat64", [False, True])
def test_fat_binary_sums_its_arches(fat64: bool) -> None:
    x86 = macho(CPU_X86_64)
    arm = macho(CPU_ARM64, cpusubtype=2)
    data = make_fat([(CPU_X86_64, 3, x86), (CPU_ARM64, 2, arm)], fat64=fat64)
    assert sniff(data[:64]) == "macho"
    info = inspect_bytes(data)
    thin = inspect_bytes(x86)
    assert info is not None and thin is not None
    assert info.arch == "universal" and info.complete, info.note
    assert info.debug_bytes == 2 * thin.debug_bytes
    assert info.symbol_bytes == 2 * thin.symbol_bytes
    assert ("x86_64:__DWARF,__debug_info", 1000) in info.sections
    assert ("arm64e:__DWARF,__debug_info", 1000) in info.sections
    assert inspect_forward_only(data) == info


def test_java_class_file_is_not_a_fat_binary() -> None:
    # magic, minor 0, major 65 (Java 21), then a constant pool
    java = bytes.fromhex("cafebabe00000041") + b"\x00\x1d\x0a\x00\x02\x00\x03" + bytes(200)
    assert sniff(java[:64]) is None
    assert inspect_bytes(java) is None
    preview = bytes.fromhex("cafebabeffff0041") + bytes(64)  # minor 0xffff: preview features
    assert sniff(preview) is None and inspect_bytes(preview) is None


# -- PE -------------------------------------------------------------------------------------------
FILE_ALIGN = 0x200
PeSection = tuple[str, bytes | Callable[[int, int], bytes]]


def make_pe(sections: list[PeSection], *, symbols: list[str], pe32plus: bool = True,
            machine: int = 0x8664, debug_dir: tuple[int, int] | None = None) -> bytes:
    """A PE image: DOS header, ``PE\\0\\0``, COFF header, optional header, section table,
    sections (raw data padded to FileAlignment), COFF symbol table and string table.

    A section's contents may be a callable given its file offset and RVA (for records that
    point at themselves). Names over 8 bytes go to the string table (``/offset``), as do
    symbol names over 8 bytes. ``debug_dir`` is (section index, size) of the debug
    directory, placed at that section's start.
    """
    lfanew = 0x80
    optsize = 240 if pe32plus else 224
    strings = bytearray(4)

    def string(name: str) -> int:
        at = len(strings)
        strings.extend(name.encode() + b"\0")
        return at

    headers_size = align(lfanew + 24 + optsize + 40 * len(sections), FILE_ALIGN)
    table = bytearray()
    body = bytearray()
    rvas = []
    for i, (name, contents) in enumerate(sections):
        ptr, rva = headers_size + len(body), 0x1000 * (i + 1)
        data = contents(ptr, rva) if callable(contents) else contents
        raw = align(len(data), FILE_ALIGN)
        field = name.encode() if len(name) <= 8 else f"/{string(name)}".encode()
        table += struct.pack("<8sIIIIIIHHI", field, len(data), rva, raw, ptr, 0, 0, 0, 0,
                             0x42000040)
        body += data + bytes(raw - len(data))
        rvas.append(rva)
    symtab = bytearray()
    for k, name in enumerate(symbols):
        field = name.encode() if len(name) <= 8 else struct.pack("<II", 0, string(name))
        symtab += struct.pack("<8sIhHBB", field, 16 * k, 1, 0x20, 2, 0)
    struct.pack_into("<I", strings, 0, len(strings))
    symptr = headers_size + len(body) if symbols else 0

    optional = bytearray(optsize)
    if pe32plus:
        struct.pack_into("<HBB", optional, 0, 0x20B, 2, 40)
        struct.pack_into("<Q", optional, 24, 0x140000000)
        count_at, dirs_at = 108, 112
    else:
        struct.pack_into("<HBB", optional, 0, 0x10B, 2, 40)
        struct.pack_into("<I", optional, 28, 0x400000)
        count_at, dirs_at = 92, 96
    struct.pack_into("<II", optional, 32, 0x1000, FILE_ALIGN)
    struct.pack_into("<II", optional, 56, 0x1000 * (len(sections) + 1), headers_size)
    struct.pack_into("<H", optional, 68, 3)  # console subsystem
    struct.pack_into("<I", optional, count_at, 16)
    if debug_dir is not None:
        struct.pack_into("<II", optional, dirs_at + 6 * 8, rvas[debug_dir[0]], debug_dir[1])
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", machine, len(sections), 0, symptr,
                       len(symbols), optsize, 0x22)
    dos = bytearray(lfanew)
    dos[:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, lfanew)
    head = bytes(dos) + coff + bytes(optional) + bytes(table)
    out = head + bytes(headers_size - len(head)) + bytes(body)
    return out + (bytes(symtab) + bytes(strings) if symbols else b"")


def test_pe32plus_long_debug_names_and_coff_symbols() -> None:
    sections: list[PeSection] = [
        (".text", b"\xc3" * 100),
        (".rdata", b"r" * 50),
        (".debug_info", b"I" * 700),  # 11 characters: "/4" into the string table
        (".debug_abbrev", b"A" * 90),
        (".gnu_longname", b"n" * 10),  # a long name a strip keeps
    ]
    symbols = ["main", "exported_function", "helper"]
    data = make_pe(sections, symbols=symbols)
    assert sniff(data[:64]) == "pe"
    info = inspect_bytes(data)
    assert info is not None and info.format == "pe" and info.arch == "x86_64"
    assert info.complete, info.note
    assert info.sections[:2] == ((".debug_info", 1024), (".debug_abbrev", 512))
    assert info.debug_bytes == 1024 + 512
    strtab = 4 + len(b".debug_info\0.debug_abbrev\0.gnu_longname\0exported_function\0")
    kept = 4 + len(b".gnu_longname\0")
    assert info.symbol_bytes == 3 * 18 + strtab - kept
    assert inspect_forward_only(data) == info


def test_pe32_short_stab_names() -> None:
    data = make_pe([(".text", b"\xc3"), (".stab", b"s" * 10), (".stabstr", b"t" * 10)],
                   symbols=[], pe32plus=False, machine=0x14C)
    info = inspect_bytes(data)
    assert info == BinaryInfo("pe", "i386", 1024, 0, ((".stab", 512), (".stabstr", 512)), True)


def test_pe_with_an_external_pdb() -> None:
    def rdata(ptr: int, rva: int) -> bytes:
        record = b"RSDS" + bytes(range(16)) + struct.pack("<I", 1) + b"C:\\build\\native.pdb\0"
        entry = struct.pack("<IIHHIIII", 0, 0, 0, 0, 2, len(record), rva + 28, ptr + 28)
        return entry + record

    data = make_pe([(".text", b"\xc3" * 16), (".rdata", rdata)], symbols=[],
                   debug_dir=(1, 28))
    for info in (inspect_bytes(data), inspect_forward_only(data)):
        assert info is not None and info.complete
        assert info.strippable_bytes == 0
        assert info.note is not None and "external PDB (C:\\build\\native.pdb)" in info.note


def test_mz_without_pe_signature_is_not_a_binary() -> None:
    dos = bytearray(256)
    dos[:2] = b"MZ"
    struct.pack_into("<I", dos, 0x3C, 0x80)
    assert sniff(bytes(dos[:64])) == "pe"  # a candidate only
    assert inspect_bytes(bytes(dos)) is None
    struct.pack_into("<I", dos, 0x3C, 10**9)
    assert inspect_bytes(bytes(dos)) is None


@pytest.fixture(scope="module")
def real_pe(elves: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, Path]:
    """PE images that binutils makes from the ELF build (``objcopy -O pei-x86-64``)."""
    objcopy, strip = shutil.which("objcopy"), shutil.which("strip")
    if objcopy is None or strip is None:
        pytest.skip("binutils is not installed")
    d = tmp_path_factory.mktemp("pe")
    try:
        run(objcopy, "-O", "pei-x86-64", elves["g"], d / "g.exe")
    except subprocess.CalledProcessError:
        pytest.skip("this objcopy cannot write PE images")
    for key, flags in {"strip_debug": ["--strip-debug"], "strip_all": []}.items():
        shutil.copy(d / "g.exe", d / f"{key}.exe")
        run(strip, *flags, d / f"{key}.exe")
    return {p.stem: p for p in d.iterdir()}


def test_real_pe_from_binutils(real_pe: dict[str, Path]) -> None:
    info = all_ways(real_pe["g"])
    assert info is not None and info.format == "pe" and info.complete
    out = subprocess.run(["objdump", "-h", str(real_pe["g"])], check=True, text=True,
                         capture_output=True).stdout
    debugging = re.findall(r"^\s*\d+\s+(\S+)\s+[0-9a-f]+\s.*\n\s+.*DEBUGGING", out, re.M)
    assert debugging and {n for n, _ in info.sections if n.startswith(".")} == set(debugging)
    assert info.debug_bytes > 0 and info.symbol_bytes > 0
    debug_stripped = all_ways(real_pe["strip_debug"])
    stripped = all_ways(real_pe["strip_all"])
    assert debug_stripped is not None and stripped is not None
    assert debug_stripped.debug_bytes == 0 and debug_stripped.symbol_bytes > 0
    # The symbol and string tables are the file's tail: stripping them saves exactly this.
    size = real_pe["strip_debug"].stat().st_size - real_pe["strip_all"].stat().st_size
    assert debug_stripped.symbol_bytes == size
    # binutils keeps a string table for the long section names; it is not counted.
    assert stripped == BinaryInfo("pe", "x86_64", 0, 0, (), True)


# -- garbage -----------------------------------------------------------------------------------
def check_sane(info: BinaryInfo | None, size: int) -> None:
    if info is None:
        return
    assert info.format in ("elf", "macho", "pe")
    assert 0 <= info.debug_bytes <= size and 0 <= info.symbol_bytes <= size
    assert info.strippable_bytes <= size
    assert all(0 < n <= size for _, n in info.sections)
    assert info.complete or info.note


def every_way(data: bytes, size: int | None = None, **kwargs: Any) -> list[BinaryInfo | None]:
    size = len(data) if size is None else size
    results = [
        inspect_binary(io.BytesIO(data), size, **kwargs),
        inspect_binary(io.BytesIO(data), size, cheap_seek=True, **kwargs),
        inspect_binary(cast(BinaryIO, ForwardOnly(io.BytesIO(data))), size, **kwargs),
    ]
    for info in results:
        check_sane(info, size)
    return results


def test_truncated_at_every_cut_point(elves: dict[str, Path]) -> None:
    data = elves["g"].read_bytes()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    cuts = {*range(80), *range(shoff - 400, len(data), 7), *range(0, len(data), 997)}
    for cut in sorted(cuts):
        truncated = data[:cut]
        for info in every_way(truncated):  # a short file, honestly sized
            if cut >= shoff + 64:  # the section headers start is there: still an ELF
                assert info is not None and info.format == "elf"
            if info is not None and cut < len(data):
                assert not info.complete or info.sections == ()
        for info in every_way(truncated, len(data)):  # a stream ending early
            assert info is None or not info.complete or info.strippable_bytes == 0


def patched(data: bytes, fmt: str, offset: int, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def test_absurd_elf_header_fields(elves: dict[str, Path]) -> None:
    data = elves["g"].read_bytes()
    cases = {
        "e_shoff past the end": patched(data, "<Q", 0x28, len(data) + 10**6),
        "e_shoff huge": patched(data, "<Q", 0x28, 2**64 - 1),
        "e_shnum huge": patched(data, "<H", 0x3C, 0xFEFF),
        "e_shentsize tiny": patched(data, "<H", 0x3A, 1),
        "e_shentsize huge": patched(data, "<H", 0x3A, 0xFFFF),
        "e_shstrndx out of range": patched(data, "<H", 0x3E, 0xFEFE),
        "e_shstrndx xindex without extension": patched(data, "<H", 0x3E, 0xFFFF),
    }
    for label, bad in cases.items():
        for info in every_way(bad):
            assert info is not None and info.format == "elf", label
            assert not info.complete and info.note, label


def test_absurd_extended_count_reads_bounded_memory(elves: dict[str, Path]) -> None:
    """Section 0 claims 2**63 sections over an 8 MB file; 64 KiB tables are read at most."""
    data = bytearray(elves["g"].read_bytes())
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    struct.pack_into("<H", data, 0x3C, 0)  # e_shnum: look in section 0
    struct.pack_into("<Q", data, shoff + 32, 2**63)  # section 0's sh_size
    data += bytes(8 * 1024 * 1024)
    blob = bytes(data)
    for cheap in (True, False):
        stream = ForwardOnly(io.BytesIO(blob)) if not cheap else io.BytesIO(blob)
        tracemalloc.start()
        try:
            info = inspect_binary(cast(BinaryIO, stream), len(blob), cheap_seek=cheap,
                                  max_table_bytes=64 * 1024)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert info is not None and not info.complete and info.note
        assert "larger than we read" in info.note
        assert peak < 4 * 1024 * 1024
        if isinstance(stream, ForwardOnly):
            assert stream.largest <= binaries._CHUNK


def test_not_binaries() -> None:
    assert sniff(b"") is None and inspect_bytes(b"") is None
    assert inspect_binary(io.BytesIO(b"\x7fELF\x02\x01"), 0) is None  # declared empty
    for head in (b"PK\x03\x04", b"#!/bin/sh\n", b"\x7fELF\x03\x01", b"\xca\xfe\xba\xbe",
                 b"\xca\xfe\xba\xbe\x00\x00\x00\x00", b"MZ"):
        assert inspect_bytes(head + bytes(100)) is None, head
    rng = random.Random(1)
    for _ in range(300):
        blob = rng.randbytes(rng.randrange(0, 400))
        every_way(blob)
        for magic in (b"\x7fELF\x02\x01", b"\x7fELF\x01\x02", b"\xcf\xfa\xed\xfe",
                      b"\xfe\xed\xfa\xce", b"\xca\xfe\xba\xbe\x00\x00\x00\x02", b"MZ"):
            every_way(magic + blob)


def test_a_refusing_stream_is_not_an_error() -> None:
    class Broken(io.BytesIO):
        def read(self, n: int | None = -1) -> bytes:
            if self.tell() > 100:
                raise OSError("disk on fire")
            return super().read(n)

    data = make_elf([(".debug_info", 1, 0, b"D" * 400, 0, 0)], is64=True, little=True,
                    machine=62)
    info = inspect_binary(Broken(data), len(data))
    assert info is not None and not info.complete and "disk on fire" in (info.note or "")


def test_string_tables_without_nuls_are_not_scanned_per_entry() -> None:
    """60,000 section names and 100,000 symbol names pointing into 4 MB with no NUL."""
    fillers: list[ElfSection] = [("", 1, 0, b"", 0, 0)] * 60_000
    data = bytearray(make_elf([*fillers, (".big", 1, 0, b"x" * 4_000_000, 0, 0)],
                              is64=True, little=True, machine=62))
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    struct.pack_into("<H", data, 0x3E, 60_001)  # e_shstrndx: the NUL-less section
    for i in range(1, 60_001):
        struct.pack_into("<I", data, shoff + i * 64, i * 60)
    info = inspect_bytes(bytes(data), max_table_bytes=8_000_000)
    assert info is not None and info.complete and info.strippable_bytes == 0

    symbols = [(f"_local{i}", N_SECT_LOCAL) for i in range(100_000)]
    blob = bytearray(make_macho(cputype=CPU_ARM64, segments={}, symbols=symbols))
    _, _, _, nsyms, stroff, strsize = struct.unpack_from("<6I", blob, 32)
    blob[stroff:stroff + strsize] = blob[stroff:stroff + strsize].replace(b"\0", b"x")
    info = inspect_bytes(bytes(blob), max_table_bytes=8_000_000)
    assert info is not None and info.complete
    assert info.symbol_bytes == nsyms * 16 + strsize - 1  # every name runs to the end


def mutations(data: bytes, rng: random.Random, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        blob = bytearray(data)
        for _ in range(rng.randrange(1, 6)):
            span = 256 if rng.random() < 0.6 else len(blob)
            at = rng.randrange(min(span, len(blob)))
            blob[at] = rng.randrange(256)
        if rng.random() < 0.2:
            del blob[rng.randrange(len(blob)):]
        out.append(bytes(blob))
    return out


def test_fuzzed_headers_never_raise(elves: dict[str, Path]) -> None:
    rng = random.Random(2026)
    samples = {
        "elf": elves["g"].read_bytes(),
        "elf32be": make_elf([(".debug_info", 1, 0, b"D" * 40, 0, 0),
                             (".symtab", 2, 0, b"Y" * 32, 3, 0), (".strtab", 3, 0, b"Z", 0, 0)],
                            is64=False, little=False, machine=8),
        "macho": macho(),
        "fat": make_fat([(CPU_X86_64, 3, macho(CPU_X86_64)), (CPU_ARM64, 0, macho())]),
        "pe": make_pe([(".text", b"\xc3"), (".debug_info", b"I" * 30)],
                      symbols=["a_long_symbol_name", "b"]),
        "pe+pdb": make_pe([(".rdata", lambda ptr, rva: struct.pack(
            "<IIHHIIII", 0, 0, 0, 0, 2, 40, rva + 28, ptr + 28) + b"RSDS" + bytes(20)
            + b"x.pdb\0")], symbols=[], debug_dir=(0, 28), pe32plus=False),
        "elf-extended": make_elf([(".debug_info", 1, 0, b"D" * 40, 0, 0)], is64=True,
                                 little=True, machine=62, extended=True),
    }
    for data in samples.values():
        for blob in mutations(data, rng, 250):
            every_way(blob, max_table_bytes=rng.choice([64, 4096, 1 << 20]))
