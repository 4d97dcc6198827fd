"""Scrubbing what identifies people from the questions the bot keeps for trainers.

Cadres tell their own stories: besides phone, ID-card numbers and e-mail addresses they name
themselves, colleagues and superiors (我叫李建国, 老周, 张书记). ``scrub`` replaces those with
placeholders. Names are found with jieba's part-of-speech tags (person names, ``nr``) and with
patterns for what the tagger misses: self-introductions, 老/小 + surname, a surname before a
title, double surnames and given names after 叫. The tagger alone tags many policy words as
names (晋升, 许诺, 嵊泗), so a tagged word only counts when it also looks like a name: a
surname followed by a short given name.
"""

from __future__ import annotations

import re
from functools import lru_cache

import jieba
import jieba.posseg

from bot.text import to_simplified

jieba.setLogLevel(60)

_SCRUBBERS = (
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[邮箱]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)|(?<!\d)\d{15}(?!\d)"), "[身份证号]"),
    (re.compile(r"(?<!\d)(\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"), "[电话]"),
)
MAX_STORED_CHARS = 500
NAME = "[姓名]"

# Common surnames that are rarely anything else at the start of a word. Left out on purpose:
# 于 和 向 从 将 同 原 经 时 党 全 国 平 明 海 强 门 都 来 计 支 区 云 成 连 莫 … (prepositions and
# everyday words far more often than surnames in a question) and 申 晋 廉 荣 欧 (申请 typed 申清,
# 晋升, 廉政, 容错 typed 荣错, 欧冠); 子 is no given-name character here (娄子, 房子, 段子).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严"
    "覃武戴孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹耿关兰焦俞左柳甘祝包宁尚符舒"
    "阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆卓古吉缪"
    "简车项褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂佟应臧闵苟邬边卞姬栾隋商刁沙巫寇桑郎甄丛仲虞敖巩"
    "佘池邝封匡鞠惠荆冀郁胥楚鄢谌奚皮粟冼蔺楼阚禹漆卿狄宣晁芮"
)
# Characters of given names: a word the tagger calls a name counts only if its given part is made
# of these (李建国 yes; 申请书, 白搭, 许可证 no).
GIVEN_CHARS = frozenset(
    "万世东中丹丽义之乐云亚亭亮仁仪伊会伟伦伯佩佳俊俐信俭倩健傲儒元先光克兰兴兵军冠冬冰凝凡凤凯刚利力"
    "功勇勤华博占卫卿厚友双发君启和咏哲善喜嘉国坚士壮天奇妍姣娅娜娟娣娥娴婉婕婧婷媛学宁宇安宏宜宝家"
    "富小山岚岩峰巧希平广庆康建弘强彤彦彩彪彬影德心志忠怀思怡恒恩悦惠慧成承振攀政敏敬文斌新旭昊昌明星"
    "春昭晓晖晗晨晶月朋朗杭杰松林枫柔柱栋树根桂桐桥梁梅梦楠榕欢欣武毅毓民永汉江沛河波泰泽洁洋洪浩海涌"
    "涛涵淑淼清渝湘满滢潇澜瀚灿炎烨焱然煌煜照熙燕爱爽玉玲珊珍珠琛琦琨琪琬琳琴琼瑛瑜瑞瑶瑾璇璐生皓盛眉"
    "真睿磊祥福秀秋立竹策筠素红纯纲绍继维美群羽翔翠翰耀聪胜腾致舒航良艳艺芝芬芳芸若英茂茗茜荣荷莉莲菁"
    "菊菡菲萍萱蓉蓓蔚蕊薇行裕言诚谦豪贞贤贵超轩轶辉辰达远道邦金鑫钧钰铁铭铮银锋锐锦镇阔阳雄雅雪霄震霖"
    "霞露青静韵顺颖风飞香馥馨驰骏魁鸣鹏黛龙"
)
# Double surnames that are names wherever they appear …
DOUBLE_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 皇甫 尉迟 公孙 慕容 司徒 夏侯 令狐 端木 独孤 呼延 澹台 万俟 闻人 赫连 申屠 钟离 "
    "轩辕 拓跋 宇文".split()
)
# … and those that are also ordinary words (east, west gate, a hundred li): only before a title
# or in a self-introduction.
AMBIGUOUS_DOUBLE_SURNAMES = frozenset("东方 南宫 西门 百里 长孙 太史 公羊 濮阳 左丘 第五".split())
TITLES = (
    "书记 副书记 主任 副主任 局长 副局长 科长 副科长 县长 副县长 镇长 副镇长 乡长 副乡长 区长 副区长 市长 "
    "副市长 省长 部长 副部长 处长 副处长 厅长 所长 站长 队长 院长 校长 主席 经理 老师 支书 会计 股长 组长 "
    "村长 同志 委员 专干 总".split()
)
# 老X / 小X that are ordinary words, not nicknames (小康 社会, 小路, 小费 …).
NOT_NICKNAMES = frozenset(
    "小龙 小孔 小康 小牛 老牛 小包 老包 小曲 小路 老路 小车 小费 小米 小楼 小商 小解 小钱 小毛 老毛 老成 "
    "小成 小项 小景 老景 老庄 老翁 小石 小房 老房 小宗 小惠 小池 小童 老童 小熊 老汤 小汤 小苗 小谷 小史 "
    "小白 小时 小于".split()
)
# A surname letter glued to the start of a word that ends in a title: 车队长 is no 车 队长.
NOT_TITLED = frozenset("车队长 卫队长 马队长 方队长 商队长".split())
# Tags of words that never start or continue a name (punctuation, particles, prepositions,
# conjunctions, pronouns, numerals, measure words, directions, modal particles).
_FUNCTION_TAGS = ("x", "u", "p", "c", "r", "y", "m", "q", "f", "e", "o", "w")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")
# What may follow a name someone gives after 我叫 / 他叫 …: the end of a clause.
_CLAUSE_END = r"(?=[\s,.;:!?，。；：！？、…)）]|$)"
# 我叫李建国 / 同事叫志刚 (a given name alone is enough after 叫) …
_CALLED = re.compile(r"(?:叫做|名叫|叫)([\u4e00-\u9fff]{2,4})" + _CLAUSE_END)
# … 我是王芳 / 本人刘海燕 (only a surname makes what follows 是 a name: 我是党员).
_INTRODUCED = re.compile(r"(?:我是|他是|她是|本人是|本人|名字是|姓名是)([\u4e00-\u9fff]{2,4})" + _CLAUSE_END)
# … and 我姓赵: the surname alone.
_SURNAME_GIVEN = re.compile(r"(?:我|他|她|本人)姓(%s|[%s])" % (
    "|".join(sorted(DOUBLE_SURNAMES | AMBIGUOUS_DOUBLE_SURNAMES)), "".join(sorted(SURNAMES))))
_NICKNAME = re.compile(r"[老小]([%s])" % "".join(sorted(SURNAMES)))
_TITLED = re.compile(
    r"(%s|[%s])(?:%s)" % (
        "|".join(sorted(DOUBLE_SURNAMES | AMBIGUOUS_DOUBLE_SURNAMES)),
        "".join(sorted(SURNAMES)),
        "|".join(sorted(TITLES, key=len, reverse=True)),
    )
)


@lru_cache(maxsize=1)
def _tagger() -> jieba.posseg.POSTokenizer:
    # Our own dictionary: Rasa loads its custom words into jieba's global one, and what is
    # scrubbed must not depend on whether Rasa runs in this process.
    tokenizer = jieba.Tokenizer()
    tokenizer.check_initialized()
    return jieba.posseg.POSTokenizer(tokenizer)


def _simplified(text: str) -> str:
    """``text`` in simplified characters, character by character so that positions stay the same."""
    out = []
    for char in text:
        converted = to_simplified(char)
        out.append(converted if len(converted) == 1 else char)
    return "".join(out)


def scrub(text: str) -> str:
    """``text`` with e-mail addresses, ID-card and phone numbers and personal names replaced by
    placeholders ([邮箱], [身份证号], [手机号], [电话], [姓名]), cut to 500 characters."""
    for pattern, replacement in _SCRUBBERS:
        text = pattern.sub(replacement, text)
    # A little more than is kept, so that a name across the cut is still recognised whole.
    text = text[: MAX_STORED_CHARS + 8]
    return _cut(replace_spans(text, name_spans(text)))


def _cut(text: str) -> str:
    """The first 500 characters, without a placeholder cut in half ("[姓" means nothing)."""
    if len(text) <= MAX_STORED_CHARS:
        return text
    text = text[:MAX_STORED_CHARS]
    opening = text.rfind("[", -6)
    return text[:opening] if opening != -1 and "]" not in text[opening:] else text


def replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each (start, end) span replaced by the name placeholder; overlapping spans merge."""
    out, position = [], 0
    for start, end in sorted(spans):
        if start < position:  # overlaps the previous span: extend it
            if end > position:
                position = end
            continue
        out.append(text[position:start])
        out.append(NAME)
        position = end
    out.append(text[position:])
    return "".join(out)


def name_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every personal name found in ``text``."""
    plain = _simplified(text)
    tagger = _tagger()
    tokens = []
    position = 0
    for pair in tagger.cut(plain):
        tokens.append((position, pair.word, pair.flag))
        position += len(pair.word)
    starts = {start for start, _, _ in tokens}
    ends = {start + len(word) for start, word, _ in tokens}
    spans = _tagged_names(tokens)
    spans += _nicknames(plain, tokens, starts, ends)
    spans += _titled(plain, tokens, starts, ends)
    spans += _introduced(plain)
    return spans


def _known(word: str) -> tuple[int, str]:
    """How often the dictionary has seen ``word`` and its tag (0 and "" for a word it lacks)."""
    tagger = _tagger()
    return tagger.tokenizer.FREQ.get(word) or 0, tagger.word_tag_tab.get(word, "")


def _given(word: str) -> bool:
    """Whether ``word`` is made of given-name characters."""
    return bool(word) and all(char in GIVEN_CHARS for char in word)


def _common_word(word: str, at_least: int) -> bool:
    """Whether ``word`` is an everyday word (seen at least ``at_least`` times) and not a name:
    成功, 安全, 明白 are made of given-name characters too."""
    frequency, tag = _known(word)
    return frequency >= at_least and not tag.startswith(("nr", "ns"))  # 建国 is tagged a place


def _given_name(word: str, flag: str) -> bool:
    """Whether a token after a surname can be the given name (赵 + 卫东, 徐 + 建军)."""
    if not _CJK.match(word) or len(word) > 2 or word in TITLES or flag.startswith(_FUNCTION_TAGS):
        return False
    return _given(word) and (len(word) == 1 or not _common_word(word, 1000))


def _before_title(tokens: list[tuple[int, str, str]], index: int) -> bool:
    """Whether token ``index`` is one given-name character right before a title."""
    if index + 1 >= len(tokens):
        return False
    _, word, flag = tokens[index]
    return len(word) == 1 and _given_name(word, flag) and tokens[index + 1][1] in TITLES


def _tagged_names(tokens: list[tuple[int, str, str]]) -> list[tuple[int, int]]:
    """Names from the tagger, kept only where a surname starts them (or just precedes them)
    and the rest is made of given-name characters."""
    spans = []
    for index, (start, word, flag) in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        previous = tokens[index - 1] if index else None
        if word[:2] in DOUBLE_SURNAMES and len(word) <= 4:
            end = start + len(word)
            if len(word) == 2 and following and _given_name(following[1], following[2]):
                end += len(following[1])  # 欧阳 + 文斌
            spans.append((start, end))
            continue
        if not flag.startswith("nr") or not _CJK.match(word):
            continue
        if word[0] in "老小" and len(word) >= 2 and word[1] in SURNAMES:
            continue  # a nickname: _nicknames decides
        if word in SURNAMES:
            if following and _given_name(following[1], following[2]):
                spans.append((start, following[0] + len(following[1])))  # 赵 + 卫东
        elif word[0] in SURNAMES and len(word) in (2, 3):
            # the dictionary tags many common words as names (许诺, 高峰): only rare ones count
            if _given(word[1:]) and _known(word)[0] < 100:
                end = start + len(word)
                if len(word) == 2 and _before_title(tokens, index + 1):
                    end += 1  # 范文 + 军 + 同志: the tagger cut the name short
                spans.append((start, end))
        elif len(word) == 2 and _given(word) and previous and previous[1] in SURNAMES:
            spans.append((previous[0], start + 2))  # 刘 + 海燕: the tagger only saw the given name
    return spans


def _nicknames(plain: str, tokens, starts: set[int], ends: set[int]) -> list[tuple[int, int]]:
    """老周, 小王: where 老/小 starts a word and the surname ends it (not 养老金, 小金库, 老方法)."""
    by_start = {start: word for start, word, _ in tokens}
    spans = []
    for match in _NICKNAME.finditer(plain):
        start, end = match.span()
        if start not in starts or match.group(0) in NOT_NICKNAMES:
            continue
        token = by_start[start]
        # 小李刚来: the tagger glued the next character on; a dictionary word (小金库) is no name
        glued = len(token) > 2 and token.startswith(match.group(0)) and not _tagger().tokenizer.FREQ.get(token)
        if end in ends or glued:
            spans.append((start, end))
    return spans


def _titled(plain: str, tokens, starts: set[int], ends: set[int]) -> list[tuple[int, int]]:
    """The surname of 张书记, 欧阳主任, 何副县长 (the title stays: it says who was involved).

    Surname and title must be words of their own (or one word together, 孙书记), so that
    分管局长 or 车队长 are left alone."""
    by_start = {start: word for start, word, _ in tokens}
    spans = []
    for match in _TITLED.finditer(plain):
        start, end = match.span()
        alone = match.end(1) in starts or by_start.get(start) == match.group(0)
        if start in starts and alone and end in ends and match.group(0) not in NOT_TITLED:
            spans.append(match.span(1))
    return spans


def _introduced(plain: str) -> list[tuple[int, int]]:
    """我叫李建国, 我是王芳, 他叫建国, 我姓赵: the name someone gives, up to the end of the clause."""
    spans = []
    for pattern, given_alone in ((_CALLED, True), (_INTRODUCED, False)):
        for match in pattern.finditer(plain):
            name = match.group(1)
            double = name[:2] in DOUBLE_SURNAMES or name[:2] in AMBIGUOUS_DOUBLE_SURNAMES
            surname = name[:2] if double else name[0] if name[0] in SURNAMES else ""
            given = name[len(surname):]
            if not 1 <= len(given) <= 2 or not _given(given) or _common_word(name, 100):
                continue  # 叫我去, too long for a name, or an everyday word (叫容错, 我是干部)
            if surname or (given_alone and len(name) == 2):
                spans.append(match.span(1))
    return spans + [match.span(1) for match in _SURNAME_GIVEN.finditer(plain)]
