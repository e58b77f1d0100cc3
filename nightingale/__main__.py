"""``python -m nightingale`` runs the CLI."""

from nightingale.cli import main

main()
