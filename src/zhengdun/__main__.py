"""Allow ``python -m zhengdun``."""

from __future__ import annotations

from zhengdun.cli import main

raise SystemExit(main())
