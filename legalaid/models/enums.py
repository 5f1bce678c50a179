"""The center's vocabularies: each value with its Chinese label, as the import files may spell it."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


class FirmKind(StrEnum):
    law_firm = "law_firm"  # 律师事务所
    legal_service_office = "legal_service_office"  # 基层法律服务所


class Role(StrEnum):
    lawyer = "lawyer"  # 律师
    legal_worker = "legal_worker"  # 基层法律服务工作者
    staff = "staff"  # 科室工作人员
    leader = "leader"  # 领导


class CaseType(StrEnum):
    civil = "civil"
    criminal = "criminal"
    administrative = "administrative"


class RecipientGroup(StrEnum):
    migrant_worker = "migrant_worker"  # 农民工 / 外来务工人员
    disabled = "disabled"
    minor = "minor"
    elderly = "elderly"
    military = "military"  # 军人军属
    women = "women"


class Decision(StrEnum):
    granted = "granted"  # 给予
    denied = "denied"  # 不予


class IntakeChannel(StrEnum):
    """Where an application came in; a firm code is an intake too (firms accept applications)."""

    legal_aid_center = "center"  # (`center` would shadow str.center)
    arbitration_desk = "arbitration_desk"
    workstation = "workstation"


class ConsultationChannel(StrEnum):
    hotline_148 = "hotline_148"
    hotline_12348 = "hotline_12348"
    visit = "visit"
    arbitration_desk = "arbitration_desk"
    workstation = "workstation"
    online = "online"


class ConsultationOutcome(StrEnum):
    answered = "answered"  # 解答
    mediated = "mediated"  # 调解成功
    converted = "converted"  # 转为援助案件
    referred = "referred"  # 转介


class Slot(StrEnum):
    am = "am"
    pm = "pm"
    day = "day"


LABELS_ZH: dict[StrEnum, str] = {
    FirmKind.law_firm: "律师事务所",
    FirmKind.legal_service_office: "基层法律服务所",
    Role.lawyer: "律师",
    Role.legal_worker: "法律服务工作者",
    Role.staff: "工作人员",
    Role.leader: "领导",
    CaseType.civil: "民事",
    CaseType.criminal: "刑事",
    CaseType.administrative: "行政",
    RecipientGroup.migrant_worker: "农民工",
    RecipientGroup.disabled: "残疾人",
    RecipientGroup.minor: "未成年人",
    RecipientGroup.elderly: "老年人",
    RecipientGroup.military: "军人军属",
    RecipientGroup.women: "妇女",
    Decision.granted: "给予",
    Decision.denied: "不予",
    IntakeChannel.legal_aid_center: "中心",
    IntakeChannel.arbitration_desk: "仲裁咨询点",
    IntakeChannel.workstation: "工作站",
    ConsultationChannel.hotline_148: "148热线",
    ConsultationChannel.hotline_12348: "12348热线",
    ConsultationChannel.visit: "来访",
    ConsultationChannel.arbitration_desk: "仲裁咨询点",
    ConsultationChannel.workstation: "工作站",
    ConsultationChannel.online: "网络",
    ConsultationOutcome.answered: "解答",
    ConsultationOutcome.mediated: "调解成功",
    ConsultationOutcome.converted: "转为援助案件",
    ConsultationOutcome.referred: "转介",
    Slot.am: "上午",
    Slot.pm: "下午",
    Slot.day: "全天",
}

# Spellings an import may use besides the label, e.g. the seed report's 外来务工人员.
ALIASES_ZH: dict[StrEnum, tuple[str, ...]] = {
    RecipientGroup.migrant_worker: ("外来务工人员",),
    ConsultationChannel.hotline_148: ("148",),
    ConsultationChannel.hotline_12348: ("12348",),
    Role.legal_worker: ("基层法律服务工作者",),
}


def db_enum(enum: type[StrEnum]) -> SAEnum:
    """A portable enum column: VARCHAR with a CHECK constraint, the same on SQLite and PostgreSQL."""
    return SAEnum(
        enum,
        native_enum=False,
        create_constraint=True,
        length=32,
        name=enum.__name__.lower(),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )
