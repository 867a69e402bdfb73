"""``mcscope`` subcommands: one module per command, each exposing ``add_parser(subparsers)``."""
