"""QR codes for voucher URLs: the module matrix, an SVG, and a PNG."""
import io
from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

BORDER = 4


@lru_cache(maxsize=4096)
def matrix(data: str, fixed_mask: bool = False) -> tuple[tuple[bool, ...], ...]:
    """Return the QR modules for `data` (True is dark), including the quiet-zone border.

    `fixed_mask` skips trying all eight mask patterns (7× faster, for printing thousands of cards); any
    mask gives a valid code, and the sheet tests decode every printed code to prove it scans.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=BORDER, mask_pattern=2 if fixed_mask else None)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def dark_runs(modules) -> list[tuple[int, int, int]]:
    """Return (row, first column, length) for each horizontal run of dark modules."""
    runs = []
    for y, row in enumerate(modules):
        x, width = 0, len(row)
        while x < width:
            if row[x]:
                start = x
                while x < width and row[x]:
                    x += 1
                runs.append((y, start, x - start))
            else:
                x += 1
    return runs


def svg(data: str) -> str:
    """Return an SVG of the QR code, one path, scaled by its viewBox."""
    modules = matrix(data)
    size = len(modules)
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in dark_runs(modules))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" '
            f'role="img" aria-label="QR code"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{path}" fill="#000"/></svg>')


def png(data: str, box_size: int = 10, fixed_mask: bool = False) -> bytes:
    """Return a PNG of the QR code, `box_size` pixels a module (`fixed_mask`: see matrix; for bulk sends)."""
    from PIL import Image

    modules = matrix(data, fixed_mask)
    size = len(modules)
    image = Image.new("1", (size, size), 1)
    image.putdata([0 if dark else 1 for row in modules for dark in row])
    image = image.resize((size * box_size, size * box_size), Image.NEAREST)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
