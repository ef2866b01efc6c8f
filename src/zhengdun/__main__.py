"""Allow ``python -m zhengdun``."""

from __future__ import annotations

from zhengdun.quick import main

raise SystemExit(main())
