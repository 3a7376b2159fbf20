"""Factories a user might get wrong: what they return is not a checkpoint saver."""


def returns_a_dict(ctx):
    return {"url": ctx.url}


def returns_none(ctx):
    return None
