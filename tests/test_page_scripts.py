"""The pages' own scripts ask in the page: no browser prompt, confirm or alert anywhere in static/js (they block the
page, cannot be styled or tested, and a phone shows them as the site's address asking)."""
import re
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "static" / "js"
# window.alert(…), self.confirm(…), window["prompt"](…), or a bare alert(…) that is not some object's method.
NATIVE = re.compile(r"""(?:\b(?:window|self|globalThis|top|parent)\s*(?:\.\s*|\[\s*["'`]))(?:alert|confirm|prompt)\b"""
                    r"""|(?<![\w$.])(?:alert|confirm|prompt)\s*\(""")


def test_no_script_calls_the_browsers_own_dialogs():
    scripts = sorted(SCRIPTS.rglob("*.js"))
    assert len(scripts) >= 5
    found = [f"{path.name}:{number}: {line.strip()}" for path in scripts
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if NATIVE.search(line)]
    assert found == []


def test_the_pattern_finds_what_it_looks_for():
    for line in ('window.prompt("Why?")', "if (confirm('Sure?')) go();", 'alert ("x")', 'window["confirm"]("x")',
                 "self.alert(1)"):
        assert NATIVE.search(line), line
    for line in ("recordPurchase(confirmed)", "form.dataset.confirm", "dialog.confirm(x)", "data.confirmUrl",
                 'role="alert"', "setAlert(1)"):
        assert not NATIVE.search(line), line
