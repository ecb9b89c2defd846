"""``python -m artgen`` is the ``artgen`` command."""

from artgen.cli import main

raise SystemExit(main())
