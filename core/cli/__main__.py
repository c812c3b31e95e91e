"""`python -m community_plus.cli`: the `community-plus` command."""

from community_plus.cli import main

main()
