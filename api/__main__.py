"""`python -m api` runs the same command line as `espace`."""

from api.cli import main

raise SystemExit(main())
