"""What staff see of the help after danger: an urgent referral first in the Servicestelle's
queue (pages and JSON API), marked, with a notice on its page; the GfS' anonymous counts per
category, suppressed like every figure."""

from __future__ import annotations

import datetime as dt

from referrals import lifecycle
from store.models import SafetyCount
from tests.admin_seed import Api, add_referral
from tests.staff_pages import logged_in

PAGES, API = "/staff/referrals", "/api/v1/referrals"


async def _pair(api: Api) -> tuple[int, int]:
    """An urgent referral, and a normal one made after it (newer: first without urgency)."""
    seed = api.seed
    async with api.sessions() as s, s.begin():
        args = (seed.buendnis["A"], seed.stelle["A"], seed.gemeinde["A"])
        urgent = await add_referral(s, *args)
        await lifecycle.mark_urgent(s, urgent.id, "self_harm")
        normal = await add_referral(s, *args)
        normal.created_at = urgent.created_at + dt.timedelta(hours=1)
        return urgent.id, normal.id


async def test_an_urgent_referral_stands_first_marked_with_a_notice(admin_api: Api):
    api = admin_api
    urgent, normal = await _pair(api)
    await logged_in(api, "servicestelle")
    page = (await api.client.get(PAGES)).text
    assert page.index(f"{PAGES}/{urgent}") < page.index(f"{PAGES}/{normal}")
    assert page.index(f"{PAGES}/{normal}") < page.index(f"{PAGES}/{api.seed.referral['A']}")
    assert "Dringend: 1 Person(en)" in page and page.count('class="is-urgent"') == 1
    detail = (await api.client.get(f"{PAGES}/{urgent}")).text
    assert "Dringend: Gedanken an Suizid oder Selbstverletzung" in detail
    assert "Ihre Worte werden nicht gespeichert" in detail and "Polizei 110" in detail
    assert "Dringend" not in (await api.client.get(f"{PAGES}/{normal}")).text
    listed = (await api.client.get(API, headers=api.auth("servicestelle"))).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert items[0]["id"] == urgent and items[0]["urgent"] is True
    assert all(i["urgent"] is False for i in items[1:])


async def test_a_closed_urgent_referral_goes_back_into_line(admin_api: Api):
    api = admin_api
    urgent, normal = await _pair(api)
    async with api.sessions() as s, s.begin():
        for to, note in (("in_review", None), ("declined", "nicht zuständig")):
            await lifecycle.transition(s, urgent, to, actor="user:1", note=note)
    await logged_in(api, "servicestelle")
    page = (await api.client.get(PAGES)).text
    assert page.index(f"{PAGES}/{normal}") < page.index(f"{PAGES}/{urgent}")
    assert "Dringend: " not in page


async def test_the_gfs_sees_help_in_danger_per_category_suppressed(admin_api: Api):
    api, seed = admin_api, admin_api.seed
    day = dt.date(2026, 3, 2)
    async with api.sessions() as s, s.begin():
        a = seed.buendnis["A"]
        s.add(SafetyCount(buendnis_id=a, category="self_harm", day=day, count=4))
        s.add(SafetyCount(buendnis_id=a, category="self_harm", day=day, count=3))  # a 2nd row
        s.add(SafetyCount(buendnis_id=a, category="threat", day=day, count=2))
        s.add(SafetyCount(buendnis_id=seed.buendnis["B"], category="threat", day=day, count=40))
    await logged_in(api, "gfs")
    page = (await api.client.get("/staff/gaps", params={"month": "2026-03"})).text
    part = page.split('id="safety-title"', 1)[1]
    assert 'Gedanken an Suizid oder Selbstverletzung</th><td class="num">7<' in part
    assert 'Bedrohung oder Gewalt durch andere</th><td class="num">&lt;5<' in part
    assert ">9<" in part and ">40<" not in part and ">42<" not in part
    later = await api.client.get("/staff/gaps", params={"month": "2026-04"})
    assert ">7<" not in later.text.split('id="safety-title"', 1)[1]
