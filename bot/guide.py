"""How to apply, step by step: pick a place, who applies, then the procedure one stage at a time
(上一步/下一步), the materials checklist and the offer of a drafted application.

Stateless: every button carries the whole position as a short state string, so a reply depends
only on that string, the content and the screening answers (if any):

    ""                      the list of places
    "@hubei"                the places inside 湖北省 (and 湖北省 itself)
    "hubei"                 who applies
    "hubei_shiyan:self:3"   stage 3 for 十堰, applied for by oneself
    "hubei_shiyan:self:list" the materials checklist

What each stage says comes from the knowledge items that knowledge/apply/guide.yml names for the
place, or failing that for its parent (said so), or the stage's gap (以本地办法为准).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.answering import Button, Reply, source_line
from bot.content import Content
from bot.content.guide import Guide, Material, Place
from bot.dialogue import Dialogue
from bot.text import comparable

KIND = "apply"
GUIDE_INTENT = "apply_guide"
DRAFT_INTENT = "draft"
CHECKLIST = "list"
OPENED, DRAFTED = "apply_opened", "drafted"  # milestones for the campaign funnel (no content)


@dataclass(frozen=True)
class Position:
    """Where the user is in the walk-through."""

    place: str = ""
    applicant: str = ""
    step: str = ""  # "1".."N" or CHECKLIST
    inside: bool = False  # "@place": choosing among the places inside ``place``

    @classmethod
    def parse(cls, state: str) -> "Position":
        state = (state or "").strip()
        if state.startswith("@"):
            return cls(place=state[1:], inside=True)
        place, _, rest = state.partition(":")
        applicant, _, step = rest.partition(":")
        return cls(place, applicant, step)

    def __str__(self) -> str:
        if self.inside:
            return f"@{self.place}"
        return ":".join(part for part in (self.place, self.applicant, self.step) if part)

    def at(self, step: str) -> "Position":
        return Position(self.place, self.applicant, step)


def payload(state: Position | str) -> str:
    return f'/{GUIDE_INTENT}{json.dumps({"guide": str(state)}, separators=(",", ":"))}'


def walk_through_button(content: Content, dialogue: Dialogue) -> Button | None:
    """The button that opens the walk-through at its start (under results and answers about
    applying), or None without a guide."""
    if content.guide is None:
        return None
    return Button(dialogue.texts.get("guide_button") or content.guide.text("title"), payload(""))


def draft_payload(state: Position) -> str:
    return f'/{DRAFT_INTENT}{json.dumps({"guide": str(Position(state.place, state.applicant))}, separators=(",", ":"))}'


def reply(state: str, guide: Guide, content: Content, dialogue: Dialogue, answers: dict[str, str] | None = None) -> Reply:
    """The walk-through at ``state`` (an unknown place or step starts over at the list of places)."""
    position = Position.parse(state)
    place = guide.place(position.place)
    if place is None:
        return start(guide, answers)
    if position.inside and guide.children(place.id):
        return _children(place, guide)
    if position.applicant not in dict(guide.applicants):
        return _applicants(place, guide)
    if position.step == CHECKLIST:
        return checklist_reply(position, guide, content, dialogue, answers)
    total = len(guide.stages)
    step = int(position.step) if position.step.isdigit() else 1
    return stage_reply(position.at(str(min(max(step, 1), total))), guide, content, dialogue, answers)


def start(guide: Guide, answers: dict[str, str] | None = None, note: str = "") -> Reply:
    """The opening: what the walk-through does, then the places (the one the self-check named first)."""
    remembered = _place_of_screening(guide, answers)
    places = guide.top_places()
    if remembered is not None:
        places = [remembered] + [p for p in places if p is not remembered]
    buttons = []
    for place in places:
        title = place.name + (guide.text("remembered") if place is remembered else "")
        target = Position(place.id, inside=True) if guide.children(place.id) else Position(place.id)
        buttons.append(Button(title, payload(target)))
    general = guide.general()
    if general is not None:
        buttons.append(Button(guide.text("not_listed"), payload(Position(general.id))))
    text = "\n\n".join(t for t in (note, guide.text("intro"), guide.text("pick_place")) if t)
    return Reply(text, kind=KIND, buttons=tuple(buttons), extra={"guide": "", "milestone": OPENED})


def _children(place: Place, guide: Guide) -> Reply:
    buttons = [Button(child.name, payload(Position(child.id))) for child in guide.children(place.id)]
    buttons.append(Button(guide.text("other_in_place", place=place.name), payload(Position(place.id))))
    return Reply(guide.text("pick_child", place=place.name), kind=KIND, buttons=tuple(buttons),
                 extra={"guide": str(Position(place.id, inside=True))})


def _applicants(place: Place, guide: Guide) -> Reply:
    buttons = [Button(label, payload(Position(place.id, applicant, "1"))) for applicant, label in guide.applicants]
    buttons.append(Button(guide.text("places_button"), payload("")))
    return Reply(f"{place.name}\n{guide.text('pick_applicant')}", kind=KIND, buttons=tuple(buttons),
                 extra={"guide": place.id})


def stage_reply(position: Position, guide: Guide, content: Content, dialogue: Dialogue,
                answers: dict[str, str] | None = None) -> Reply:
    """One stage of the procedure for the place, with its sources, and the way on."""
    place = guide.place(position.place)
    assert place is not None
    index = int(position.step) - 1
    stage = guide.stages[index]
    total = len(guide.stages)
    lines = [guide.text("step_heading", place=place.name, n=index + 1, total=total, title=stage.title)]
    if place.general and index == 0:
        lines.append(guide.text("general_note"))
    owner, refs = _refs_for(place, stage.id, guide)
    sources: list[str] = []
    if not refs:
        lines.append(stage.gap.format(place=place.name))
    else:
        if owner is not place:
            lines.append(guide.text("inherited", place=place.name, parent=owner.name))
        for ref in refs:
            block, cited = _block(ref, guide, content, dialogue)
            lines.append(block)
            sources += [s for s in cited if s not in sources]
    if stage.footer:
        lines.append(stage.footer)
    buttons = []
    if index > 0:
        buttons.append(Button(guide.text("prev_button"), payload(position.at(str(index)))))
    if index + 1 < total:
        buttons.append(Button(guide.text("next_button"), payload(position.at(str(index + 2)))))
    buttons.append(Button(guide.text("checklist_button"), payload(position.at(CHECKLIST))))
    buttons.append(Button(guide.text("places_button"), payload("")))
    return Reply("\n\n".join(lines), kind=KIND, buttons=tuple(buttons), sources=tuple(sources),
                 extra={"guide": str(position), "stage": stage.id, "place": place.id})


def _refs_for(place: Place, stage_id: str, guide: Guide) -> tuple[Place, tuple[str, ...]]:
    """The knowledge refs for a stage: the place's own, else the nearest parent's."""
    for owner in guide.lineage(place.id):
        if owner.steps.get(stage_id):
            return owner, owner.steps[stage_id]
    return place, ()


def _block(ref: str, guide: Guide, content: Content, dialogue: Dialogue) -> tuple[str, tuple[str, ...]]:
    """A cited statement: 【status】title：text, then its sources."""
    from bot.content.validate import resolve_ref

    item, part = resolve_ref(content, ref)
    status = guide.status_labels.get(item.status_of(part), "")
    title, text = (part.name, part.text) if part is not None else (item.name, item.text)
    if part is not None and not text:
        title, text = item.name, part.name
    head = f"【{status}】" if status else ""
    return f"{head}{title}：{text.strip()}\n{source_line(item.sources, content, dialogue)}", item.sources


def materials_for(position: Position, guide: Guide, answers: dict[str, str] | None) -> list[Material]:
    """The materials of the checklist for this place and these screening answers."""
    lineage = {p.id for p in guide.lineage(position.place)}
    return [m for m in guide.checklist.materials
            if (not m.places or lineage & set(m.places)) and m.applies(answers)]


def checklist_reply(position: Position, guide: Guide, content: Content, dialogue: Dialogue,
                    answers: dict[str, str] | None = None) -> Reply:
    """The materials, each with its mark (来源要求, or 资料未规定) and a one-line why with sources."""
    texts = guide.checklist.texts
    place = guide.place(position.place)
    assert place is not None
    intro_sources = tuple(s for ref in guide.checklist.intro_rests_on for s in _sources_of(ref, content))
    lines = [f"{texts['title']}（{place.name}）", texts["intro"]]
    if intro_sources:
        lines[-1] += "\n" + source_line(intro_sources, content, dialogue)
    sources = list(intro_sources)
    for number, material in enumerate(materials_for(position, guide, answers), 1):
        mark = texts["required_mark"] if material.required else texts["general_mark"]
        condition = f"{material.condition}：" if material.when and answers is None else ""
        cited = tuple(s for ref in material.rests_on for s in _sources_of(ref, content))
        sources += [s for s in cited if s not in sources]
        lines.append(f"{number}. {condition}{material.name}【{mark}】\n为什么：{material.why}\n"
                     f"{source_line(tuple(dict.fromkeys(cited)), content, dialogue)}")
    buttons = [Button(guide.text("draft_button"), draft_payload(position)),
               Button(guide.text("restart_button"), payload(position.at("1"))),
               Button(guide.text("places_button"), payload(""))]
    if answers is None:
        buttons.insert(1, Button(guide.text("screen_button"), "/start_screening"))
    return Reply("\n\n".join(lines), kind=KIND, buttons=tuple(buttons), sources=tuple(sources),
                 extra={"guide": str(position), "stage": CHECKLIST, "place": place.id})


def _sources_of(ref: str, content: Content) -> tuple[str, ...]:
    from bot.content.validate import resolve_ref

    found = resolve_ref(content, ref)
    return tuple(found[0].sources) if found is not None else ()


def _place_of_screening(guide: Guide, answers: dict[str, str] | None) -> Place | None:
    option = (answers or {}).get("region")
    return next((p for p in guide.places if option and p.screening == option), None)


def find_place(text: str, guide: Guide) -> Place | None:
    """The place a message names (十堰 before 湖北: the longest name found wins)."""
    key = comparable(text)
    found = [(len(comparable(alias)), place) for place in guide.places
             for alias in (place.name, *place.aliases) if comparable(alias) and comparable(alias) in key]
    return max(found, key=lambda f: f[0])[1] if found else None


def navigate(text: str, state: str, guide: Guide) -> str | None:
    """A typed move inside the walk-through (下一步, 上一步, 材料清单, a place's name) from
    ``state``, as the new state; None when the message is not one."""
    key = comparable(text)
    position = Position.parse(state)
    place = find_place(text, guide)
    if place is not None and len(key) <= len(comparable(place.name)) + 6:
        return str(Position(place.id))
    if not position.applicant:
        for applicant, label in guide.applicants:
            if key and key in (comparable(label), comparable(applicant)) and position.place and not position.inside:
                return str(Position(position.place, applicant, "1"))
        return None
    words = {"next": guide.text("next_button"), "prev": guide.text("prev_button"),
             "list": guide.text("checklist_button")}
    step = int(position.step) if position.step.isdigit() else 0
    if key == comparable(words["next"]) and position.step != CHECKLIST:
        return str(position.at(str(step + 1) if step < len(guide.stages) else CHECKLIST))
    if key == comparable(words["prev"]):
        return str(position.at(str(max(step - 1, 1)) if step else str(len(guide.stages))))
    if key == comparable(words["list"]):
        return str(position.at(CHECKLIST))
    return None


def state_of(parse: dict[str, Any]) -> str | None:
    """The guide state a /apply_guide{"guide": …} payload carries, or None."""
    for entity in parse.get("entities") or []:
        if entity.get("entity") == "guide":
            return str(entity.get("value") or "")
    return None
