"""The curated content: typed records, one loader for faq/ and knowledge/, and its checks."""

from bot.content.loader import load_content
from bot.content.models import Case, Content, FaqEntry, KnowledgeItem, Source, Topic
from bot.content.problems import Problem
from bot.content.validate import validate

__all__ = ["Case", "Content", "FaqEntry", "KnowledgeItem", "Problem", "Source", "Topic", "load_content", "validate"]
