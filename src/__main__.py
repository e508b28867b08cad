"""``python -m energy_lake`` runs the command-line tool."""

from energy_lake.cli.main import main

raise SystemExit(main())
