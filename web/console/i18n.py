"""Every text of the console's pages, in Chinese and English: one table, so no template holds a language.

``texts(locale)`` gives the page texts of ``locale`` (the setting ``locale``); a template says
``{{ t.nav_today }}``. A key missing from a language is an error when the template renders (the console's
Jinja environment is strict), not a blank on a page.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# key: (zh_CN, en)
TABLE: dict[str, tuple[str, str]] = {
    "app_name": ("法律援助中心 · 工作台", "Legal aid center · console"),
    "nav_today": ("今日", "Today"),
    "nav_cases": ("案件", "Cases"),
    "nav_import": ("导入", "Import"),
    "nav_outbox": ("发件箱", "Outbox"),
    "nav_roster": ("值班", "Roster"),
    "nav_reports": ("报表", "Reports"),
    "nav_jobs": ("任务", "Jobs"),
    "nav_settings": ("设置", "Settings"),
    "nav_users": ("用户", "Users"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "sign_out": ("退出", "Sign out"),
    "sign_in": ("登录", "Sign in"),
    "username": ("用户名（人员编号）", "User (person code)"),
    "password": ("密码", "Password"),
    "wrong_login": ("用户名或密码错误", "wrong user or password"),
    "too_many_attempts": ("尝试次数过多，请稍后再试", "too many attempts; try again later"),
    "forbidden": ("无权访问此页面", "you may not open this page"),
    "bad_form": (
        "表单已过期或无效，请返回重试",
        "the form has expired or is not valid; go back and try again",
    ),
    "not_found": ("未找到", "not found"),
    "back": ("返回", "Back"),
    "none": ("无", "none"),
    "more_not_shown": ("条未显示", "more not shown"),
    "today_title": ("今日", "Today"),
    "today_due": ("今日提醒扫描将发送", "What today's reminder scan sends"),
    "today_not_working_day": (
        "今天不是工作日，不发送提醒",
        "Today is not a working day: no reminders go out",
    ),
    "today_sent": ("今日已发送的提醒", "Reminders sent today"),
    "today_overdue": ("逾期事项（按人）", "Overdue items, by person"),
    "today_duties": ("未来一周值班", "Desk duties this coming week"),
    "today_mail_problems": ("发送失败的邮件", "Mail that failed or is dead"),
    "today_job_problems": ("失败的任务", "Jobs that failed or are dead"),
    "action_retry": ("去重发", "Retry"),
    "action_jobs": ("查看任务", "See the jobs"),
    "col_case": ("案号", "Case"),
    "col_rule": ("事项", "What is due"),
    "col_recipient": ("收件人", "To"),
    "col_level": ("级别", "Level"),
    "col_deadline": ("期限", "Deadline"),
    "col_days_overdue": ("逾期天数", "Days overdue"),
    "col_person": ("人员", "Person"),
    "col_count": ("件数", "Items"),
    "col_date": ("日期", "Date"),
    "col_slot": ("时段", "Slot"),
    "col_status": ("状态", "Status"),
    "col_subject": ("主题", "Subject"),
    "col_error": ("错误", "Error"),
    "col_job": ("任务", "Job"),
    "col_when": ("时间", "When"),
    "col_applicant": ("申请人", "Applicant"),
    "col_lawyer": ("承办人", "Lawyer"),
    "col_type": ("类型", "Type"),
    "col_applied_on": ("申请日期", "Applied on"),
    "col_step": ("步骤", "Step"),
    "col_anchor": ("起算日", "From"),
    "col_document": ("文书", "Document"),
    "col_size": ("大小", "Size"),
    "col_role": ("角色", "Role"),
    "col_active": ("启用", "Active"),
    "col_last_sign_in": ("最近登录", "Last sign-in"),
    "col_detail": ("说明", "Detail"),
    "col_by": ("操作人", "By"),
    "level_reminder": ("提醒", "reminder"),
    "level_escalation": ("督办", "escalation"),
    "group_staff": ("中心工作人员", "the center staff"),
    "no_lawyer": ("（未指派）", "(not assigned)"),
    "cases_title": ("案件", "Cases"),
    "cases_search": ("案号、人员姓名或编号", "Case number, or a person's name or code"),
    "cases_search_button": ("查找", "Search"),
    "cases_none_found": ("没有找到案件", "No case found"),
    "cases_limited": (
        "只显示前 50 件，请输入更具体的内容",
        "Only the first 50 are shown; search more precisely",
    ),
    "case_steps": ("办理步骤", "Steps"),
    "case_deadlines": ("期限", "Deadlines"),
    "case_documents": ("文书", "Documents"),
    "case_reminders": ("已发送的提醒", "Reminders sent"),
    "case_history": ("变更记录", "History"),
    "case_assign": ("指派或改派", "Assign or reassign"),
    "case_assign_person": ("承办人员编号", "Lawyer's person code"),
    "case_assign_on": ("指派日期", "Assigned on"),
    "case_assign_button": ("指派并通知", "Assign and notify"),
    "case_assigned": ("已指派，通知已排队发送", "Assigned; the notices are queued"),
    "download": ("下载", "Download"),
    "users_title": ("控制台用户", "Console users"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "never": ("从未", "never"),
    "step_applied_on": ("申请", "Application"),
    "step_decided_on": ("审查决定", "Decision"),
    "step_assigned_on": ("指派", "Assignment"),
    "step_first_contact_on": ("首次联系", "First contact"),
    "step_last_progress_on": ("最近进展", "Latest progress"),
    "step_next_hearing_on": ("下次开庭", "Next hearing"),
    "step_ended_on": ("结案", "End of the case"),
    "step_closure_submitted_on": ("提交结案材料", "Closure materials handed in"),
    "step_return_visit_on": ("回访", "Return visit"),
    "step_limitation_on": ("时效届满", "Limitation date"),
    "step_lawyer": ("承办人变更", "Lawyer changed"),
    "type_civil": ("民事", "civil"),
    "type_criminal": ("刑事", "criminal"),
    "type_administrative": ("行政", "administrative"),
}
LOCALES = ("zh_CN", "en")


def texts(locale: str) -> Mapping[str, str]:
    """The page texts of ``locale`` (Chinese for anything but ``en``)."""
    return _TEXTS[1 if locale == "en" else 0]


_TEXTS = tuple(MappingProxyType({key: pair[i] for key, pair in TABLE.items()}) for i in range(2))
