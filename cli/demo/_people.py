"""The demo center's firms and people, Chinese names for everyone, and the arbitration desk's duty days."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

Row = dict[str, object]

_SURNAMES = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"), ("唐", "tang"),
    ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"), ("彭", "peng"), ("曾", "zeng"),
    ("田", "tian"), ("董", "dong"), ("袁", "yuan"), ("潘", "pan"), ("蒋", "jiang"), ("蔡", "cai"),
    ("余", "yu"), ("杜", "du"), ("叶", "ye"), ("程", "cheng"), ("魏", "wei"), ("苏", "su"),
    ("丁", "ding"), ("沈", "shen"), ("任", "ren"), ("姚", "yao"), ("卢", "lu"), ("傅", "fu"),
)  # fmt: skip
_GIVEN_MALE = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("刚", "gang"), ("建华", "jianhua"),
    ("建国", "jianguo"), ("志强", "zhiqiang"), ("晓东", "xiaodong"), ("斌", "bin"), ("波", "bo"),
    ("辉", "hui"), ("鹏", "peng"), ("宇", "yu"), ("浩", "hao"), ("俊", "jun"), ("峰", "feng"),
    ("健", "jian"), ("国平", "guoping"), ("海波", "haibo"), ("文杰", "wenjie"), ("永强", "yongqiang"),
    ("春生", "chunsheng"), ("德华", "dehua"), ("立新", "lixin"),
)  # fmt: skip
_GIVEN_FEMALE = (
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("秀英", "xiuying"), ("霞", "xia"), ("桂英", "guiying"), ("海燕", "haiyan"),
    ("玲", "ling"), ("红", "hong"), ("婷", "ting"), ("雪", "xue"), ("琳", "lin"), ("颖", "ying"),
    ("晓燕", "xiaoyan"), ("佳", "jia"), ("欣", "xin"), ("美玲", "meiling"), ("春梅", "chunmei"),
)  # fmt: skip


class Names:
    """Distinct Chinese names (and their pinyin, for email addresses) drawn from a seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def draw(self, *, female: bool | None = None) -> tuple[str, str]:
        if female is None:
            female = self.rng.random() < 0.45
        given = _GIVEN_FEMALE if female else _GIVEN_MALE
        for _attempt in range(1000):
            (surname, s_pinyin), (name, n_pinyin) = self.rng.choice(_SURNAMES), self.rng.choice(given)
            if surname + name not in self.used:
                self.used.add(surname + name)
                return surname + name, s_pinyin + n_pinyin
        raise RuntimeError("the name pool is exhausted")  # pragma: no cover - 48 × 52 names


@dataclass(frozen=True)
class FirmPlan:
    code: str
    name: str
    kind: str
    mailbox: str
    address: str
    lawyers: int  # practising lawyers (律师) or, in a legal service office, legal workers


# The district's three law firms and three legal service offices, all application points (受理点) as the
# seed report says; the names are made up.
FIRMS: tuple[FirmPlan, ...] = (
    FirmPlan("HZLS", "衡正律师事务所", "law_firm", "hengzheng", "XX区中山东路178号衡正大厦6楼", 8),
    FirmPlan("MLLS", "明理律师事务所", "law_firm", "mingli", "XX区百丈路32号", 8),
    FirmPlan("TXLS", "同信律师事务所", "law_firm", "tongxin", "XX区江东北路215号3楼", 6),
    FirmPlan("GLFW", "鼓楼法律服务所", "legal_service_office", "gulou", "XX区鼓楼街道公园路12号", 4),
    FirmPlan("NMFW", "南门法律服务所", "legal_service_office", "nanmen", "XX区南门街道灵桥路88号", 4),
    FirmPlan("XQFW", "新桥法律服务所", "legal_service_office", "xinqiao", "XX区新桥街道新桥路6号", 4),
)
STAFF = ("ZX01", "ZX02", "ZX03", "ZX04")  # ZX01 reviews the applications (审查)
CENTER_HEAD = "LD01"  # 中心主任; LD02 is the bureau's leader in charge (分管局领导)
DESK_POOL_SIZE = 12


def _phone(rng: random.Random) -> str:
    return f"13{rng.choice('56789')}{rng.randrange(10**8):08d}"


def _person(
    rng: random.Random, names: Names, code: str, role: str, firm: str | None, *, female: bool | None = None
) -> Row:
    name, pinyin = names.draw(female=female)
    return {
        "code": code,
        "name": name,
        "email": f"{pinyin}.{code.lower()}@example.cn",
        "phone": _phone(rng),
        "firm": firm,
        "role": role,
        "desk_pool": False,
        "active": True,
    }


def people_rows(rng: random.Random, names: Names) -> list[Row]:
    """Four center staff, two leaders, and the lawyers and legal workers of the six firms."""
    rows = [_person(rng, names, code, "staff", None) for code in STAFF]
    rows.append(_person(rng, names, CENTER_HEAD, "leader", None))
    rows.append(_person(rng, names, "LD02", "leader", None, female=False))
    lawyers = workers = 0
    for firm in FIRMS:
        for _ in range(firm.lawyers):
            if firm.kind == "law_firm":
                lawyers += 1
                rows.append(_person(rng, names, f"LS{lawyers:03d}", "lawyer", firm.code))
            else:
                workers += 1
                rows.append(_person(rng, names, f"FW{workers:03d}", "legal_worker", firm.code))
    # Two people left during the current year: a lawyer of the smallest firm and a legal worker. They keep
    # their finished cases of the previous year, which is why they stay in the file as inactive.
    leavers = {"LS022", "FW012"}
    for row in rows:
        if row["code"] in leavers:
            row["active"] = False
    eligible = [r for r in rows if r["role"] == "lawyer" and r["active"]]
    for row in rng.sample(eligible, DESK_POOL_SIZE):
        row["desk_pool"] = True
    return rows


def firm_rows(people: Sequence[Row]) -> list[Row]:
    """The firms, each directed (负责人) by its first person."""
    rows: list[Row] = []
    for firm in FIRMS:
        director = next(p["code"] for p in people if p["firm"] == firm.code)
        rows.append(
            {
                "code": firm.code,
                "name": firm.name,
                "kind": firm.kind,
                "email": f"{firm.mailbox}@example.cn",
                "address": firm.address,
                "director": director,
                "accepts_applications": True,
            }
        )
    return rows


Absence = tuple[str, date, date]  # person code, first and last day away


def desk_duty(days: Sequence[date], pool: Sequence[str], away: Sequence[Absence]) -> dict[date, str]:
    """One lawyer per desk day, in turn (轮流蹲点): whoever was on duty longest ago and is free that day,
    nobody on leave, nobody two desk days running; a turn missed for leave comes first after it."""
    duty: dict[date, str] = {}
    queue = list(pool)  # the next in turn first
    previous = ""
    for day in days:
        absent = {person for person, first, last in away if first <= day <= last}
        for person in queue:
            if person not in absent and person != previous:
                duty[day] = previous = person
                queue.remove(person)
                queue.append(person)
                break
    return duty
