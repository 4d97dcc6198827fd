"""The Rasa training data generated from faq/ (no training here: conftest trains once)."""

from __future__ import annotations

from bot.config import load_settings
from bot.content import load_content
from bot.text import normalize
from bot.training import faq_training_data


def test_every_paraphrase_becomes_an_example_of_its_entry_with_a_placeholder_response():
    content, _ = load_content(load_settings().root)
    data = faq_training_data(content)
    by_intent = {block["intent"]: block["examples"].splitlines() for block in data["nlu"]}
    assert len(by_intent) == len(content.faq)
    for entry in content.faq:
        examples = by_intent[f"faq/{entry.id}"]
        assert examples == [f"- {text}" for text in dict.fromkeys(normalize(t) for t in entry.examples)]
        # the answer is read from faq/ at run time: editing it changes neither data nor model
        assert data["responses"][f"utter_faq/{entry.id}"] == [{"text": f"faq:{entry.id}"}]
