"""The kinds of bad input a careless or hostile user gives t2iqa, one builder each.

Each builder makes the input under a fresh folder and returns the command line that feeds it
to t2iqa; ``CASES`` pairs it with the exit code and the words the message must hold. The
table is the contract of tests/evaluate/test_bad_inputs.py: no kind may give a traceback.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from t2iqa.benchmarks.services import free_port

Builder = Callable[[Path], list[str]]


@dataclass(frozen=True)
class Case:
    kind: str
    build: Builder
    code: int
    message: str


def noisy(size: tuple[int, int] = (96, 64), mode: str = "RGB") -> Image.Image:
    rng = np.random.default_rng(0)
    rgb = rng.integers(40, 220, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode) if mode != "RGB" else Image.fromarray(rgb)


def policy(d: Path) -> str:
    path = d / "policy.yaml"
    path.write_text("checks: [image_sanity]\n")
    return str(path)


def check_file(name: str, write: Callable[[Path], None]) -> Builder:
    """``t2iqa check FILE --prompt ...`` on a file ``write`` makes (image_sanity only)."""

    def build(d: Path) -> list[str]:
        path = d / name
        write(path)
        return ["check", str(path), "--prompt", "a photo of a cat", "--policy", policy(d)]

    return build


def save(mode: str = "RGB", fmt: str = "PNG", **kw: object) -> Callable[[Path], None]:
    return lambda p: noisy(mode=mode).save(p, format=fmt, **kw)


def write_bytes(data: bytes) -> Callable[[Path], None]:
    return lambda p: p.write_bytes(data)


def png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def bomb_png() -> bytes:
    """A PNG whose header claims 100,000 x 100,000 pixels (its data is a few bytes)."""
    raw = png_bytes(Image.new("L", (1, 1)))
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    fixed = struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return raw[:8] + fixed + raw[33:]


def animated_gif(p: Path) -> None:
    frames = [noisy(mode="P"), noisy((96, 64)).rotate(90).convert("P")]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)


def sixteen_bit(p: Path) -> None:
    arr = (np.random.default_rng(1).integers(9000, 60000, (64, 96))).astype(np.uint16)
    Image.fromarray(arr, "I;16").save(p)


def float_tiff(p: Path) -> None:
    arr = np.random.default_rng(2).uniform(0.15, 0.85, (64, 96)).astype(np.float32)
    Image.fromarray(arr, "F").save(p, format="TIFF")


def palette_transparent(p: Path) -> None:
    img = noisy().convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    img.info["transparency"] = 0
    img.save(p, transparency=0)


def exif_rotated(p: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90
    noisy().save(p, format="JPEG", exif=exif)


def symlink_loop(d: Path) -> list[str]:
    os.symlink(d / "b.png", d / "a.png")
    os.symlink(d / "a.png", d / "b.png")
    return ["check", str(d / "a.png"), "--prompt", "a cat", "--policy", policy(d)]


def folder_named_png(d: Path) -> list[str]:
    (d / "x.png").mkdir()
    return ["check", str(d / "x.png"), "--prompt", "a cat", "--policy", policy(d)]


def sparse_huge(p: Path) -> None:
    with open(p, "wb") as fh:
        fh.truncate(201 * 2**20)


def prompt_case(prompt: str) -> Builder:
    def build(d: Path) -> list[str]:
        noisy().save(d / "ok.png")
        return ["check", str(d / "ok.png"), "--prompt", prompt, "--policy", policy(d)]

    return build


# ------------------------------------------------------------------------------ suites


def suite_text(text: str | bytes, name: str = "suite.yaml") -> Builder:
    def build(d: Path) -> list[str]:
        path = d / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return ["run", "--suite", str(path), "--scorers", "embedded", "--store", str(d / "s")]

    return build


def suite_prompts(*prompts: dict[str, object]) -> Builder:
    body = {"name": "bad", "version": "1", "prompts": list(prompts)}
    return suite_text(json.dumps(body))  # JSON is YAML


BILLION_LAUGHS = (
    "name: x\nversion: 1\n"
    + "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    + "prompts: [*i]\n"
)


def run_args(*extra: str) -> Builder:
    return lambda d: ["run", "--suite", "smoke", "--scorers", "embedded", "--store", str(d / "s"),
                      *extra]  # fmt: skip


def check_args(*extra: str) -> Builder:
    def build(d: Path) -> list[str]:
        noisy().save(d / "ok.png")
        return ["check", str(d / "ok.png"), "--prompt", "a cat", "--policy", policy(d), *extra]

    return build


# ------------------------------------------------------------------------------ stores


def copy_into(destination: str) -> Builder:
    def build(d: Path) -> list[str]:
        healthy_store(d / "s")
        return ["store", "copy", str(d / "s"), destination]

    return build


def store_with(make: Callable[[Path], None], *command: str) -> Builder:
    def build(d: Path) -> list[str]:
        make(d / "s")
        return [*command, "--store", str(d / "s")]

    return build


def a_file(root: Path) -> None:
    root.write_text("not a folder")


def garbage_db(root: Path) -> None:
    root.mkdir()
    (root / "t2iqa.sqlite").write_bytes(os.urandom(8192))


def db_folder(root: Path) -> None:
    (root / "t2iqa.sqlite").mkdir(parents=True)


def newer_schema(root: Path) -> None:
    root.mkdir()
    with sqlite3.connect(root / "t2iqa.sqlite") as conn:
        conn.execute("PRAGMA user_version = 999")


def healthy_store(root: Path) -> None:
    from t2iqa.benchmarks.synthetic_store import write_synthetic_run
    from t2iqa.store.db import Store
    from t2iqa.suites.files import load_suite

    with Store(root) as store:
        write_synthetic_run(store, "base", load_suite("smoke"), seeds=(0,), side=32)


def damaged_db(root: Path) -> None:
    healthy_store(root)
    db = root / "t2iqa.sqlite"
    data = bytearray(db.read_bytes())
    data[8192 : len(data) - 4096] = b"\xa5" * (len(data) - 12288)
    db.write_bytes(bytes(data))


# ------------------------------------------------------------------------------ imports


def import_manifest(lines: list[str], name: str = "manifest.jsonl", image: bool = True) -> Builder:
    """``run --images DIR`` whose manifest holds ``lines`` ({pid}: the first smoke prompt)."""

    def build(d: Path) -> list[str]:
        from t2iqa.suites.files import load_suite

        pid = load_suite("smoke").prompts[0].id
        folder = d / "imgs"
        folder.mkdir()
        if image:
            noisy().save(folder / "a.png")
        noisy().save(d / "outside.png")
        text = "\n".join(line.replace("{pid}", pid).replace("{d}", str(d)) for line in lines)
        (folder / name).write_text(text + "\n")
        return ["run", "--suite", "smoke", "--images", str(folder), "--model", "imported",
                "--check", "image_sanity", "--store", str(d / "s")]  # fmt: skip

    return build


def import_bad_image(d: Path) -> list[str]:
    from t2iqa.suites.files import load_suite

    ids = [p.id for p in load_suite("smoke").prompts]
    folder = d / "imgs"
    folder.mkdir()
    noisy().save(folder / f"{ids[0]}.png")
    (folder / f"{ids[1]}.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    return ["run", "--suite", "smoke", "--images", str(folder), "--model", "imported",
            "--check", "image_sanity", "--store", str(d / "s")]  # fmt: skip


def check_manifest(lines: list[str], name: str = "m.jsonl") -> Builder:
    def build(d: Path) -> list[str]:
        folder = d / "qa"
        folder.mkdir()
        noisy().save(folder / "a.png")
        noisy().save(d / "outside.png")
        (folder / name).write_text("\n".join(lines) + "\n")
        return ["check", "--manifest", str(folder / name), "--policy", policy(d)]

    return build


def policy_text(text: str) -> Builder:
    def build(d: Path) -> list[str]:
        noisy().save(d / "ok.png")
        (d / "p.yaml").write_text(text)
        return ["check", str(d / "ok.png"), "--prompt", "a cat", "--policy", str(d / "p.yaml")]

    return build


def compare_args(*args: str) -> Builder:
    def build(d: Path) -> list[str]:
        from t2iqa.benchmarks.synthetic_store import write_synthetic_run
        from t2iqa.store.db import Store
        from t2iqa.suites.files import load_suite

        with Store(d / "s") as store:
            for run_id in ("a", "b"):
                write_synthetic_run(store, run_id, load_suite("smoke"), seeds=(0,), side=32)
        return ["compare", *[a.replace("{d}", str(d)) for a in args], "--store", str(d / "s")]

    return build


def gate_text(text: str) -> Builder:
    def build(d: Path) -> list[str]:
        (d / "gate.yaml").write_text(text)
        return compare_args("a", "b", "--gate", str(d / "gate.yaml"))(d)

    return build


DEEP = "[" * 5000 + "]" * 5000
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

CASES = [
    # image files given to `t2iqa check`
    Case("zero-byte file", check_file("empty.png", write_bytes(b"")), 2, "the file is empty"),
    Case("truncated PNG", check_file("t.png", lambda p: p.write_bytes(png_bytes(noisy())[:300])), 2, "truncated or corrupt"),
    Case("random bytes", check_file("r.png", write_bytes(os.urandom(4096))), 2, "not an image PIL can read"),
    Case("text named .png", check_file("t.png", write_bytes(b"hello world\n" * 50)), 2, "not an image PIL can read"),
    Case("PDF", check_file("doc.pdf", write_bytes(PDF)), 2, "not an image PIL can read"),
    Case("animated GIF", check_file("a.gif", animated_gif), 0, "1 pass, 0 fail"),
    Case("16-bit PNG", check_file("s.png", sixteen_bit), 0, "1 pass, 0 fail"),
    Case("CMYK JPEG", check_file("c.jpg", save("CMYK", "JPEG")), 0, "1 pass, 0 fail"),
    Case("palette with transparency", check_file("p.png", palette_transparent), 0, "1 pass, 0 fail"),
    Case("RGBA PNG", check_file("a.png", save("RGBA")), 0, "1 pass, 0 fail"),
    Case("float TIFF", check_file("f.tif", float_tiff), 0, "1 pass, 0 fail"),
    Case("WebP", check_file("w.webp", save("RGB", "WEBP")), 0, "1 pass, 0 fail"),
    Case("AVIF", check_file("a.avif", save("RGB", "AVIF")), 0, "1 pass, 0 fail"),
    Case("greyscale PNG", check_file("g.png", save("L")), 0, "1 pass, 0 fail"),
    Case("EXIF-rotated JPEG", check_file("e.jpg", exif_rotated), 0, "1 pass, 0 fail"),
    Case("PNG named .jpg", check_file("x.jpg", save("RGB", "PNG")), 0, "1 pass, 0 fail"),
    Case("1x1 image", check_file("one.png", lambda p: Image.new("RGB", (1, 1)).save(p)), 2, "too small to judge"),
    Case("100000x10 image", check_file("wide.png", lambda p: Image.new("L", (100_000, 10)).save(p)), 2, "too small to judge"),
    Case("decompression bomb", check_file("bomb.png", write_bytes(bomb_png())), 2, "decompression bomb"),
    Case("file over 200 MiB", check_file("huge.png", sparse_huge), 2, "MiB limit"),
    Case("symlink loop", symlink_loop, 2, "a.png"),
    Case("folder named like an image", folder_named_png, 2, "no image files"),
    Case("missing file", lambda d: ["check", str(d / "nope.png"), "--prompt", "x"], 2, "no such file"),
    Case("unicode file name", check_file("日本語 ünïcödé.png", save()), 0, "1 pass, 0 fail"),
    Case("HTML in file name", check_file("<img src=x onerror=alert(1)>.png", save()), 0, "1 pass, 0 fail"),
    # prompts
    Case("empty prompt", prompt_case(""), 2, "prompt"),
    Case("whitespace prompt", prompt_case("   \t "), 2, "prompt"),
    Case("10k-character prompt", prompt_case("cat " * 2500), 2, "characters"),
    Case("control characters in prompt", prompt_case("a cat\x1b[31m"), 2, "holds a control character"),
    # suite files
    Case("malformed YAML", suite_text("name: [unclosed\n"), 2, "invalid YAML"),
    Case("empty YAML", suite_text(""), 2, "expected a mapping"),
    Case("non-UTF-8 YAML", suite_text(b"name: caf\xe9\n"), 2, "not UTF-8"),
    Case("!!python/object YAML", suite_text("!!python/object/apply:os.system ['touch pwned']\n"), 2, "invalid YAML"),
    Case("billion laughs YAML", suite_text(BILLION_LAUGHS), 2, "unknown top-level field"),
    Case("deeply nested YAML", suite_text("name: x\nversion: 1\nprompts: " + DEEP + "\n"), 2, "nested more than 32"),
    Case("deeply nested JSONL line", suite_text(DEEP + "\n", "s.jsonl"), 2, "nested more than 32"),
    Case("invalid JSONL line", suite_text('{"id": "a", "prompt": "x"\n', "s.jsonl"), 2, "invalid JSON"),
    Case("duplicate prompt ids", suite_prompts({"id": "a", "prompt": "x"}, {"id": "a", "prompt": "y"}), 2, "duplicate id 'a'"),
    Case("negative count", suite_prompts({"id": "a", "prompt": "x", "expect": {"counts": {"cat": -2}}}), 2, "counts"),
    Case("hands out of range", suite_prompts({"id": "a", "prompt": "x", "expect": {"hands": 99}}), 2, "expect.hands"),
    Case("empty prompt in a suite", suite_prompts({"id": "a", "prompt": ""}), 2, "must be a non-empty string"),
    Case("10k-character prompt in a suite", suite_prompts({"id": "a", "prompt": "x" * 10_000}), 2, "characters"),
    Case("unknown prompt field", suite_prompts({"id": "a", "prompt": "x", "colour": 1}), 2, "unknown field"),
    Case("missing prompt id", suite_prompts({"prompt": "x"}), 2, "missing 'id'"),
    Case("path in a prompt id", suite_prompts({"id": "../a", "prompt": "x"}), 2, "id must be"),
    Case("suite without prompts", suite_text("name: x\nversion: 1\nprompts: []\n"), 2, "no prompts"),
    Case("suite file missing", lambda d: ["run", "--suite", str(d / "no.yaml")], 2, "no.yaml"),
    # run options
    Case("unknown check", run_args("--check", "vibes"), 2, "unknown check"),
    Case("unknown check option", run_args("--check-option", "image_sanity.nope=1"), 2, "has no option"),
    Case("option of the wrong type", run_args("--check-option", "image_sanity.blank_std=abc"), 2, "valid number"),
    Case("option out of range", run_args("--check-option", "image_sanity.black_mean=-1"), 2, "greater than or equal to 0"),
    Case("NaN option", run_args("--check-option", "ocr_text.max_ned=NaN"), 2, "finite number"),
    Case("list option", run_args("--check-option", "ocr_text.max_ned=[1,2]"), 2, "valid number"),
    Case("choice option", run_args("--check-option", "hand_anatomy.count_rule=most"), 2, "'exact' or 'at_least'"),
    Case("option without a check", run_args("--check-option", "blank_std=3"), 2, "CHECK.OPTION=VALUE"),
    Case("deeply nested option", run_args("--check-option", "image_sanity.blank_std=" + DEEP), 2, "nested more than 32"),
    Case("unknown set metric", run_args("--set-metric", "is"), 2, "unknown set metric"),
    Case("set option out of range", run_args("--set-metric", "kid", "--set-option", "kid.subsets=0"), 2, "greater than or equal to 1"),
    Case("--seeds 0", run_args("--seeds", "0"), 2, "a count from 1"),
    Case("--seeds 0-999999999", run_args("--seeds", "0-999999999"), 2, "a range of 1 to 10000"),
    Case("--seeds 99999999999999999999999", run_args("--seeds", "99999999999999999999999"), 2, "a count from 1"),
    Case("--seeds x", run_args("--seeds", "x"), 2, "give a count"),
    Case("--seeds 3,3", run_args("--seeds", "3,3"), 2, "each seed once"),
    Case("--seeds beyond 64 bits", run_args("--seeds", "1,99999999999999999999"), 2, "whole numbers from 0"),
    Case("--limit 0", run_args("--limit", "0"), 2, "--limit must be 1 or more"),
    Case("--batch-size 0", run_args("--batch-size", "0"), 2, "--batch-size must be 1 or more"),
    Case("--run-id with a path", run_args("--run-id", "../../etc/x"), 2, "run id '../../etc/x'"),
    Case("--workers 0", check_args("--workers", "0"), 2, "--workers must be 1 or more"),
    Case("unknown flag", run_args("--colour", "red"), 2, "No such option"),
    # stores
    Case("store that is a file", store_with(a_file, "runs"), 2, "store"),
    Case("garbage database", store_with(garbage_db, "runs"), 2, "not a t2iqa store"),
    Case("database that is a folder", store_with(db_folder, "runs"), 2, "is a folder, not a database file"),
    Case("newer schema", store_with(newer_schema, "runs"), 2, "newer t2iqa"),
    Case("damaged database", store_with(damaged_db, "export", "base"), 2, "is damaged"),
    Case("export of an unknown run", store_with(healthy_store, "export", "nope"), 2, "no run 'nope'"),
    Case("export to a bad format", store_with(lambda r: None, "export", "x", "--format", "xls"), 2, "use csv, parquet or geneval"),
    Case("store URL of another database", lambda d: ["runs", "--store", "mysql://me@db/t2iqa"], 2, "a folder or a postgresql://"),
    Case("store URL without a database", lambda d: ["runs", "--store", "postgresql://me@127.0.0.1"], 2, "names no database"),
    Case("team store that does not answer", lambda d: ["runs", "--store", f"postgresql://me@127.0.0.1:{free_port()}/t2iqa"], 2, "is PostgreSQL running"),
    Case("store copy into a bad URL", copy_into("sqlite:///x"), 2, "a folder or a postgresql://"),
    # import manifests (run --images)
    Case("manifest path with ..", import_manifest(['{"file": "../outside.png", "prompt_id": "{pid}"}']), 2, "is outside"),
    Case("manifest absolute path", import_manifest(['{"file": "{d}/outside.png", "prompt_id": "{pid}"}']), 2, "is outside"),
    Case("manifest seed true", import_manifest(['{"file": "a.png", "prompt_id": "{pid}", "seed": true}']), 2, "seed must be a whole number"),
    Case("manifest seed 2.9", import_manifest(['{"file": "a.png", "prompt_id": "{pid}", "seed": 2.9}']), 2, "seed must be a whole number"),
    Case("manifest seed -7", import_manifest(['{"file": "a.png", "prompt_id": "{pid}", "seed": -7}']), 2, "seed must be a whole number"),
    Case("manifest unknown prompt id", import_manifest(['{"file": "a.png", "prompt_id": "nope"}']), 2, "is not in suite"),
    Case("manifest missing file", import_manifest(['{"file": "b.png", "prompt_id": "{pid}"}']), 2, "no such file"),
    Case("manifest duplicate seed", import_manifest(['{"file": "a.png", "prompt_id": "{pid}", "seed": 1}'] * 2), 2, "already given"),
    Case("manifest deeply nested line", import_manifest([DEEP]), 2, "nested more than 32"),
    Case("manifest invalid JSON", import_manifest(["{nope"]), 2, "invalid JSON"),
    Case("unreadable image in an import", import_bad_image, 1, "not a readable image"),
    # check manifests
    Case("check manifest path with ..", check_manifest(['{"image": "../outside.png", "prompt": "a cat"}']), 2, "is outside"),
    Case("check manifest without prompt", check_manifest(['{"image": "a.png"}']), 2, "no 'prompt'"),
    Case("check manifest invalid JSON", check_manifest(["{nope"]), 2, "not JSON"),
    Case("check manifest of another kind", check_manifest(["a.png"], "m.txt"), 2, "use .jsonl or .csv"),
    Case("check manifest deeply nested", check_manifest([DEEP]), 2, "nested more than 32"),
    # policies, gates, compare
    Case("malformed policy", policy_text("checks: [unclosed\n"), 2, "invalid YAML"),
    Case("deeply nested policy", policy_text("checks: " + DEEP + "\n"), 2, "nested more than 32"),
    Case("policy with an unknown check", policy_text("checks: [vibes]\n"), 2, "unknown check"),
    Case("gate with an unknown key", gate_text("tolerance: {}\nbogus: 1\n"), 2, "bogus"),
    Case("compare with one run", compare_args("a"), 2, "baseline and a candidate"),
    Case("compare with an unknown run", compare_args("a", "nope"), 2, "no run 'nope'"),
    Case("report option without a path", compare_args("a", "b", "--report", "html"), 2, "write FORMAT=PATH"),
    Case("dashboard on a bad port", lambda d: ["dashboard", "--port", "70000"], 2, "--port 70000"),
]  # fmt: skip
