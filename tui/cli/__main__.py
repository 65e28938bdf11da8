"""`python -m tui.cli`: the same as the `warroom` command."""

from tui.cli import main

main()
