"""Mutation testing of the program's literals (``make mutation``): tools/mutation/README section in README.md."""
