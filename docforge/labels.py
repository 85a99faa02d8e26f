"""Per-language labels and the Chinese/English date and money formats the templates use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

LANGS: tuple[str, ...] = ("zh", "en")

_DIGITS = "〇一二三四五六七八九"

LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "mediation_agreement": "调解协议书",
        "confirmation_application": "司法确认申请书",
        "confirmation_ruling": "民事裁定书",
        "hearing_record": "庭审笔录",
        "interrogation_record": "讯问笔录",
        "proof_of_service": "送达回证",
        "summons": "传票",
        "appearance_notice": "出庭通知书",
        "summoned": "受传唤人",
        "notified": "被通知人",
        "summons_role": "诉讼地位",
        "summons_case": "案由",
        "summons_time": "应到时间",
        "summons_place": "应到处所",
        "summons_join": "手机或电脑扫码（或打开下列链接）进入云庭，请勿转给他人：",
        "summons_inquiry": "案件进度查询（一案一码），查询码",
        "summons_kiosk": "在法官e站自助机上，于开庭当日输入自助机码",
        "summons_note": "注意事项：一、被传唤人必须准时到达应到处所，并携带身份证件；"
        "二、原告经传票传唤，无正当理由拒不到庭的，可以按撤诉处理；被告经传票传唤，无正当理由"
        "拒不到庭的，可以缺席判决；三、如因特殊情况不能按时到庭，应提前向本院说明理由。",
        "notice_note": "注意事项：一、请准时到达应到处所，并携带身份证件；"
        "二、如因特殊情况不能按时到庭，应提前向本院说明理由。",
        "gender": "性别",
        "born": "出生日期",
        "id_number": "公民身份号码",
        "address": "住址",
        "phone": "联系电话",
        "organisation": "调解组织",
        "mediator": "调解员",
        "facts": "纠纷事实",
        "terms": "经调解，双方自愿达成如下协议",
        "amount": "金额",
        "deadline": "履行期限",
        "yuan": "元",
        "obligor": "义务人",
        "obligee": "权利人",
        "requests": "请求事项",
        "undertaking": "申请人承诺：出于解决纠纷的目的自愿达成协议，没有恶意串通、规避法律的行为；"
        "如因虚假陈述等原因导致其他当事人或案外人损失，愿承担相应法律责任。",
        "ruling_intro": "申请人于{date}经{org}主持调解，达成如下调解协议",
        "confirmed_lead": "本院经审查认为",
        "ruled": "依照{basis}之规定，裁定如下",
        "confirmed": "申请人达成的调解协议有效。当事人应当按照调解协议的约定自觉履行义务。"
        "一方当事人拒绝履行或者未全部履行的，对方当事人可以向人民法院申请执行。",
        "rejected": "驳回申请人的司法确认申请。"
        "当事人可以通过调解方式变更原调解协议或者达成新的调解协议，"
        "也可以向人民法院提起诉讼。",
        "final": "本裁定自即日起发生法律效力。",
        "judge": "审判员",
        "clerk": "书记员",
        "time": "时间",
        "place": "地点",
        "presiding": "审判人员",
        "interrogator": "讯问人",
        "participants": "到庭人员",
        "record_note": "以上笔录经本人阅读（或向本人宣读），与所述一致。",
        "served_documents": "送达文书",
        "recipient": "受送达人",
        "method": "送达方式",
        "served_at": "送达时间",
        "server": "送达人",
        "signature": "签名",
        "seal": "（院印）",
        "court_seal": "法院印章",
        "dev_notice": "",
    },
    "en": {
        "mediation_agreement": "Mediation Agreement",
        "confirmation_application": "Application for Judicial Confirmation",
        "confirmation_ruling": "Civil Ruling",
        "hearing_record": "Hearing Record",
        "interrogation_record": "Interrogation Record",
        "proof_of_service": "Proof of Service",
        "summons": "Summons",
        "appearance_notice": "Notice to Appear",
        "summoned": "Summoned",
        "notified": "Notified",
        "summons_role": "Capacity",
        "summons_case": "Case",
        "summons_time": "Time",
        "summons_place": "Place",
        "summons_join": "Scan with a phone or computer (or open this link) to join; "
        "do not pass it on:",
        "summons_inquiry": "Case progress inquiry, code",
        "summons_kiosk": "Kiosk code (at the clinic's kiosk, on the hearing day)",
        "summons_note": "Appear on time with your identity document. If you cannot, tell the "
        "court in advance and why.",
        "notice_note": "Appear on time with your identity document. If you cannot, tell the "
        "court in advance and why.",
        "gender": "Gender",
        "born": "Date of birth",
        "id_number": "ID number",
        "address": "Address",
        "phone": "Phone",
        "organisation": "Mediation organisation",
        "mediator": "Mediator",
        "facts": "Facts of the dispute",
        "terms": "Through mediation the parties voluntarily agree as follows",
        "amount": "Amount",
        "deadline": "Deadline",
        "yuan": "yuan",
        "obligor": "Obligor",
        "obligee": "Obligee",
        "requests": "Requests",
        "undertaking": "The applicants undertake that the agreement was reached voluntarily to "
        "resolve the dispute, without collusion or evasion of the law.",
        "ruling_intro": "On {date}, mediated by {org}, the applicants reached this agreement",
        "confirmed_lead": "Having examined the application, this court holds",
        "ruled": "In accordance with {basis}, the court rules as follows",
        "confirmed": "The mediation agreement reached by the applicants is valid. If a party "
        "refuses to perform, the other party may apply to the people's court for enforcement.",
        "rejected": "The application for judicial confirmation is rejected. The parties may amend "
        "the agreement through mediation or file a lawsuit with the people's court.",
        "final": "This ruling takes legal effect immediately.",
        "judge": "Judge",
        "clerk": "Clerk",
        "time": "Time",
        "place": "Place",
        "presiding": "Presiding",
        "interrogator": "Interrogator",
        "participants": "Present",
        "record_note": "I have read this record (or had it read to me); it is accurate.",
        "served_documents": "Documents served",
        "recipient": "Recipient",
        "method": "Method of service",
        "served_at": "Served at",
        "server": "Served by",
        "signature": "Signature",
        "seal": "(Court seal)",
        "court_seal": "Court seal",
        "dev_notice": "",
    },
}


def chinese_number(n: int) -> str:
    """Day/month numbers as written in rulings: 二十二, 十一, 十."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones or not head else "")


def chinese_date(day: dt.date) -> str:
    year = "".join(_DIGITS[int(c)] for c in str(day.year))
    return f"{year}年{chinese_number(day.month)}月{chinese_number(day.day)}日"


def format_date(day: dt.date, lang: str) -> str:
    return chinese_date(day) if lang == "zh" else f"{day:%d %B %Y}"


def format_amount(amount: Decimal) -> str:
    return f"{amount:,.2f}"
