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
        "plea_statement": "认罪认罚具结书",
        "recorder": "记录人",
        "interrogated": "被讯问人及在场人员",
        "rights": "权利告知",
        "rights_at": "告知并确认于",
        "statement_lead": "被讯问人阅读笔录后确认",
        "defendant": "犯罪嫌疑人、被告人",
        "lawyer": "辩护人（值班律师）",
        "charges": "涉嫌罪名",
        "plea_facts": "犯罪事实",
        "plea": "本人自愿如实供述涉嫌的犯罪事实，对指控的犯罪事实没有异议，同意检察机关的量刑建议，"
        "并同意适用下列程序",
        "sentencing_proposal": "量刑建议",
        "procedure": "适用程序",
        "plea_ack": "本人系在辩护人（值班律师）在场的情况下自愿签署本具结书，未受任何暴力、威胁或者"
        "引诱；本人知悉在人民法院判决前可以撤回认罪认罚。",
        "plea_identity": "一、犯罪嫌疑人身份信息",
        "plea_rights_title": "二、权利知悉",
        "plea_rights": "本人已阅读并理解《认罪认罚从宽制度告知书》，"
        "知悉认罪认罚可能导致的法律后果；是否认罪认罚已与辩护人（值班律师）充分沟通，"
        "听取了其法律意见。",
        "plea_content": "三、认罪认罚内容",
        "plea_declaration": "四、自愿签署声明",
        "plea_lawyer_title": "辩护人（值班律师）声明",
        "plea_lawyer": "本人证明：犯罪嫌疑人已阅读《认罪认罚从宽制度告知书》及本具结书，"
        "在签署前已与本人就指控的犯罪事实、罪名、量刑建议及适用程序进行沟通，"
        "本人在场见证其自愿签署本具结书。",
        "prosecutor": "承办检察官",
        "appropriate_adult": "合适成年人（法定代理人）",
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
        "plea_statement": "Plea and Sentencing Acceptance Statement",
        "recorder": "Recorder",
        "interrogated": "Interrogated and present",
        "rights": "Notice of rights",
        "rights_at": "read and acknowledged at",
        "statement_lead": "Having read the record, the person interrogated confirms",
        "defendant": "Suspect / defendant",
        "lawyer": "Defence lawyer (duty lawyer)",
        "charges": "Suspected offence(s)",
        "plea_facts": "Facts",
        "plea": "I truthfully confess the facts of the suspected offence, do not dispute the facts "
        "charged, accept the procuratorate's sentencing proposal and agree to the procedure below",
        "sentencing_proposal": "Sentencing proposal",
        "procedure": "Procedure",
        "plea_ack": "I sign this statement voluntarily, in the presence of my lawyer (duty "
        "lawyer), free of any violence, threat or inducement; I know I may withdraw my plea "
        "before the court's judgment.",
        "plea_identity": "1. The suspect",
        "plea_rights_title": "2. Rights known",
        "plea_rights": "I have read and understood the notice on leniency for pleading guilty "
        "and its legal consequences, and consulted my lawyer (duty lawyer) before deciding to "
        "plead.",
        "plea_content": "3. The plea",
        "plea_declaration": "4. Voluntary declaration",
        "plea_lawyer_title": "Statement of the defence lawyer (duty lawyer)",
        "plea_lawyer": "I certify that the suspect read the notice on leniency and this statement, "
        "discussed the facts, the charges, the sentencing proposal and the procedure with me "
        "before signing, and signed it voluntarily in my presence.",
        "prosecutor": "Prosecutor in charge",
        "appropriate_adult": "Appropriate adult (legal representative)",
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
