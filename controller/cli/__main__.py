"""``python -m controller.cli`` runs the ``fsor`` command line."""

from controller.cli import main

raise SystemExit(main())
