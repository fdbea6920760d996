"""Write docs/priors.md from the config schema's priors (market_sim.priors.priors_markdown).

    .venv/bin/python tools/write_priors_doc.py            # rewrite docs/priors.md
    .venv/bin/python tools/write_priors_doc.py --check    # exit 1 if docs/priors.md is out of date

tests/test_priors.py fails when the page is out of date with the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "priors.md"


def main() -> int:
    sys.path.insert(0, str(ROOT))  # this checkout's package, whichever one the interpreter has installed
    from market_sim.priors import priors_markdown

    text = priors_markdown()
    if "--check" in sys.argv[1:]:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC.relative_to(ROOT)} is out of date: run tools/write_priors_doc.py", file=sys.stderr)
            return 1
        print(f"{DOC.relative_to(ROOT)} is up to date")
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
