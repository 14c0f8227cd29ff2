"""The invented bureau: its organisation, its people, and what its residents and units say.

Everything here is made up: 青川县 (Qingchuan County) is a fictional bureau, and so are its
stations, communities, people, addresses and phone numbers. The generator draws from these
tables; the texts are written per category, so that a ticket reads like its kind of matter.
"""

from __future__ import annotations

BUREAU = ("QC", "青川县公安局", "Qingchuan County Public Security Bureau")
CENTRE = ("QC-CC", "青川县公安局指挥中心", "Qingchuan Command Centre")

# code, name, English name, town, [(community name, English name, is a village, grids)]
STATIONS: list[tuple[str, str, str, str, list[tuple[str, str, bool, int]]]] = [
    (
        "QC-PS01",
        "城关派出所",
        "Chengguan Police Station",
        "城关镇",
        [
            ("文昌社区", "Wenchang Community", False, 2),
            ("滨江社区", "Binjiang Community", False, 2),
            ("新华社区", "Xinhua Community", False, 2),
        ],
    ),
    (
        "QC-PS02",
        "东河派出所",
        "Donghe Police Station",
        "东河镇",
        [
            ("东河社区", "Donghe Community", False, 2),
            ("柳湾村", "Liuwan Village", True, 1),
        ],
    ),
    (
        "QC-PS03",
        "西山派出所",
        "Xishan Police Station",
        "西山乡",
        [
            ("西山社区", "Xishan Community", False, 2),
            ("石门村", "Shimen Village", True, 1),
            ("茶园村", "Chayuan Village", True, 1),
        ],
    ),
    (
        "QC-PS04",
        "南桥派出所",
        "Nanqiao Police Station",
        "南桥镇",
        [
            ("南桥社区", "Nanqiao Community", False, 1),
            ("桥头村", "Qiaotou Village", True, 1),
        ],
    ),
    (
        "QC-PS05",
        "北坪派出所",
        "Beiping Police Station",
        "北坪乡",
        [
            ("北坪社区", "Beiping Community", False, 1),
            ("龙潭村", "Longtan Village", True, 1),
            ("杏花村", "Xinghua Village", True, 1),
        ],
    ),
    (
        "QC-PS06",
        "青溪派出所",
        "Qingxi Police Station",
        "青溪镇",
        [
            ("青溪社区", "Qingxi Community", False, 1),
            ("竹林村", "Zhulin Village", True, 1),
        ],
    ),
]

GRID_ORDINALS = ["一", "二", "三", "四"]

# How many of the residents' calls a place brings, relatively: the county seat's communities
# (the first station's) the most, the other towns' communities less, villages the least.
SEAT_STATION = "QC-PS01"
PLACE_WEIGHTS = {"seat": 4, "town": 2, "village": 1}

# Matters a community settles itself (its mediator, 人民调解) or a grid (its grid officer), as
# the share of the category's tickets sent there, where the demo has someone to work them;
# the rest go to the police station.
COMMUNITY_SHARES = {"neighbour_dispute": 0.5, "family_dispute": 0.5}
GRID_SHARES = {
    "noise": 0.6, "renovation_noise": 0.7, "dangerous_dogs": 0.6, "property_dispute": 0.4,
    "other": 0.4,
}  # fmt: skip

# Residential compounds and streets, for addresses in communities.
COMPOUNDS = [
    "锦绣花园",
    "阳光小区",
    "滨江名苑",
    "幸福里",
    "翠苑小区",
    "金桂园",
    "和平新村",
    "书香苑",
    "华府小区",
    "电力宿舍",
    "粮站家属院",
    "教师公寓",
]
STREETS = ["人民路", "解放路", "建设路", "中山街", "新华街", "文化路", "滨河路", "沿江大道"]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "建国华明丽芳军伟敏静强磊洋勇艳杰娟涛超秀英霞平刚桂兰志红玉春海燕文斌宇鹏浩婷雪梅琴"

# Demo people: username, role, unit code, full name.
PEOPLE: list[tuple[str, str, str, str]] = [
    ("admin", "admin", "QC-CC", "系统管理员"),
    ("dispatcher", "dispatcher", "QC-CC", "王丽"),
    ("dispatcher2", "dispatcher", "QC-CC", "陈静"),
    ("supervisor", "supervisor", "QC-CC", "刘强"),
    ("leader", "leader", "QC", "赵建国"),
    ("handler1", "unit_handler", "QC-PS01", "张伟"),
    ("handler2", "unit_handler", "QC-PS02", "李军"),
    ("handler3", "unit_handler", "QC-PS03", "周涛"),
    ("handler4", "unit_handler", "QC-PS04", "吴磊"),
    ("handler5", "unit_handler", "QC-PS05", "郑勇"),
    ("handler6", "unit_handler", "QC-PS06", "孙杰"),
    ("unit_leader1", "unit_leader", "QC-PS01", "黄志强"),
    ("mediator", "mediator", "QC-C0101", "何秀英"),
    ("grid_officer", "grid_officer", "QC-G01", "林海"),
    ("building_head", "building_head", "QC-G01", "马桂兰"),
]
DEMO_PASSWORD = "jieban-demo"

# How often each default category is reported (others: 3).
CATEGORY_WEIGHTS = {
    "noise": 14,
    "renovation_noise": 10,
    "dangerous_dogs": 6,
    "traffic_dispute": 8,
    "neighbour_dispute": 14,
    "family_dispute": 8,
    "business_dispute": 6,
    "property_dispute": 10,
    "consultation": 3,
    "consultation_id_card": 6,
    "consultation_household": 5,
    "fraud_check": 5,
    "other": 4,
}

CHANNEL_WEIGHTS = {
    "hotline_12345": 34,
    "online_platform": 18,
    "phone": 20,
    "walk_in": 10,
    "building_head": 9,
    "open311": 5,
    "other": 4,
}

# title, content; {addr} is the address, {place} a short place name, {hour} an hour of the day.
REPORTS: dict[str, list[tuple[str, str]]] = {
    "noise": [
        (
            "楼上深夜噪音扰民",
            "{addr}楼上住户连续多晚在{hour}点后大声喧哗、拖动家具，严重影响休息，"
            "敲门沟通无果，请求民警上门处理。",
        ),
        (
            "广场舞音响声音过大",
            "{place}附近广场舞音响每天晚上放到{hour}点多，音量很大，"
            "家里老人小孩无法休息，希望协调降低音量、控制时间。",
        ),
        ("烧烤店夜间喧哗", "{addr}楼下烧烤店食客每晚喝酒划拳到凌晨，噪音扰民，多次反映未改善。"),
        ("KTV噪音扰民", "{place}一家KTV低音炮震动明显，{hour}点以后仍然很吵，请派人查看。"),
    ],
    "renovation_noise": [
        (
            "装修噪音影响休息",
            "{addr}隔壁装修，每天早上七点前就开始电钻、切割，中午也不停，"
            "严重影响休息，请求督促其按规定时间施工。",
        ),
        ("周末装修电钻声", "{addr}楼上周末全天装修砸墙，家中有高考学生，希望协调施工时间。"),
        ("夜间装修施工", "{addr}对面单元晚上{hour}点还在装修敲打，物业劝阻无效。"),
    ],
    "dangerous_dogs": [
        ("遛狗不牵绳", "{place}有居民遛大型犬不牵绳，犬只追扑路人，小孩被吓哭，请求处理。"),
        ("违规饲养烈性犬", "{addr}有住户饲养疑似烈性犬，经常在楼道狂吠，邻居不敢出门。"),
        (
            "被狗咬伤纠纷",
            "本人在{place}被邻居家的狗咬伤小腿，已到医院打疫苗，对方拒绝承担费用，请求调解。",
        ),
    ],
    "traffic_dispute": [
        (
            "车辆剐蹭赔偿纠纷",
            "在{place}路口与一辆电动车发生剐蹭，双方对责任和赔偿金额有争议，请求民警协助处理。",
        ),
        ("车辆堵塞通道", "{addr}楼下有车辆长期占用消防通道，联系不上车主，影响出行。"),
        ("停车位纠纷", "{addr}小区内私家车位被他人长期占用，协商不成发生争吵，请求调解。"),
    ],
    "neighbour_dispute": [
        (
            "楼道堆放杂物纠纷",
            "{addr}邻居在公共楼道堆放纸箱杂物，存在消防隐患，多次沟通发生口角，请求调解。",
        ),
        (
            "漏水引发邻里矛盾",
            "{addr}楼上卫生间漏水导致我家天花板发霉，对方不愿维修赔偿，双方矛盾激化。",
        ),
        (
            "宅基地边界纠纷",
            "{addr}与邻居因宅基地边界和围墙位置发生争执，差点动手，请求派出所调处。",
        ),
        ("空调外机噪音纠纷", "{addr}邻居把空调外机装在我家窗户旁边，噪音和热风很大，协商未果。"),
    ],
    "family_dispute": [
        (
            "家庭矛盾求助",
            "{addr}夫妻因家务和孩子教育问题经常争吵，今天又发生激烈争执，妻子打来电话求助。",
        ),
        ("赡养老人纠纷", "{addr}一位老人反映几个子女互相推诿，不履行赡养义务，希望调解。"),
        ("遗产分配纠纷", "{addr}兄弟姐妹因父母房产分配意见不一，多次争吵，请求帮助调解。"),
    ],
    "business_dispute": [
        ("消费纠纷", "在{place}一家超市购买的商品过期，商家拒绝退换，双方发生争执。"),
        ("拖欠货款纠纷", "本人给{place}一家饭店供应蔬菜，对方拖欠货款两万余元不付，请求协调。"),
        ("商铺租赁纠纷", "{place}商铺房东提前收回店面，拒不退还押金，双方协商未果。"),
    ],
    "property_dispute": [
        (
            "物业不处理电梯故障",
            "{addr}电梯故障一周无人维修，老人上下楼困难，物业一直推脱，业主与物业发生冲突。",
        ),
        ("物业费纠纷", "{addr}物业公司因业主欠缴物业费停水停电，双方发生争吵，请求处理。"),
        ("小区门禁纠纷", "{addr}物业更换门禁系统强制收费，业主不同意，门口发生推搡。"),
    ],
    "consultation": [
        ("咨询办事流程", "想咨询在{place}附近哪里可以办理无犯罪记录证明，需要带什么材料。"),
        ("咨询居住证办理", "外地来青川务工，咨询居住证怎么办理、多长时间能拿到。"),
    ],
    "consultation_id_card": [
        (
            "咨询身份证换领",
            "身份证快到期了，咨询换领需要带哪些材料，能不能在{place}附近派出所办理。",
        ),
        ("咨询身份证遗失补办", "身份证丢失，咨询补办流程、费用以及多久能拿到，能否办临时身份证。"),
        ("咨询异地办理身份证", "户口在外省，现在青川工作，咨询能否在本地办理身份证。"),
    ],
    "consultation_household": [
        ("咨询新生儿落户", "孩子刚出生，咨询新生儿落户需要哪些材料，在哪个窗口办理。"),
        ("咨询户口迁移", "在县城买了房，咨询户口从{place}迁入城关需要什么手续。"),
        ("咨询户籍证明", "单位要求开具户籍证明，咨询在哪里开、要带什么。"),
    ],
    "fraud_check": [
        (
            "疑似电信诈骗核查",
            "接到自称“客服”的电话，说我的快递丢失要理赔，让我下载软件共享屏幕，"
            "怀疑是诈骗，请求核实。",
        ),
        ("疑似刷单诈骗", "家人在网上做“刷单返利”已转账三千元，现在对方要求继续转账，担心被骗。"),
        ("冒充公检法电话", "接到自称公安局的电话，说我涉嫌洗钱要求转账到“安全账户”，请帮忙核实。"),
    ],
    "other": [
        ("反映路灯损坏", "{place}一段路灯坏了半个月，晚上很黑，存在安全隐患。"),
        ("反映流浪人员", "{place}附近有一名流浪人员连续几天露宿，天气转冷，希望有关部门救助。"),
        ("反映可疑人员", "{addr}楼下最近有陌生人频繁徘徊，挨家挨户推销，居民担心安全。"),
    ],
}
GENERIC_REPORTS = [
    ("群众来电反映问题", "{addr}居民来电反映相关问题，请求有关部门尽快处理并答复。"),
]

RESULTS: dict[str, list[str]] = {
    "noise": [
        "民警上门对噪音户进行批评教育，对方承诺晚上十点后不再喧哗，已回复诉求人。",
        "已联系社区网格员现场查看并劝导，当事人已降低音量，约定活动时间至晚上九点。",
    ],
    "renovation_noise": [
        "已联系装修业主及施工方，责令严格按照早八点至晚六点、午休不施工的规定作业。",
        "会同物业现场核查，施工方已调整作业时间，诉求人表示认可。",
    ],
    "dangerous_dogs": [
        "已约谈犬主，告知文明养犬规定，要求外出牵绳、佩戴嘴套，并登记犬只信息。",
        "经调解，犬主承担医疗费用共计一千二百元，双方达成和解。",
    ],
    "traffic_dispute": [
        "民警现场调解，双方按责任比例达成赔偿协议，当场履行完毕。",
        "已联系车主挪车并进行教育，通道已恢复畅通。",
    ],
    "neighbour_dispute": [
        "社区民警会同调解员组织双方调解，已达成书面协议，杂物已清理。",
        "经调解，楼上住户同意维修防水并赔偿损失，双方握手言和。",
    ],
    "family_dispute": [
        "民警及妇联工作人员上门调解，双方情绪稳定，承诺互相体谅。",
        "组织子女召开家庭会议，签订赡养协议，明确每月赡养费用。",
    ],
    "business_dispute": [
        "经调解，商家同意退货并赔偿，双方达成一致。",
        "已引导当事人通过人民调解委员会解决，对方同意分期支付欠款。",
    ],
    "property_dispute": [
        "已约谈物业负责人，电梯已于当日修复，物业承诺完善报修机制。",
        "会同住建部门调解，物业恢复供水供电，双方就欠费问题达成分期协议。",
    ],
    "consultation": ["已电话答复办理地点、所需材料和办理时限。"],
    "consultation_id_card": ["已答复换领材料及办理窗口，诉求人表示清楚。"],
    "consultation_household": ["已答复落户所需材料和办理流程。"],
    "fraud_check": [
        "经核实为诈骗电话，已提醒当事人切勿转账，相关号码已报送反诈中心。",
        "已协助当事人止付，资金冻结成功，已做防范宣传。",
    ],
    "other": [
        "已转告相关部门处理，现场问题已解决，已回复诉求人。",
        "民警已到现场核查并做好登记，加强该区域巡逻。",
    ],
}
GENERIC_RESULTS = ["已核实处理，并向诉求人反馈处理结果。"]
# What a community's mediator or a grid officer reports, for the matters they take.
COMMUNITY_RESULTS = [
    "社区调解员组织双方到调解室面对面协商，达成口头协议，已回复诉求人。",
    "经社区人民调解委员会调解，双方签订调解协议书，约定一周内履行。",
    "调解员会同楼栋长上门了解情况，双方各让一步，矛盾已化解。",
]
GRID_RESULTS = [
    "网格员上门劝导，当事人表示理解并已整改，已回复诉求人。",
    "网格员会同楼栋长现场查看，问题已处理，将持续关注。",
    "网格员已联系物业和当事人，约定整改时限，现已落实。",
]

# Answers given on the phone: a consultation closed on the spot.
ANSWERS: dict[str, list[str]] = {
    "consultation": [
        "已告知：无犯罪记录证明可在户籍所在地派出所办理，携带身份证即可，当场出具。",
        "已告知：居住证凭身份证、租房合同到居住地派出所申领，十五个工作日内发证。",
    ],
    "consultation_id_card": [
        "已告知：换领携带原身份证及户口簿，到县政务服务中心公安窗口或各派出所户籍窗口办理，"
        "工作日九点至十七点。",
        "已告知：遗失补办需本人到场拍照采集指纹，可同时申领临时身份证，约二十个工作日领取。",
    ],
    "consultation_household": [
        "已告知：新生儿落户携带出生医学证明、父母身份证及户口簿，到父母户籍所在地派出所办理。",
        "已告知：户口迁入需携带房产证明、身份证、户口簿，到城关派出所户籍窗口办理。",
    ],
    "fraud_check": [
        "已核实：该电话为冒充客服诈骗，已提醒当事人挂断电话、卸载软件，未造成损失。",
    ],
}

# What the resident said on the follow-up call (回访), by outcome.
VISIT_NOTES: dict[str, list[str]] = {
    "satisfied": [
        "电话回访：群众对处理结果表示满意。",
        "电话回访：群众表示满意，感谢民警及时处理。",
        "回访：诉求已解决，群众满意。",
        "回访：群众称问题已彻底解决，对办理速度表示满意。",
    ],
    "basically_satisfied": [
        "电话回访：群众表示基本满意。",
        "回访：问题基本解决，群众希望后续继续关注。",
        "回访：群众认可处理结果，但认为办理时间稍长。",
    ],
    "dissatisfied": [
        "回访：群众表示问题没有解决，噪音依旧，要求再次处理。",
        "回访：群众称民警未上门核实，只电话了解情况，对处理结果不满意。",
        "回访：对方承诺的赔偿至今未履行，群众不满意，要求督促落实。",
        "回访：群众反映问题反弹，情况与处理前相同，不满意。",
    ],
    "unreachable": [
        "回访：电话无人接听。",
        "回访：对方电话关机。",
        "回访：电话占线，稍后再拨。",
        "回访：来电号码无法接通。",
    ],
}
# What a unit reports the second time, after a dissatisfied call sent the ticket back.
REDO_RESULTS = [
    "按督办要求再次上门核查，已督促当事人整改到位，并当面向诉求人说明处理情况。",
    "会同社区网格员复查，问题已解决，诉求人现场确认。",
    "再次组织双方调解，协议已履行完毕，已回复诉求人。",
]
# The command centre closes a ticket whose resident stays dissatisfied after the redo, once it
# has reviewed that the unit did what it could (the latest call stays dissatisfied).
REVIEW_CLOSE_NOTES = [
    "经指挥中心审核，承办单位已依法依规处理并多次解释，诉求人要求超出政策规定，予以办结。",
    "经审核，该诉求已两次处理到位，诉求人仍不认可，已告知其可通过诉讼途径解决，予以办结。",
    "经指挥中心复核，处理结果符合规定，已向诉求人做好解释说明，予以办结。",
]
# Requests for more time (延期): a unit's reason, the command centre's decision.
EXTENSION_REASONS = [
    "当事人外出务工，需待其返乡后组织双方调解，申请延期。",
    "涉及多方责任认定，需会同住建、市场监管等部门联合核查，申请延期。",
    "需调取监控并走访周边住户核实情况，工作量较大，申请延期。",
    "双方已初步达成意向，赔偿款需分期筹措，申请延期以便跟踪履行。",
]
EXTENSION_APPROVE_NOTES = [
    "同意延期，请在新的期限内办结并及时反馈。",
    "情况属实，同意延期，请加强与诉求人沟通。",
]
EXTENSION_REJECT_NOTES = [
    "该诉求事实清楚，不属于复杂情形，不予延期，请按期办结。",
    "群众反映强烈，不同意延期，请加快办理。",
]
# A supervisor's note on an order issued by hand.
MANUAL_NOTES = [
    "群众反映强烈，请承办单位加快办理，按期反馈。",
    "该诉求涉及老人和儿童安全，请优先办理。",
    "同类问题近期多次反映，请承办单位深入核查、彻底解决。",
]
INVALID_REASONS = [
    "来电无实际诉求，属于无效来电。",
    "重复来电，前单已在办理中。",
    "经核实为误拨，无需处理。",
    "来电人拒绝提供任何信息，无法核实。",
]
RETURN_REASONS = [
    "经核实，事发地属{station}辖区，不属本所管辖，请改派。",
    "该地址在{station}辖区，申请退回重新交办。",
]
