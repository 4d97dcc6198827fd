"""The rasa_sdk action server, ready only once the content is loaded.

Loading the content and training the FAQ classifier takes seconds; done here, before the
server answers its health check, it overlaps with the engine's model load instead of
delaying the first user's first answer.
"""

from __future__ import annotations

from rasa_sdk.__main__ import main as serve

from bot.actions_runtime import runtime


def main() -> None:
    runtime().content.get()
    serve()


if __name__ == "__main__":
    main()
