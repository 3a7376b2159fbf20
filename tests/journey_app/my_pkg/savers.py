"""A reader's own saver in miniature, named as docs/own-saver.md names it (`my_pkg.savers:make_saver`): a saver
that needs no server, so it takes no argument."""

from langgraph.checkpoint.memory import InMemorySaver


def make_saver():
    return InMemorySaver()
