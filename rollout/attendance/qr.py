"""The workshop's "I'm here" link as a QR code for the room: PNG or SVG, by the file's extension (segno)."""

from __future__ import annotations

from pathlib import Path

from rollout.errors import InputError

FORMATS = (".png", ".svg")


def write_qr(url: str, out: Path) -> Path:
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise InputError("--out", [f"{out.name}: the file must end in .png or .svg"])
    import segno  # only this command needs it

    code = segno.make(url, error="m")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    # Large modules with a quiet zone: readable from a few metres when printed on A4.
    if suffix == ".png":
        code.save(str(partial), kind="png", scale=12, border=4)
    else:
        code.save(str(partial), kind="svg", scale=12, border=4, title="I'm here", desc=url)
    partial.replace(out)  # nothing half-written
    return out
