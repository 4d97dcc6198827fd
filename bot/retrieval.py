"""Knowledge search: jieba + BM25 over FAQ answers, knowledge items and cases.

Used when the FAQ classifier has no confident answer. BM25 scores are not comparable between
queries, so a hit also has to cover most of the query's weighted keywords to count as strong.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from bot.content import Content
from bot.text import normalize

jieba.setLogLevel(60)  # jieba prints its dictionary loading to stderr otherwise

_WORD = re.compile(r"[\w]", re.UNICODE)
# Words too common in this domain (or in questions) to tell passages apart.
STOPWORDS = frozenset(
    "的 了 是 吗 呢 吧 啊 呀 么 嘛 我 你 您 他 她 它 我们 你们 他们 这 那 这个 那个 什么 怎么 怎么样 "
    "如何 哪些 哪个 哪里 有 没有 能 能不能 可以 可不可以 会 会不会 要 需要 和 与 及 或 在 对 把 被 "
    "就 都 也 还 又 一个 一下 请问 想 知道 问 问题 情况 一些 这种 那种 是否 为什么 多少 怎样 给 让 "
    "啥 咋 呗 哦 嗯 吗？ 个 些 上 下 中 里 后 前 时 时候 已经 如果 因为 所以 但是 不 没 "
    "容错 纠错 容错纠错 干部".split()
)


@dataclass(frozen=True)
class Passage:
    """A searchable piece of content: a FAQ answer, a knowledge item or a case."""

    id: str
    kind: str  # faq | knowledge | case
    title: str
    text: str
    sources: tuple[str, ...]
    region: str = ""


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    coverage: float  # share of the query's keyword weight found in the passage (0..1)


# A tokenizer of our own: Rasa loads its custom dictionary into jieba's global one, and the
# results here must not depend on whether Rasa runs in the same process.
_jieba = jieba.Tokenizer()


def tokenize(text: str) -> list[str]:
    """Content words of ``text`` for search (simplified, lower-case; stopwords and single
    characters removed: a lone 事 or 错 matches everything and proves nothing)."""
    return [t for t in _jieba.lcut_for_search(normalize(text))
            if len(t) > 1 and _WORD.search(t) and t not in STOPWORDS]


def words(text: str) -> list[str]:
    """Every word of ``text`` (already normalised), question words included: for classifying."""
    return [t for t in _jieba.lcut(text) if t.strip()]


def passages(content: Content) -> list[Passage]:
    out = [Passage(e.id, "faq", e.question, e.answer, e.sources, e.region) for e in content.faq]
    out += [Passage(i.id, "knowledge", i.name, i.full_text(), i.sources, i.region) for i in content.items]
    out += [
        Passage(c.id, "case", c.name, f"{c.facts}\n结果：{c.outcome_text}", c.sources, c.region)
        for c in content.cases
    ]
    return out


class KnowledgeIndex:
    """BM25 index over the passages of one version of the content."""

    def __init__(self, content: Content):
        self.passages = passages(content)
        self._docs = [tokenize(f"{p.title} {p.title} {p.text}") for p in self.passages]
        self._bm25 = BM25Okapi(self._docs)
        self._doc_sets = [set(doc) for doc in self._docs]
        count = len(self._docs)
        frequency: dict[str, int] = {}
        for words in self._doc_sets:
            for word in words:
                frequency[word] = frequency.get(word, 0) + 1
        self._idf = {w: math.log(1 + count / f) for w, f in frequency.items()}
        self._unknown_idf = math.log(1 + count)

    def search(self, query: str, limit: int = 3) -> list[Hit]:
        """The best passages for ``query``, strongest first."""
        words = list(dict.fromkeys(tokenize(query)))
        if not words:
            return []
        scores = self._bm25.get_scores(words)
        total = sum(self._idf.get(w, self._unknown_idf) for w in words)
        ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)[:limit]
        hits = []
        for index in ranked:
            if scores[index] <= 0:
                break
            found = sum(self._idf.get(w, self._unknown_idf) for w in words if w in self._doc_sets[index])
            hits.append(Hit(self.passages[index], float(scores[index]), found / total))
        return hits


class ExampleIndex:
    """Nearest FAQ examples by character n-gram TF-IDF: a lexical second opinion.

    A learned classifier generalises over meaning but is unsure on typos and rare wording;
    character n-grams match those. Each FAQ entry scores the cosine similarity of its closest
    example (question or paraphrase).
    """

    def __init__(self, content: Content):
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts, owners = [], []
        self.ids = [entry.id for entry in content.faq]
        position = {faq_id: i for i, faq_id in enumerate(self.ids)}
        self._matchable = content.synonyms.matchable
        for entry in content.faq:
            for example in entry.examples:
                texts.append(self._matchable(example))
                owners.append(position[entry.id])
        self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(texts)
        self._owners = np.array(owners)

    def scores(self, query: str) -> dict[str, float]:
        """FAQ id -> similarity (0..1) of its closest example to ``query``."""
        similarities = (self._matrix @ self._vectorizer.transform([self._matchable(query)]).T).toarray().ravel()
        best = np.zeros(len(self.ids))
        np.maximum.at(best, self._owners, similarities)
        return {faq_id: float(score) for faq_id, score in zip(self.ids, best)}


OUT_OF_SCOPE = "out_of_scope"


def margin_shares(svm, rows, temperature: float) -> np.ndarray:
    """Softmax of a linear SVM's margins, one row of class shares (in ``svm.classes_`` order,
    summing to 1) per row of features; a lower temperature makes the winner surer."""
    margins = svm.decision_function(rows)
    if margins.ndim == 1:  # two classes: one margin per row, positive for the second
        margins = np.column_stack([-margins, margins])
    weights = np.exp((margins - margins.max(axis=1, keepdims=True)) / temperature)
    return weights / weights.sum(axis=1, keepdims=True)


class FaqClassifier:
    """A linear SVM over character n-grams and jieba words of every FAQ example, with the
    out-of-scope examples as one more class (``OUT_OF_SCOPE``).

    Trained in a few seconds when the content loads, so new paraphrases count at once, without
    retraining Rasa. On questions worded unlike any example it ranks the right entry first more
    often than the nearest example alone (measured on tests/eval, see the README), and the
    out-of-scope class catches near-domain questions that the intent classifier takes for
    policy questions.
    """

    def __init__(self, content: Content, temperature: float = 0.2):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import make_union
        from sklearn.svm import LinearSVC

        texts, labels = [], []
        self._matchable = content.synonyms.matchable
        for entry in content.faq:
            for example in entry.examples:
                texts.append(self._matchable(example))
                labels.append(entry.id)
        for example in content.out_of_scope:
            texts.append(self._matchable(example))
            labels.append(OUT_OF_SCOPE)
        self.labels = sorted(set(labels))
        self.temperature = temperature
        self._remembered = lru_cache(maxsize=64)(self._score)
        self._vectorizer = self._svm = None
        if len(self.labels) < 2:  # nothing to tell apart
            return
        self._vectorizer = make_union(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
            TfidfVectorizer(analyzer=words, sublinear_tf=True),
        )
        self._svm = LinearSVC(C=1.0, random_state=0).fit(self._vectorizer.fit_transform(texts), labels)

    def scores(self, query: str) -> dict[str, float]:
        """Label (FAQ id or ``OUT_OF_SCOPE``) -> probability-like score (softmax of the SVM
        margins; the scores sum to 1). One message is scored by several decisions (out of
        scope? which entry? a follow-up?): the latest queries are remembered."""
        return dict(self._remembered(query))

    def _score(self, query: str) -> dict[str, float]:
        if self._svm is None:
            return {label: 1.0 for label in self.labels}
        shares = margin_shares(self._svm, self._vectorizer.transform([self._matchable(query)]), self.temperature)[0]
        return {str(label): float(share) for label, share in zip(self._svm.classes_, shares)}


# One index of each kind for the content object in use; rebuilt when the content is reloaded.
_indexes: dict[type, tuple[Content, object]] = {}


def _index(kind: type, content: Content):
    cached = _indexes.get(kind)
    if cached is None or cached[0] is not content:
        cached = _indexes[kind] = (content, kind(content))
    return cached[1]


def index_for(content: Content) -> KnowledgeIndex:
    """The knowledge search index of this content."""
    return _index(KnowledgeIndex, content)


def example_index_for(content: Content) -> ExampleIndex:
    """The FAQ example similarity index of this content."""
    return _index(ExampleIndex, content)


def classifier_for(content: Content) -> FaqClassifier:
    """The FAQ classifier trained on this content's examples."""
    return _index(FaqClassifier, content)


def warm(content: Content) -> None:
    """Build every index of ``content`` now, so the first question after a (re)load is fast."""
    index_for(content), example_index_for(content), classifier_for(content)
