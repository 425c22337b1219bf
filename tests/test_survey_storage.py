"""Packed survey responses (results/storage.py) on SQLite and PostgreSQL: what goes in comes
out, layouts grow or multiply when answers do not fit, concurrent writers agree on codes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from dialogs.loader import load_flow
from results.codebook import Codebook
from results.storage import NO_ANSWER, decode, encode, layout_for, stored_answers, write_response
from store.models import SurveyCode, SurveyLayout, SurveyResponse, SurveyTextAnswer
from tests.helpers import FLOWS

SURVEY = load_flow(FLOWS / "befragung-lebenslage.yaml")
CODEBOOK = Codebook.from_flow(SURVEY)


async def _write(db, answers, texts=None, version=None) -> str:
    async with db() as s, s.begin():
        return await write_response(
            s,
            CODEBOOK,
            flow_id=SURVEY.id,
            flow_version=version or SURVEY.version,
            wave_id=None,
            buendnis_id=None,
            answers=answers,
            texts=texts,
        )


async def test_what_is_written_is_read_back(db):
    answers = {
        "1.2": "18-20",
        "1.3": None,  # asked, skipped
        "2.2": ["sprache", "wohnen", "mobilitaet"],
        "1.4": [],  # nothing chosen: not counted as asked
        "1.13": 2,
        "1.14": 1.5,
        "gemeinde": "g7",
    }
    rid = await _write(db, answers, {"2.18": "Ich suche Arbeit"})
    async with db() as s:
        got = sorted((a.item_id, a.code, a.number) for a in await stored_answers(s, [rid]))
        row = await s.get(SurveyResponse, rid)
        layout = await s.get(SurveyLayout, row.layout_id)
        texts = list(await s.scalars(select(SurveyTextAnswer.text)))
    assert got == [
        ("1.13", None, 2.0),
        ("1.14", None, 1.5),
        ("1.2", "18-20", None),
        ("1.3", None, None),
        ("2.2", "mobilitaet", None),
        ("2.2", "sprache", None),
        ("2.2", "wohnen", None),
        ("gemeinde", "g7", None),
    ]
    assert texts == ["Ich suche Arbeit"]
    assert len(rid) == 32 and len(row.codes) == 2 * layout.width
    # every coded item of the questionnaire has its place, text items have none
    slots = {sl[0]: sl[1] for sl in layout.slots}
    assert slots["2.2"] == "multi" and slots["1.13"] == "number" and slots["1.2"] == "single"
    assert "2.18" not in slots and "gemeinde" in slots


async def test_answers_that_do_not_fit_get_a_new_layout_and_both_count(db):
    await _write(db, {"1.2": "18-20", "2.2": ["sprache"]})
    # an unknown item, and more new need areas than the bitset has room for
    many = [f"neu{i}" for i in range(20)]
    await _write(db, {"1.2": "21-24", "2.2": ["arbeit", *many], "9.1": "x"})
    await _write(db, {"1.2": "21-24", "2.2": ["neu3"]})  # fits the newer layout
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(SurveyLayout)) == 2
    await _write(db, {"1.13": 2})
    await _write(db, {"1.13": "viele"})  # not a number: a number slot could not read it back
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(SurveyLayout)) == 3
        everything = await stored_answers(s)
        got = [(a.item_id, a.code) for a in everything]
    numbers = sorted(((a.code, a.number) for a in everything if a.item_id == "1.13"), key=str)
    assert numbers == [("viele", None), (None, 2.0)]
    assert sorted(c for i, c in got if i == "2.2") == sorted(["sprache", "arbeit", *many, "neu3"])
    assert ("9.1", "x") in got


async def test_a_single_valued_item_takes_one_answer(db):
    async with db() as s, s.begin():
        layout = await layout_for(s, SURVEY.id, SURVEY.version, CODEBOOK, {"1.2": "18-20"})
    with pytest.raises(ValueError, match="takes one answer"):
        encode(layout, {"1.2": ["18-20", "21-24"]})
    packed = encode(layout, {"1.2": "18-20", "1.3": None})
    assert decode(layout, packed) == {"1.2": ["18-20"], "1.3": [NO_ANSWER]}
    with pytest.raises(ValueError, match="do not fit"):
        decode(layout, packed + b"\0\0")


async def test_concurrent_writers_give_new_categories_distinct_numbers(db):
    await _write(db, {"gemeinde": "g1"})  # the layout exists

    async def one(code: str) -> None:
        for _ in range(20):  # SQLite may refuse the second writer for a moment
            try:
                await _write(db, {"gemeinde": code, "1.13": int(code[1:])})
                return
            except Exception as exc:  # pragma: no cover - depends on timing
                if "locked" not in str(exc):
                    raise
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one(f"g{i}") for i in range(2, 8)))
    async with db() as s:
        codes = (
            await s.execute(
                select(SurveyCode.code, SurveyCode.value).where(SurveyCode.item_id == "gemeinde")
            )
        ).all()
        got = sorted(a.code for a in await stored_answers(s) if a.item_id == "gemeinde")
    values = [v for _, v in codes]
    assert len(values) == len(set(values))
    assert got == [f"g{i}" for i in range(1, 8)]


async def test_without_a_questionnaire_layouts_only_grow(db):
    """Answers alone (no codebook at hand) describe the layout; a new one keeps everything
    of the newest, so a flow version ends up with few layouts whatever the order."""

    async def write(answers):
        async with db() as s, s.begin():
            await write_response(
                s,
                None,
                flow_id="f",
                flow_version="1",
                wave_id=None,
                buendnis_id=None,
                answers=answers,
            )

    await write({"a": "x", "m": ["p"]})
    await write({"b": "y"})  # a new item: a second layout with a, m and b
    await write({"a": "z", "m": ["q", "r"], "b": None})  # fits the second
    await write({"a": None})  # fits the second too
    async with db() as s:
        layouts = list(await s.scalars(select(SurveyLayout).order_by(SurveyLayout.id)))
        got = sorted(((a.item_id, a.code) for a in await stored_answers(s)), key=str)
    assert [sorted(sl[0] for sl in lay.slots) for lay in layouts] == [["a", "m"], ["a", "b", "m"]]
    assert {sl[0]: sl[1] for sl in layouts[1].slots}["m"] == "multi"
    written = [("a", "x"), ("m", "p"), ("b", "y"), ("a", "z"), ("m", "q"), ("m", "r")]
    assert got == sorted([*written, ("b", None), ("a", None)], key=str)
