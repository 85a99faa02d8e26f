"""Demo data for every document kind (JSON-ready): demo mode, the CLI, tests and the benchmark."""

from __future__ import annotations

import copy
from typing import Any

_COURT = {"name": "重庆市渝北区人民法院"}
_ORG = {
    "name": "渝北区龙溪街道人民调解委员会",
    "mediator": "王调解",
    "address": "重庆市渝北区龙溪街道",
}
_PARTIES = [
    {
        "name": "李明",
        "role": "申请人",
        "gender": "男",
        "birth_date": "1985-03-12",
        "id_number": "500112198503120011",
        "address": "重庆市渝北区金开大道 88 号",
        "phone": "13800000001",
    },
    {
        "name": "陈芳",
        "role": "申请人",
        "gender": "女",
        "birth_date": "1990-07-01",
        "address": "重庆市江北区观音桥步行街 6 号",
    },
]
_TERMS = [
    {
        "obligor": "陈芳",
        "obligee": "李明",
        "obligation": "偿还借款本金人民币五万元",
        "amount_yuan": "50000.00",
        "deadline": "2026-12-31",
    },
    {"obligor": "李明", "obligee": "陈芳", "obligation": "收到款项后三日内退还借条原件"},
]

_SAMPLES: dict[str, dict[str, Any]] = {
    "mediation_agreement": {
        "court": _COURT,
        "case_number": "(2026)渝0112民特123号",
        "date": "2026-11-22",
        "organisation": _ORG,
        "parties": _PARTIES,
        "facts": "双方因民间借贷发生纠纷，经调解委员会主持调解，自愿达成如下协议。",
        "terms": _TERMS,
    },
    "confirmation_application": {
        "court": _COURT,
        "case_number": "(2026)渝0112民特123号",
        "date": "2026-11-22",
        "organisation": _ORG,
        "parties": _PARTIES,
        "agreement_date": "2026-11-22",
        "requests": "请求依法确认双方于二〇二六年十一月二十二日达成的调解协议有效。",
    },
    "confirmation_ruling": {
        "court": _COURT,
        "case_number": "(2026)渝0112民特123号",
        "date": "2026-11-22",
        "parties": _PARTIES,
        "organisation": _ORG,
        "agreement_date": "2026-11-22",
        "terms": _TERMS,
        "decision": "confirmed",
        "reasons": "申请人达成的调解协议系双方真实意思表示，内容不违反法律、行政法规的强制性规定，"
        "不损害国家利益、社会公共利益和他人合法权益。",
        "legal_basis": "《中华人民共和国民事诉讼法》第二百零五条、第二百零六条",
        "judge": "张审判",
        "clerk": "刘书记",
    },
    "hearing_record": {
        "court": _COURT,
        "case_number": "(2026)渝0112民初456号",
        "date": "2026-11-22",
        "start": "2026-11-22T09:30:00+08:00",
        "end": "2026-11-22T10:15:00+08:00",
        "place": "云庭在线法庭（第三法庭）",
        "presiding_judge": "张审判",
        "clerk": "刘书记",
        "participants": _PARTIES,
        "utterances": [
            {"speaker": "审判员", "text": "现在开庭。核对当事人身份。"},
            {"speaker": "李明", "text": "我叫李明，身份证号已核对无误。"},
        ],
    },
    "interrogation_record": {
        "court": _COURT,
        "case_number": "(2026)渝0112刑初78号",
        "date": "2026-11-22",
        "start": "2026-11-22T14:00:00+08:00",
        "place": "重庆市渝北区看守所远程提讯室",
        "presiding_judge": "赵检察",
        "clerk": "刘书记",
        "participants": [{"name": "周某", "role": "犯罪嫌疑人", "gender": "男"}],
        "utterances": [
            {"speaker": "问", "text": "你是否听清楚了你的权利义务？"},
            {"speaker": "答", "text": "听清楚了。"},
        ],
        "interrogators": ["赵检察", "钱检察"],
        "rights_notice": "已向犯罪嫌疑人宣读《犯罪嫌疑人诉讼权利义务告知书》，"
                         "犯罪嫌疑人表示已经听清楚、明白",
        "rights_acknowledged_at": "2026-11-22T14:02:00+08:00",
        "statement": "以上笔录我看过，和我说的相符",
    },
    "plea_statement": {
        "court": _COURT,
        "case_number": "(2026)渝0112刑初78号",
        "date": "2026-11-22",
        "defendant": {"name": "周某", "role": "犯罪嫌疑人", "gender": "男"},
        "lawyer": "孙律师",
        "charges": "盗窃罪",
        "facts": "2026年10月3日，周某在渝北区某超市窃取商品，价值人民币二千元。",
        "sentencing_proposal": "有期徒刑六个月，缓刑一年，并处罚金人民币二千元",
        "procedure": "速裁程序",
        "prosecutor": "赵检察",
        "appropriate_adult": "周母",
    },
    "proof_of_service": {
        "court": _COURT,
        "case_number": "(2026)渝0112民特123号",
        "date": "2026-11-22",
        "recipient": _PARTIES[0],
        "served_documents": ["民事裁定书 (2026)渝0112民特123号"],
        "method": "电子送达（在线调解室当场签收）",
        "served_at": "2026-11-22T16:05:00+08:00",
        "server": "刘书记",
    },
}


def sample(kind: str) -> dict[str, Any]:
    return copy.deepcopy(_SAMPLES[kind])
