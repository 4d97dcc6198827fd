"""Channels turn a medium's input into ``Engine.handle`` calls and its replies back into output."""
