"""Exceptions shared by the bot's modules."""


class PolicyBotError(Exception):
    "Base class of the errors the CLI reports as one line."


class ContentError(PolicyBotError):
    "The content in faq/ or knowledge/ is invalid or cannot be read."
