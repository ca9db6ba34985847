"""Load a believable demo district (建安区) and walk its documents through review.

    manage.py load_demo           # does nothing if 建安区 already exists
    manage.py load_demo --reset   # FLUSHES THE WHOLE DATABASE, then loads

Every state change goes through the real services (document_submit,
task_perform with the *_decide services), so the trail, versions, tasks and
due dates are exactly what the web pages would have produced. The documents
end in every Document.Status; each story checks the status it expects.

Filing schedules the approved plan's and proposal's projects; the schedule
then gets the same treatment through schedule.services: change requests
(one filed, so the project shows as 已调整 with its history; one waiting in
the bureau's queue), project log entries, and a spot check drawn with a
fixed seed, one of its projects with findings.

Two schools' teacher rosters come in through the roster import; the
attendance and credit services then run one finished 2024 project
(nominations, confirmation with a waiting list, roll call, closing, which
writes the credits), one current project in December 2026 (an upcoming
session and an approved leave request), a school-based year at 实验小学
(one teacher forfeits it) and a maternity-leave exemption.
"""
import datetime
import io
import unicodedata
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import District, Organisation, User
from accounts.services import user_create
from attendance import services as attendance
from attendance.idcard import check_character
from attendance.models import Attendance, Enrolment, LeaveRequest, ProjectRun, Session, Subject, Teacher
from attendance.roster import roster_import, roster_xlsx
from credits.models import CreditEntry
from credits.services import credit_school_based_year, exemption_add
from plans.models import (
    AnnualPlan, ContentModule, Document, PlannedProject, ProjectProposal, SchoolPlan,
    SchoolPlanYear, SchoolTrainingForm as Form, SchoolTrainingTopic as Topic, TrainingMode as Mode,
)
from plans.services import document_assert_editable, document_submit
from schedule.models import ProjectLogEntry, ScheduleChange, ScheduledProject, SpotCheck
from schedule.services import change_request_submit, log_entry_add, spot_check_draw, spot_check_record
from workflow import services as review
from workflow.models import Decision
from workflow.selectors import task_inbox, task_queue

PASSWORD = "demo12345"

# --- District and organisations ----------------------------------------------

# Henan has no credit rule set among the seed rules (credits/fixtures/credit_rules.json
# holds Hunan's, Gansu's, Shaanxi's, Chaoyang's and Changsha's), so the demo district counts by Hunan's.
DISTRICT = {"name": "建安区", "province": "河南省", "city": "许昌市", "filing_prefix": "建教师备",
            "credit_rule_family": "hunan"}

BUREAU = "建安区教育局"
TRAINING_SCHOOL = "建安区教师进修学校"
EXPERT_POOL = "建安区评审专家库"
SHIYAN = "建安区实验小学"
YIZHONG = "建安区第一初级中学"
SANZHONG = "建安区第三高级中学"
YOUERYUAN = "建安区实验幼儿园"
YULIN = "建安区榆林乡中心小学"
ZHANGPAN = "建安区张潘镇九年一贯制学校"

K, S = Organisation.Kind, Organisation.Stage
ORGANISATIONS = [
    (BUREAU, K.BUREAU, S.NONE),
    (TRAINING_SCHOOL, K.TRAINING_SCHOOL, S.NONE),
    (EXPERT_POOL, K.EXPERT_POOL, S.NONE),
    (SHIYAN, K.SCHOOL, S.PRIMARY),
    (YIZHONG, K.SCHOOL, S.JUNIOR),
    (SANZHONG, K.SCHOOL, S.SENIOR),
    (YOUERYUAN, K.KINDERGARTEN, S.KINDERGARTEN),
    (YULIN, K.SCHOOL, S.PRIMARY),
    (ZHANGPAN, K.SCHOOL, S.NINE_YEAR),
]

# --- Users (username, full name, role, organisation, extra fields) -----------

R = User.Role
USERS = [
    ("jiaoyuju_gu", "顾红梅", R.BUREAU_OFFICER, BUREAU, {"title": "教师工作股股长"}),
    ("jinxiu_peixun", "周文博", R.TRAINING_OFFICER, TRAINING_SCHOOL, {"title": "培训部主任"}),
    ("zhuanjia_li", "李春霞", R.EXPERT, EXPERT_POOL,
     {"title": "正高级教师", "expertise": "小学语文教学、校本研修指导、骨干教师培养"}),
    ("zhuanjia_wang", "王志远", R.EXPERT, EXPERT_POOL,
     {"title": "教研员", "expertise": "初中数学教学与命题研究、课程标准解读"}),
    ("zhuanjia_zhao", "赵红", R.EXPERT, EXPERT_POOL,
     {"title": "副教授", "expertise": "教师教育、学校管理、中小学心理健康教育"}),
    ("shiyan_zhuangan", "刘晓燕", R.SCHOOL_OFFICER, SHIYAN, {}),
    ("shiyan_xiaozhang", "张建华", R.PRINCIPAL, SHIYAN, {}),
    ("shiyan_jiaoshi", "王丽娜", R.TEACHER, SHIYAN, {"title": "小学一级教师"}),
    ("yizhong_zhuangan", "赵明", R.SCHOOL_OFFICER, YIZHONG, {}),
    ("yizhong_jiaoshi", "常晓东", R.TEACHER, YIZHONG, {"title": "中学一级教师"}),
    ("sanzhong_zhuangan", "孙伟", R.SCHOOL_OFFICER, SANZHONG, {}),
    ("youeryuan_zhuangan", "陈静", R.SCHOOL_OFFICER, YOUERYUAN, {}),
    ("yulin_zhuangan", "马国强", R.SCHOOL_OFFICER, YULIN, {}),
    ("zhangpan_zhuangan", "李志刚", R.SCHOOL_OFFICER, ZHANGPAN, {}),
]
ADMIN = ("admin", "系统管理员")

# --- The district annual plan (seed 004) -------------------------------------

ANNUAL_PLAN_SECTIONS = {
    "guiding_ideology": (
        "以习近平新时代中国特色社会主义为指导，以提升教师师德水平、创新精神、业务素养和实践能力为核心，"
        "以主要学科和薄弱学科教师专业能力提升为突破口，以骨干教师建设为重点，按照“打造骨干、推动校本、"
        "覆盖全员、整体提升”的工作思路，统筹安排全区教师继续教育培训。创新培训形式，加大培训力度，"
        "提高培训质量，促进教师不断学习和专业发展，为推进全区教育均衡发展，提高全区教育教学水平，"
        "提供强有力的师资保障，为实现建安区高质量发展作出贡献。"
    ),
    "objectives": (
        "进一步完善教师队伍建设的管理制度和工作机制，围绕“强化师德、提升能力、决战课堂、提高质量”的总体目标，"
        "以提高全体教师师德素养和业务水平为核心，将中小学教师师德教育、心理健康教育、专业课程标准、"
        "信息技术能力提升列入培训必修模块，把薄弱学科培训、教研组长和教学副校长培训、骨干教师培训纳入总体培训项目。"
        "转变培训方式，强化基于教学现场、走进真实课堂等培训环节，打造线上线下研修相结合、虚拟学习和教学实践"
        "相结合的混合培训学习模式，促进教师边学习、边实践、边应用、边提升，努力造就一支师德高尚、业务精湛、"
        "充满活力的高素质专业化教师队伍。"
    ),
    "principles": (
        "坚持“四有好老师”标准，统筹规划、突出重点、按需施训的原则，完善培训机制，创新培训模式，优化培训内容，"
        "改进培训方式，增强培训针对性和实效性；坚持全员培训和骨干研修相结合，远程网络培训和集中培训相结合的原则；"
        "坚持任务驱动贯穿培训始终；坚持长期培养与辐射引领相结合；坚持以校为本，强化校本研修，鼓励创新，"
        "围绕“提质减负、高效课堂”，提高校本研修和课堂教学质量的原则。"
    ),
    "target_audience": "全区在编在职在岗中小学、幼儿园教师及新入职教师。",
    "tasks_and_content": (
        "2024年度计划完成对全区中小学在编在岗教师共计14个培训项目。培训采取线上研修、线下集中培训和外出研修等方式进行，具体项目如下：\n"
        "1.区级中小学、幼儿园骨干教师、名师培训（第四期）：采取线上研修、集中送教专题讲座的培训方式，"
        "加大省、市、区校级骨干教师后备人选的培训，努力构建一支师德高尚、业务精湛、结构合理的骨干教师梯队。\n"
        "2.小学教师学科素养提升培训（语文、数学）：采取同课异构+专家讲座+互动交流的方式，"
        "形成高效的小学语文、数学课堂教学模式。\n"
        "3.初中数学学科教师培养（分阶段培育）：从全区数学学科教师中遴选50名骨干教师进行长期培养，"
        "以专题（至少8个专题）任务驱动为导向，发挥学科骨干教师辐射带动作用。\n"
        "4.高中教师学科素养提升培训（分学科）：采取线下集中和实践性课程相结合、分学科组织的方式，"
        "切实促进“双新”重点难点问题转化落地。\n"
        "5.师德管理者培训：提升各校师德师风建设管理团队工作能力，推动我区师德师风建设制度化、规范化、常态化。\n"
        "6.三名工作室主持人及骨干成员培训：学习外地“三名工作室”经验，培训内容为课题研究、典型经验介绍、"
        "工作室的建设与管理等。\n"
        "7.中小学、幼儿园教师师德师风培训（全员）：采取线上研修和各类培训贯穿的形式，把立德树人作为根本任务。\n"
        "8.中小学思政课教师培训：不断提高中小学思政课教师思想政治素质、师德修养、理论功底和专业素养。\n"
        "9.新招聘教师岗前培训：采取线上研修、线下集中培训形式，努力提高新教师实施素质教育的能力和专业化水平。\n"
        "10.中小学教科研能力提升培训：采取集中培训的方式开展教学副校长、学科教研组长业务提升培训。\n"
        "11.初中学科教师业务提升培训（分学科）：采取集中培训和实践性课程相结合的方式，以实践为导向，提高学生学业水平。\n"
        "12.全区中小学校长业务能力提升培训：采取外出研修、名校考察和集中培训的形式，提升管理能力和管理水平。\n"
        "13.中小学体育、美育教师及社团活动培训：研究高效课堂环境下的体育、美育课堂教学模式，"
        "对学校社团组建、传统文化进校园给予指导。\n"
        "14.中小学及幼儿园教师继续教育岗位培训：按照新一周期继续教育岗位培训要求，完成周期内60学时的培训任务。"
    ),
    "measures": (
        "1.加强理论学习，提升业务能力。区教师进修学校和各校教师教育工作专干要加强教育理论和现代教育技术的学习，"
        "更好地服务于全区中小学教师教育工作。\n"
        "2.开展调查研究，确保培训实效。深入一线，调查研究，了解动态，掌握信息，开发课程，使培训更加切合建安区教育的实际。\n"
        "3.强化过程管理，提高培训质量。严格落实训前调研制度，建立健全培训的各项管理制度，严格过程管理，完善培训档案制度。\n"
        "4.强化服务意识，提升服务水平。在集中培训方面，进一步完善点名制、签到制、考试考核制、训后通报制、"
        "跟踪考核制、学分登记制等制度。\n"
        "5.明确责任主体，强化工作落实。区教体局负责区域全员教师的继续教育工作；区教师进修学校协助做好项目组织实施、"
        "学时登记管理等工作；各中小学校负责校本研修工作。\n"
        "6.加强学时管理，督促教师学习。教师继续教育学时作为教师年度考核、专业技术职务评聘及教师资格认定注册重要条件之一。"
    ),
    "implementation_steps": (
        "（一）启动阶段（2024年4月底前）：认真做好有关文件精神的学习与宣传，搞好调研，制定培训规划、实施细则和管理措施。\n"
        "（二）全面实施阶段（2024年5月-2024年底）：从全区学校实际出发，分期分批，逐步展开培训活动，"
        "加强对实践课及校本培训的指导。\n"
        "（三）评估验收阶段（2024年底）：每期培训结束开展学习档案资料整理及学时录入；追踪问效，专业指导；"
        "对培训实施过程中出现的问题进行自查自评并提出解决方案。"
    ),
    "organisational_support": (
        "成立建安区中小学、幼儿园教师继续教育培训工作领导小组，负责本规划的实施推进、政策制定、研究指导、"
        "资源整合和评估监控，分析和解决教师队伍建设中的重大问题，创建规范有序、优质高效的管理体制和工作机制，"
        "保证规划各项工作的落实。"
    ),
}

ALL_STAFF = None  # 全员
ONLINE = "线上"
# 培训工作安排表: (序号, 名称, 人数, 方式, 月份, 地点). The seed leaves 地点 blank.
# Mapped modes: 同课异构 → practice; 任务驱动/成果展示 → concentrated;
# 线下送教 → outreach. 项目3 runs 全年; its month is the 4月 start.
PLANNED_PROJECTS = [
    (1, "区级中小学骨干教师、名师培训（第四期）", 300, [Mode.ONLINE, Mode.OUTREACH], 4, "线上、各乡镇中心学校"),
    (2, "小学教师学科素养提升培训（语文、数学）", 400, [Mode.CONCENTRATED, Mode.PRACTICE], 4, TRAINING_SCHOOL),
    (3, "初中数学学科教师培养（分阶段培育）", 50, [Mode.CONCENTRATED], 4, TRAINING_SCHOOL),
    (4, "高中教师学科素养提升培训（分学科）", 400, [Mode.CONCENTRATED], 4, TRAINING_SCHOOL),
    (5, "师德师风建设管理团队专项培训", 200, [Mode.CONCENTRATED], 5, TRAINING_SCHOOL),
    (6, "三名工作室主持人及骨干成员培训", 60, [Mode.CONCENTRATED, Mode.AWAY], 5, TRAINING_SCHOOL),
    (7, "中小学、幼儿园教师师德师风培训（全员）", ALL_STAFF, [Mode.ONLINE], 7, ONLINE),
    (8, "中小学思政课教师培训", 150, [Mode.ONLINE, Mode.CONCENTRATED], 8, TRAINING_SCHOOL),
    (9, "新招聘教师岗前培训", 120, [Mode.CONCENTRATED], 8, TRAINING_SCHOOL),  # 约120人
    (10, "学科教研组长、教学副校长业务提升培训", 200, [Mode.CONCENTRATED], 9, TRAINING_SCHOOL),
    (11, "初中学科教师业务提升培训", 600, [Mode.CONCENTRATED], 10, TRAINING_SCHOOL),
    (12, "全区中小学校长业务能力提升培训班", 95, [Mode.CONCENTRATED, Mode.AWAY], 10, TRAINING_SCHOOL),
    (13, "中小学体育、美育教师及社团活动培训", 200, [Mode.CONCENTRATED, Mode.PRACTICE], 11, TRAINING_SCHOOL),
    (14, "中小学及幼儿园教师继续教育岗位培训", ALL_STAFF, [Mode.ONLINE], 10, ONLINE),
]

# --- School-based plans (seed 003) -------------------------------------------

SCHOOL_PLAN_SIGNIFICANCE = (
    "为了提高教师综合素质，从而提高学校教育教学质量，根据《建安区2024年教师培训工作计划》精神，结合学校实际，制定本方案。"
    "有计划地开展校本培训，对于深化教师培训改革，强化教师终身学习意识，提高教师实施素质教育的水平，"
    "促进教育教学改革与发展都具有重要意义。"
)
SCHOOL_PLAN_OBJECTIVES = (
    "1.目标：强化教师终身学习意识，培养自觉学习的良好习惯，倡导“学习、实践、研究”的学习方式，"
    "促进新理念、新技能、新方法与教育教学实践的有机结合，充分发挥校内骨干教师的作用，加强培训资源的整合，"
    "优势互补、共同提高。\n"
    "2.任务：每学年至少开展一个科目（专题）的培训，每位教师每学年至少参加一个科目（项目）的校本培训，"
    "学习时间累计不少于60个学时。校本培训纳入各教师的年终综合考核，并与履职晋级考核挂钩。"
)
_ASSESSMENT_ITEMS = [
    "学校将校本培训纳入期末和年终履职考核，并与晋升、评优、评先进挂钩。",
    "每年度培训完毕，由领导组对教师个人进行考核鉴定，对培训合格者，报请区教师进修学校复核鉴定后，认定相应学分。",
    "每位教师每学年初必须制定个人参加培训的年度计划和学习计划，每月必须记2—3篇读书笔记，每篇不少于300字。",
    "女教师在当年12月底年满50周岁，男教师年满55周岁，只参加培训，不考核。",
]
_ATTENDANCE_ITEM = (
    "学校将校本培训纳入教师的考勤管理，对擅自不参加学习培训者，由领导组打好考勤，一个学期计算一次，"
    "若累计缺席5个学时以上，学校不认定当年度学分。"
)


def _numbered(items):
    return "\n".join(f"{n}.{item}" for n, item in enumerate(items, 1))


SCHOOL_PLAN_ASSESSMENT = _numbered([_ATTENDANCE_ITEM] + _ASSESSMENT_ITEMS)
# 实验小学's first version forgot the attendance rule; the reviewer returns it.
SCHOOL_PLAN_ASSESSMENT_V1 = _numbered(_ASSESSMENT_ITEMS)

# Five school-year blocks from 2024: (content, forms); 60 hours each.
SCHOOL_PLAN_YEARS = [
    ("政治理论、教育政策法规、师德师风、现代教育理论、书法等。",
     "自学反思式、校长讲座式、专家辅导式、读书笔记式、小组研究式"),
    ("教育教学技能、书法等。", "专家辅导式、观摩交流式、自学反思式、读书笔记式、课题研究式"),
    ("现代教育技术、学科知识等。", "自学反思式、课题研究式、以课代研式、专家引领式"),
    ("课题研究、论文写作、教学评价等。", "自学反思式、读书笔记式、听课记录评价式、观摩交流式、主题研究式、研究报告式"),
    ("经验交流、考察实践、课改实验等。", "专题讲座式、自学反思式、骨干示范式、结对帮扶式、课题研究式、听课评价式"),
]
KINDERGARTEN_PLAN_YEARS = [
    ("师德师风、《3-6岁儿童学习与发展指南》解读、幼儿园教育政策法规等。", "专题讲座式、自学反思式、读书笔记式"),
    ("幼儿园一日生活组织与保育教育技能等。", "观摩交流式、专家辅导式、以课代研式"),
    ("游戏活动设计与观察记录、现代教育技术等。", "课例分析式、自学反思式、课题研究式"),
    ("家园共育、幼儿心理健康教育、保育教育质量评价等。", "专题讲座式、结对帮扶式、研究报告式"),
    ("经验交流、考察实践、园本课程建设等。", "骨干示范式、观摩考察式、听课评价式"),
]
ALL_FORMS = [f.value for f in Form]
ALL_TOPICS = [t.value for t in Topic]


def _office(director, deputy, members):
    return f"领导组下设办公室：办公室主任由{director}兼任，副主任由{deputy}兼任并负责联络与材料归档。\n成员：{members}"


def _school_plan(school, author, leader, deputies, members, office, **overrides):
    spec = {
        "kind": Document.Kind.SCHOOL_PLAN, "organisation": school, "author": author, "year": 2024,
        "title": f"{school}2024年校本培训实施方案",
        "significance": SCHOOL_PLAN_SIGNIFICANCE, "objectives": SCHOOL_PLAN_OBJECTIVES,
        "hours_per_teacher": 60, "group_leader": leader, "group_deputies": deputies,
        "group_members": members, "office": office, "forms": ALL_FORMS, "topics": ALL_TOPICS,
        "assessment": SCHOOL_PLAN_ASSESSMENT, "annual_budget": Decimal("5500"),
        "years": SCHOOL_PLAN_YEARS,
    }
    spec.update(overrides)
    return spec


# --- Project proposals --------------------------------------------------------

def _proposal(organisation, author, title, **fields):
    return {"kind": Document.Kind.PROJECT_PROPOSAL, "organisation": organisation, "author": author,
            "year": 2024, "title": title, "organiser": organisation, **fields}


M = ContentModule

# --- All demo documents, by key -----------------------------------------------

DOCUMENTS = {
    "annual_plan": {
        "kind": Document.Kind.ANNUAL_PLAN, "organisation": TRAINING_SCHOOL, "author": "jinxiu_peixun",
        "year": 2024, "title": "建安区2024年教师培训工作计划",
        "sections": ANNUAL_PLAN_SECTIONS, "projects": PLANNED_PROJECTS,
    },
    "shiyan_plan": _school_plan(
        SHIYAN, "shiyan_zhuangan", "张建华（校长）", "李海燕（副校长）、王志强（教导主任）",
        "刘晓燕、赵春梅、孙丽娟、周建军、吴慧敏",
        _office("李海燕", "刘晓燕", "陈雪、杨帆、郭艳丽、许文静、马超"),
        assessment=SCHOOL_PLAN_ASSESSMENT_V1,
    ),
    "yizhong_plan": _school_plan(
        YIZHONG, "yizhong_zhuangan", "冯国庆（校长）", "韩雪梅（副校长）",
        "赵明、褚红伟、蒋丽、沈建新、常晓东",
        _office("韩雪梅", "赵明", "高艳、曹永辉、邵丹、彭亚楠"),
    ),
    "sanzhong_plan": _school_plan(
        SANZHONG, "sanzhong_zhuangan", "郑宏伟（校长）", "范文斌（副校长）、袁丽（教务主任）",
        "孙伟、段永刚、牛晓红、贾鹏飞、岳海涛",
        _office("范文斌", "孙伟", "崔璐、齐海波、钟晓萌、任建伟"),
        annual_budget=Decimal("8000"),
    ),
    "youeryuan_plan": _school_plan(
        YOUERYUAN, "youeryuan_zhuangan", "宋佳（园长）", "田慧（副园长）",
        "陈静、白雪、邢雅琪、吕娜、潘媛媛",
        _office("田慧", "陈静", "付晓雨、魏佳、谢婷婷"),
        forms=[Form.LECTURE, Form.SELF_STUDY, Form.CASE_STUDY, Form.MODEL_LESSON, Form.PEER_SUPPORT,
               Form.OBSERVATION, Form.READING_NOTES],
        topics=[Topic.ETHICS, Topic.EDUCATION_THEORY, Topic.TEACHING_METHODS,
                Topic.EDUCATION_TECHNOLOGY, Topic.EVALUATION],
        annual_budget=Decimal("4000"), years=KINDERGARTEN_PLAN_YEARS,
    ),
    "yulin_plan": _school_plan(
        YULIN, "yulin_zhuangan", "杨保国（校长）", "耿红军（副校长）",
        "马国强、闫秀珍、裴东升、葛丽萍、卢新民",
        _office("耿红军", "马国强", "姚春燕、康乐、武晓辉"),
    ),
    "jinxiu_newteachers": _proposal(
        TRAINING_SCHOOL, "jinxiu_peixun", "建安区2024年新招聘教师岗前培训项目",
        target_group="2024年新招聘中小学、幼儿园教师", headcount=120,
        modes=[Mode.CONCENTRATED, Mode.ONLINE], start_month=8, end_month=8, location=TRAINING_SCHOOL,
        hours=40, content_modules=[M.ETHICS, M.CLASS_MANAGEMENT, M.PROFESSIONAL_DEVELOPMENT, M.MENTAL_HEALTH],
        budget=Decimal("36000"),
        design=(
            "一、项目背景：认真贯彻落实《河南省教育厅办公室关于加强基础教育教师继续教育有关工作的通知》"
            "（教办师〔2023〕379号）精神，根据建安区教体局新教师培训工作的部署实施。\n"
            "二、培训目标：坚持以加强教师职业道德和新课程理念建设为核心，努力提高新教师实施素质教育的能力和专业化水平。\n"
            "三、课程安排：新时期教师职业道德修养、教师专业成长专题、实践性课堂教学现场、中小学教育教学常规及教学技能、"
            "教师心理健康及与学生的有效沟通、学生伤害事故的预防及处理策略、教育政策法规及依法执教。\n"
            "四、考核评价：实行点名制、签到制，训后提交培训体会一篇，考核合格者登记40学时。"
        ),
    ),
    "shiyan_young_teachers": _proposal(
        SHIYAN, "shiyan_zhuangan", "实验小学青年教师课堂教学基本功提升项目",
        target_group="本校入职五年内青年教师", headcount=45,
        modes=[Mode.CONCENTRATED, Mode.PRACTICE], start_month=9, end_month=12,
        location="建安区实验小学录播教室", hours=24,
        content_modules=[M.SUBJECT_TEACHING, M.PROFESSIONAL_DEVELOPMENT], budget=Decimal("8000"),
        design=(
            "一、培训目标：夯实青年教师“三字一话”、教学设计和课堂组织等基本功。\n"
            "二、培训内容：新课标下的教学设计、课堂提问与评价、板书设计、粉笔字和普通话训练。\n"
            "三、培训方式：骨干教师示范课、青年教师汇报课、同课异构与集体评课。"
        ),
    ),
    "yizhong_math": _proposal(
        YIZHONG, "yizhong_zhuangan", "初中数学单元整体教学设计校本研修项目",
        target_group="本校数学、物理学科教师", headcount=36,
        modes=[Mode.CONCENTRATED, Mode.ONLINE], start_month=10, end_month=11,
        location=YIZHONG, hours=30,
        content_modules=[M.SUBJECT_TEACHING, M.EDUCATION_TECHNOLOGY], budget=Decimal("12000"),
        design=(
            "一、项目背景：结合区级“初中学科教师业务提升培训”，以实践为导向提升学科教师场景教学能力。\n"
            "二、培训内容：课程标准解读、单元整体教学设计、基于集体备课的教师学习共同体建设、命题研究。\n"
            "三、实施方式：专家讲座4次、同课异构2轮、线上研修12学时，训后每人提交单元教学设计一份。"
        ),
    ),
    "yulin_study_trip": _proposal(
        YULIN, "yulin_zhuangan", "乡村小学教师赴外地名校跟岗研修项目",
        target_group="本校语文、数学骨干教师", headcount=20,
        modes=[Mode.AWAY, Mode.SHADOWING], start_month=11, end_month=11,
        location="上海市", hours=40,
        content_modules=[M.SUBJECT_TEACHING, M.PROFESSIONAL_DEVELOPMENT], budget=Decimal("86000"),
        design=(
            "组织20名骨干教师赴上海市名校跟岗研修一周，观摩课堂教学，学习学校管理和校本研修经验，"
            "返校后每人上一节汇报课。"
        ),
    ),
    "zhangpan_it": _proposal(
        ZHANGPAN, "zhangpan_zhuangan", "张潘镇九年一贯制学校信息技术应用能力提升2.0整校推进项目",
        target_group="全校在岗教师", headcount=68,
        modes=[Mode.ONLINE, Mode.PRACTICE], start_month=9, end_month=12,
        location=ZHANGPAN, hours=12,
        content_modules=[M.EDUCATION_TECHNOLOGY], budget=Decimal("6000"),
        design=(
            "一、培训内容：希沃白板、问卷星、剪映等常用软件操作。\n"
            "二、培训方式：线上学习微课，学校机房集中练习。\n"
            "三、考核：每人提交一份课件作品。"
        ),
    ),
    # The current project (December 2026), run in the attendance part below.
    "jinxiu_ai_2026": _proposal(
        TRAINING_SCHOOL, "jinxiu_peixun", "建安区2026年中小学教师人工智能教育应用能力提升培训",
        year=2026, target_group="全区中小学各学科教师（每校选派）", headcount=120,
        modes=[Mode.CONCENTRATED, Mode.PRACTICE], start_month=12, end_month=12,
        location=TRAINING_SCHOOL, hours=24,
        content_modules=[M.EDUCATION_TECHNOLOGY, M.SUBJECT_TEACHING, M.ETHICS], budget=Decimal("30000"),
        design=(
            "一、项目背景：落实教育部关于加强中小学人工智能教育的部署和《教师数字素养》教育行业标准，"
            "提升全区教师运用人工智能工具开展教学设计、学情分析和作业辅导的能力。\n"
            "二、培训内容：生成式人工智能的基本原理、安全与伦理规范；AI辅助教学设计与课件制作；"
            "智能学情分析与分层作业设计；人工智能与学科教学融合课例研讨。\n"
            "三、培训方式：专家讲座与机房实操相结合，分学段组织课例研讨，每位学员现场完成一份AI辅助教学设计。\n"
            "四、考核评价：实行签到制，出勤率不低于80%并提交教学设计作品者登记24学时。"
        ),
    ),
}

# --- Stories: the steps each document goes through, and where it ends ---------
# A step is (action, username, arguments); actions are the STEPS below.

A, D = Document.Status, Decision
STORIES = [
    ("annual_plan", A.APPROVED, [
        ("submit", "jinxiu_peixun", {}),
        ("initial_review", "jiaoyuju_gu", {
            "decision": D.APPROVE, "comment": "计划结构完整，项目安排符合全区实际，提交专家会审。",
            "experts": ["zhuanjia_li", "zhuanjia_wang", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_li", {
            "opinion": D.AGREE, "score": 95,
            "comment": "培训项目覆盖全员与骨干，分层分类清晰，同意。"}),
        ("expert_review", "zhuanjia_wang", {
            "opinion": D.AGREE_WITH_CHANGES, "score": 90,
            "comment": "第3项“初中数学学科教师培养”为全年项目，建议在实施中明确各阶段时间节点和成果要求。"}),
        ("expert_review", "zhuanjia_zhao", {
            "opinion": D.AGREE, "score": 92,
            "comment": "师德师风与心理健康教育列入必修模块，符合课程指导标准要求，同意。"}),
        ("filing", "jiaoyuju_gu", {"decision": D.APPROVE, "comment": "同意备案，请按计划组织实施。"}),
    ]),
    ("jinxiu_newteachers", A.APPROVED, [
        ("submit", "jinxiu_peixun", {}),
        ("initial_review", "jiaoyuju_gu", {
            "decision": D.APPROVE, "experts": ["zhuanjia_li", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_li", {
            "opinion": D.AGREE, "score": 91, "comment": "课程设置贴近新教师需求，同意。"}),
        ("expert_review", "zhuanjia_zhao", {
            "opinion": D.AGREE, "score": 89, "comment": "建议增加班主任工作实务案例研讨。"}),
        ("filing", "jiaoyuju_gu", {"decision": D.APPROVE}),
    ]),
    # Returned at initial review, revised, resubmitted as version 2, then filed.
    ("shiyan_plan", A.APPROVED, [
        ("submit", "shiyan_zhuangan", {}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.RETURN,
            "comment": "“管理与考核”未写明考勤和缺勤学分认定办法，请参照区进修学校要求补充后重新提交。"}),
        ("revise", "shiyan_zhuangan", {"assessment": SCHOOL_PLAN_ASSESSMENT}),
        ("resubmit", "shiyan_zhuangan", {"comment": "已在“管理与考核”第1条补充考勤及学分认定办法。"}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.APPROVE, "comment": "修改到位。", "experts": ["zhuanjia_li", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_li", {
            "opinion": D.AGREE, "score": 90, "comment": "五年规划层次清楚，形式多样，同意。"}),
        ("expert_review", "zhuanjia_zhao", {
            "opinion": D.AGREE_WITH_CHANGES, "score": 86,
            "comment": "建议第三学年增加信息技术与学科融合的课例研究。"}),
        ("filing", "jiaoyuju_gu", {"decision": D.APPROVE}),
    ]),
    ("youeryuan_plan", A.FILING, [
        ("submit", "youeryuan_zhuangan", {}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.APPROVE, "experts": ["zhuanjia_li", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_li", {
            "opinion": D.AGREE, "score": 88, "comment": "紧扣《指南》，符合幼儿园教师专业发展需要。"}),
        ("expert_review", "zhuanjia_zhao", {
            "opinion": D.AGREE, "score": 87, "comment": "同意。"}),
    ]),
    ("sanzhong_plan", A.EXPERT_REVIEW, [
        ("submit", "sanzhong_zhuangan", {}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.APPROVE, "experts": ["zhuanjia_wang", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_wang", {
            "opinion": D.AGREE_WITH_CHANGES, "score": 85,
            "comment": "建议结合“双新”要求，在第一、二学年增加新课程新教材单元教学设计内容。"}),
    ]),
    ("yizhong_plan", A.RETURNED, [
        ("submit", "yizhong_zhuangan", {}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.RETURN,
            "comment": "五年规划各学年内容与形式雷同，未体现初中学科教学特点；请结合区级“初中学科教师业务提升培训”"
                       "细化各学年培训内容，并补充经费使用计划。"}),
    ]),
    ("zhangpan_it", A.RETURNED, [
        ("submit", "zhangpan_zhuangan", {}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.APPROVE, "experts": ["zhuanjia_wang", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_wang", {
            "opinion": D.AGREE_WITH_CHANGES, "score": 75, "comment": "建议补充训后跟踪与应用考核方案。"}),
        ("expert_review", "zhuanjia_zhao", {
            "opinion": D.DISAGREE, "score": 58,
            "comment": "课程偏重软件操作，缺少与学科教学融合的实践环节；12学时不足以完成整校推进任务，请修改后再报。"}),
    ]),
    ("yulin_plan", A.INITIAL_REVIEW, [
        ("submit", "yulin_zhuangan", {}),
    ]),
    ("yizhong_math", A.INITIAL_REVIEW, [
        ("submit", "yizhong_zhuangan", {}),
        ("claim", "jinxiu_peixun", {}),
    ]),
    ("yulin_study_trip", A.REJECTED, [
        ("submit", "yulin_zhuangan", {}),
        ("initial_review", "jinxiu_peixun", {
            "decision": D.REJECT,
            "comment": "项目预算8.6万元远超学校年度培训经费，且与区级“三名工作室”外出研修项目重复，不予通过。"
                       "建议选派教师参加区级项目。"}),
    ]),
    ("shiyan_young_teachers", A.DRAFT, []),
    ("jinxiu_ai_2026", A.APPROVED, [
        ("submit", "jinxiu_peixun", {}),
        ("initial_review", "jiaoyuju_gu", {
            "decision": D.APPROVE, "experts": ["zhuanjia_wang", "zhuanjia_zhao"]}),
        ("expert_review", "zhuanjia_wang", {
            "opinion": D.AGREE, "score": 90, "comment": "内容紧扣教学实际，实操环节充分，同意。"}),
        ("expert_review", "zhuanjia_zhao", {
            "opinion": D.AGREE_WITH_CHANGES, "score": 88,
            "comment": "建议增加学生使用人工智能的规范与数据安全内容。"}),
        ("filing", "jiaoyuju_gu", {"decision": D.APPROVE, "comment": "同意备案，请于12月组织实施。"}),
    ]),
]

# --- The 2024 schedule: change requests, project log, spot check ---------------
# Projects are the annual plan's rows, by name (PLANNED_PROJECTS).

P_PRIMARY = "小学教师学科素养提升培训（语文、数学）"
P_ETHICS_MANAGERS = "师德师风建设管理团队专项培训"
P_NEW_TEACHERS = "新招聘教师岗前培训"
P_JUNIOR = "初中学科教师业务提升培训"
P_ARTS_PE = "中小学体育、美育教师及社团活动培训"

# 调整报批: (project, author, request fields, expected status, review steps).
# Change requests skip expert review (ReviewRoute.DEFAULT_EXPERT_REVIEW), and
# the training school's own go to the bureau for 初审 as well as 备案.
CHANGE_REQUESTS = [
    (P_JUNIOR, "jinxiu_peixun", {
        "new_start_month": 11, "new_end_month": 11, "new_location": YIZHONG,
        "reason": (
            "原定10月举办，与10月下旬全区初中期中教学质量检测时间冲突，参训教师难以集中脱岗；"
            "同时区教师进修学校报告厅10月进行改造维修，无法容纳600人分学科集中培训。"
            "经与各初级中学协商，拟将培训调整至11月举办，地点改在建安区第一初级中学"
            "（可同时开放学科教室用于分学科实践课），培训内容、人数和学时不变。"
        )}, A.APPROVED, [
        ("initial_review", "jiaoyuju_gu", {
            "decision": D.APPROVE, "comment": "调整理由充分，不影响全年培训任务完成，同意。"}),
        ("filing", "jiaoyuju_gu", {
            "decision": D.APPROVE, "comment": "同意调整，请及时通知各初级中学并做好场地和安全保障。"}),
    ]),
    (P_ARTS_PE, "jinxiu_peixun", {
        "new_headcount": 240,
        "reason": (
            "各校报名踊跃，乡镇学校兼任体育、音乐、美术课的教师也要求参训，"
            "拟将参训人数由200人增至240人，分两个班实施，时间、地点不变。"
        )}, A.INITIAL_REVIEW, []),
]

# 项目日志: (project, author, [(kind, date, text), ...]); a "closed" entry
# finishes the project.
L = ProjectLogEntry.Kind
PROJECT_LOG = [
    (P_PRIMARY, "jinxiu_peixun", [
        (L.OPENED, datetime.date(2024, 4, 15),
         "在区教师进修学校举行开班仪式，语文、数学两个学科共到训398人，区教体局教师工作股到会讲话。"),
        (L.SESSION, datetime.date(2024, 4, 17),
         "语文组围绕“大单元教学”开展同课异构，两位骨干教师执教《黄山奇石》，专家现场点评并组织互动交流。"),
        (L.SESSION, datetime.date(2024, 4, 24),
         "数学组开展“计算教学中的说理”专题讲座和同课异构，参训教师分组研讨并提交教学反思。"),
        (L.CLOSED, datetime.date(2024, 4, 30),
         "培训结业，训后作业收齐，考核合格395人，学时已录入继续教育管理系统，培训档案已归档。"),
    ]),
    (P_ETHICS_MANAGERS, "jinxiu_peixun", [
        (L.OPENED, datetime.date(2024, 5, 13), "开班，全区各校师德师风建设分管领导和专干共196人参训。"),
        (L.SESSION, datetime.date(2024, 5, 14),
         "邀请市教育局专家解读《新时代中小学教师职业行为十项准则》，并分析近年师德失范典型案例。"),
    ]),
    (P_NEW_TEACHERS, "jinxiu_peixun", [
        (L.OPENED, datetime.date(2024, 8, 19), "新招聘教师岗前培训开班，应到118人，实到106人。"),
        (L.SESSION, datetime.date(2024, 8, 20),
         "开展“新时期教师职业道德修养”专题讲座和中小学教学常规培训，安排实验小学骨干教师现场示范课。"),
        (L.PROBLEM, datetime.date(2024, 8, 20),
         "受连日降雨影响，榆林乡、张潘镇12名新教师未能按时到训；已安排线上补学相关专题，"
         "并请所在学校于开学前组织补签到和考核。"),
    ]),
]

# 抽查: drawn by the bureau with a fixed seed, so the sample is the same on
# every load; findings go to the drawn projects listed here.
SPOT_CHECK = {
    "user": "jiaoyuju_gu", "year": 2024, "seed": 20240601,
    "findings": {
        P_PRIMARY: (
            "查阅开班通知、签到表、课程表和学时登记，培训按计划实施，档案齐全；"
            "数学组有2名教师未提交训后教学反思，已要求区教师进修学校督促补交。"
        ),
    },
}


# --- Teachers, attendance and credits (attendance and credits apps) ------------

# 教师花名册, imported as each school would: (name, gender, birth date, subject,
# professional title, new teacher). "This year" is 2026: 赵春梅 turns 50 and
# 沈建新 is 56, so both attend but are not assessed; 陈雪 and 彭亚楠 joined in
# 2024 (新招聘教师) and are still new teachers.
FEMALE, MALE = Teacher.Gender.FEMALE, Teacher.Gender.MALE
TEACHERS = {
    SHIYAN: [
        ("王丽娜", FEMALE, datetime.date(1988, 6, 14), Subject.CHINESE, "小学一级教师", False),
        ("赵春梅", FEMALE, datetime.date(1976, 9, 3), Subject.CHINESE, "小学高级教师", False),
        ("周建军", MALE, datetime.date(1979, 11, 21), Subject.MATHS, "小学高级教师", False),
        ("孙丽娟", FEMALE, datetime.date(1983, 2, 17), Subject.MATHS, "小学一级教师", False),
        ("吴慧敏", FEMALE, datetime.date(1991, 4, 9), Subject.ENGLISH, "小学一级教师", False),
        ("郭艳丽", FEMALE, datetime.date(1986, 8, 30), Subject.SCIENCE, "小学一级教师", False),
        ("杨帆", MALE, datetime.date(1995, 12, 2), Subject.PE, "小学二级教师", False),
        ("陈雪", FEMALE, datetime.date(2002, 3, 15), Subject.CHINESE, "", True),
    ],
    YIZHONG: [
        ("沈建新", MALE, datetime.date(1970, 5, 12), Subject.PHYSICS, "中学高级教师", False),
        ("褚红伟", MALE, datetime.date(1981, 10, 6), Subject.MATHS, "中学高级教师", False),
        ("蒋丽", FEMALE, datetime.date(1985, 1, 23), Subject.CHINESE, "中学一级教师", False),
        ("常晓东", MALE, datetime.date(1989, 7, 19), Subject.ENGLISH, "中学一级教师", False),
        ("邵丹", FEMALE, datetime.date(1993, 3, 28), Subject.MORALITY, "中学二级教师", False),
        ("彭亚楠", FEMALE, datetime.date(2001, 9, 14), Subject.HISTORY, "", True),
    ],
}
ID_AREA_CODE = "411003"  # 河南省许昌市建安区
# Demo teachers who have a login (Teacher.user): teacher name → username.
TEACHER_LOGINS = {"王丽娜": "shiyan_jiaoshi", "常晓东": "yizhong_jiaoshi"}

AS = Attendance.Status
P_SUBJECT_LEADERS = "学科教研组长、教学副校长业务提升培训"

# A finished 2024 project of the annual plan, open to every stage, so both
# schools send their 教研组长. Its places are cut to the demo's two schools
# (6, at most 4 a school) so the last nominee lands on the waiting list. One
# session is drafted from the schedule (sessions_generate); the organiser adds
# the other two on the project page. Roll calls list who was not simply
# present; 蒋丽 misses two of three sessions, below the 80% needed, so
# closing the project gives her a zero credit entry that says why.
FINISHED_PROJECT = {
    "project": P_SUBJECT_LEADERS, "organiser": "jinxiu_peixun",
    "run": {"quota": 6, "per_school_quota": 4, "min_attendance_percent": 80},
    "nominations": [
        ("shiyan_zhuangan", ["赵春梅", "周建军", "孙丽娟", "郭艳丽"]),
        ("yizhong_zhuangan", ["褚红伟", "蒋丽", "常晓东"]),
    ],
    "waitlisted": ["常晓东"],
    "hours_per_day": 6,
    "added_sessions": [
        # (topic, date, start, end, hours)
        ("校本教研活动的设计与组织", datetime.date(2024, 9, 11), datetime.time(9, 0), datetime.time(16, 0), 6),
        ("课堂观察与评课议课实务", datetime.date(2024, 9, 12), datetime.time(8, 30), datetime.time(11, 30), 3),
    ],
    "roll_calls": [{"周建军": AS.LATE}, {"蒋丽": AS.ABSENT}, {"蒋丽": AS.ABSENT}],
    "failed": ["蒋丽"],
    "log": [
        (L.OPENED, datetime.date(2024, 9, 10),
         "在区教师进修学校开班，全区中小学学科教研组长、教学副校长参训，区教体局教师工作股到会讲话。"),
        (L.SESSION, datetime.date(2024, 9, 11),
         "市教科所专家讲解教研组工作计划制定和主题教研流程，各组现场设计一次校本教研活动方案并交流。"),
        (L.CLOSED, datetime.date(2024, 9, 12),
         "培训结业，考勤已汇总，学分按出勤登记；1名学员两次缺勤，出勤率未达80%，不予登记学分。"),
    ],
}

# The current project (the demo's "today" is late November 2026): confirmed
# places, sessions drafted for December, and 常晓东's approved leave. 王丽娜
# is on the roster with sessions ahead, so she can ask for leave herself.
CURRENT_PROJECT = {
    "project": "建安区2026年中小学教师人工智能教育应用能力提升培训", "organiser": "jinxiu_peixun",
    "nominations": [
        ("shiyan_zhuangan", ["王丽娜", "吴慧敏", "陈雪"]),
        ("yizhong_zhuangan", ["常晓东", "彭亚楠"]),
    ],
    "hours_per_day": 6,
    # (teacher's username, session number, reason, school officer, approve)
    "leave": [
        ("yizhong_jiaoshi", 3,
         "当天须带学生参加许昌市初中英语口语展示活动（市教研室通知），申请请假一天，缺课内容线上补学。",
         "yizhong_zhuangan", True),
    ],
}
# Leave must be asked before the session starts: it is asked at the demo's
# "today", or now if the clock is earlier.
DEMO_NOW = datetime.datetime(2026, 11, 23, 9, 0)

# 实验小学's school-based training for its approved 2024 plan (2024 year block:
# 师德师风、政策法规、书法), entered from the paper sign-in sheets. 杨帆 misses
# 2 × 2.5 hours in the autumn semester: 5 hours forfeits the year's credit.
SCHOOL_BASED = {
    "school": SHIYAN, "officer": "shiyan_zhuangan", "year": 2024, "place": "实验小学三楼会议室",
    "sessions": [
        ("师德专题：《新时代中小学教师职业行为十项准则》学习与案例研讨", datetime.date(2024, 9, 25)),
        ("政策法规：《未成年人保护法》与依法执教", datetime.date(2024, 10, 23)),
        ("书法基本功：粉笔字与硬笔书法训练", datetime.date(2024, 11, 27)),
    ],
    "start": datetime.time(14, 30), "end": datetime.time(17, 0), "hours": Decimal("2.5"),
    "roll_calls": [{}, {"杨帆": AS.ABSENT}, {"杨帆": AS.ABSENT, "陈雪": AS.LATE}],
    "forfeited": ["杨帆"],
}

# 产假: an approved semester of leave counts towards the yearly minimum.
EXEMPTIONS = [
    ("邵丹", datetime.date(2026, 2, 1), "产假（2025—2026学年第二学期），经学校审核、区教体局批准"),
]


# --- Building -----------------------------------------------------------------

def _save(obj):
    obj.full_clean()
    obj.save()
    return obj


def create_organisations() -> dict[str, Organisation]:
    district = _save(District(**DISTRICT))
    return {
        name: _save(Organisation(district=district, name=name, kind=kind, stage=stage))
        for name, kind, stage in ORGANISATIONS
    }


def create_users(orgs) -> dict[str, User]:
    users = {
        username: user_create(username=username, password=PASSWORD, full_name=full_name, role=role,
                              organisation=orgs[org], **extra)
        for username, full_name, role, org, extra in USERS
    }
    username, full_name = ADMIN
    User.objects.create_superuser(username, password=PASSWORD, full_name=full_name)
    return users


def create_document(spec, orgs, users) -> Document:
    document = _save(Document(
        kind=spec["kind"], organisation=orgs[spec["organisation"]], year=spec["year"],
        title=spec["title"], created_by=users[spec["author"]],
    ))
    DETAIL_BUILDERS[spec["kind"]](document, spec)
    return document


def _build_annual_plan(document, spec):
    plan = _save(AnnualPlan(document=document, **spec["sections"]))
    for sequence, name, headcount, modes, month, location in spec["projects"]:
        _save(PlannedProject(
            plan=plan, sequence=sequence, name=name, headcount=headcount,
            all_staff=headcount is ALL_STAFF, modes=[str(m) for m in modes], month=month, location=location,
        ))


def _build_school_plan(document, spec):
    fields = ["significance", "objectives", "hours_per_teacher", "group_leader", "group_deputies",
              "group_members", "office", "assessment", "annual_budget"]
    plan = _save(SchoolPlan(
        document=document, forms=[str(f) for f in spec["forms"]], topics=[str(t) for t in spec["topics"]],
        **{f: spec[f] for f in fields},
    ))
    for offset, (content, forms) in enumerate(spec["years"]):
        _save(SchoolPlanYear(plan=plan, start_year=document.year + offset, content=content,
                             forms=forms, hours=spec["hours_per_teacher"]))


def _build_proposal(document, spec):
    fields = ["organiser", "target_group", "headcount", "start_month", "end_month", "location",
              "hours", "design", "budget"]
    _save(ProjectProposal(
        document=document, modes=[str(m) for m in spec["modes"]],
        content_modules=[str(m) for m in spec["content_modules"]], **{f: spec[f] for f in fields},
    ))


DETAIL_BUILDERS = {
    Document.Kind.ANNUAL_PLAN: _build_annual_plan,
    Document.Kind.SCHOOL_PLAN: _build_school_plan,
    Document.Kind.PROJECT_PROPOSAL: _build_proposal,
}


# --- Review steps: each one what a user would do on the task pages -------------

def _open_task(document, user):
    """The document's task in the user's inbox, else in their queue."""
    for tasks in (task_inbox(user=user), task_queue(user=user)):
        task = tasks.filter(process__reviewprocess__document=document).first()
        if task:
            return task
    raise CommandError(f"{user.username} 没有《{document.title}》的待办任务")


def step_submit(document, user):
    document_submit(document=document, user=user)


def step_claim(document, user):
    """Claim only, as the claim page does: the task moves to the user's inbox."""
    task = _open_task(document, user)
    flow_task = task.flow_task
    with flow_task.flow_class.lock(task.process_id), transaction.atomic():
        task.refresh_from_db()
        if not flow_task.can_assign(user, task):
            raise PermissionDenied
        flow_task.activation_class(task).assign(user)
        review.task_record_claim(task=task, user=user, claimed=True)


def step_initial_review(document, user, *, experts=(), **decision):
    experts = [User.objects.get(username=username) for username in experts]
    review.task_perform(task=_open_task(document, user), user=user,
                        decide=review.initial_review_decide, experts=experts, **decision)


def step_expert_review(document, user, **opinion):
    review.task_perform(task=_open_task(document, user), user=user,
                        decide=review.expert_review_give, **opinion)


def step_filing(document, user, *, decision, comment=""):
    number = review.filing_number_suggest(document=document) if decision == Decision.APPROVE else ""
    review.task_perform(task=_open_task(document, user), user=user, decide=review.filing_decide,
                        decision=decision, filing_number=number, comment=comment)


def step_revise(document, user, **changes):
    """Edit the returned document's content, as the edit page does."""
    document = Document.objects.get(pk=document.pk)
    document_assert_editable(document=document, user=user)
    detail = document.detail
    for field, value in changes.items():
        setattr(detail, field, value)
    _save(detail)


def step_resubmit(document, user, *, comment=""):
    review.task_perform(task=_open_task(document, user), user=user,
                        decide=review.document_resubmit, comment=comment)


STEPS = {
    "submit": step_submit,
    "claim": step_claim,
    "initial_review": step_initial_review,
    "expert_review": step_expert_review,
    "filing": step_filing,
    "revise": step_revise,
    "resubmit": step_resubmit,
}


def play_story(document, expected_status, steps, users) -> None:
    for action, username, arguments in steps:
        STEPS[action](document, users[username], **arguments)
    document.refresh_from_db()
    if document.status != expected_status:
        raise CommandError(f"《{document.title}》应为 {expected_status}，实为 {document.status}")


# --- The schedule: what the project pages and the spot-check page would do -----

def _scheduled(plan, name) -> ScheduledProject:
    return ScheduledProject.objects.get(source=plan, name=name)


def play_change_requests(plan, users) -> None:
    for name, author, fields, expected_status, steps in CHANGE_REQUESTS:
        document = change_request_submit(project=_scheduled(plan, name), user=users[author], **fields)
        play_story(document, expected_status, steps, users)


def write_project_log(plan, users) -> None:
    for name, author, entries in PROJECT_LOG:
        project = _scheduled(plan, name)
        for kind, happened_on, text in entries:
            log_entry_add(project=project, user=users[author], kind=kind, happened_on=happened_on, text=text)


def draw_spot_check(users) -> SpotCheck:
    user = users[SPOT_CHECK["user"]]
    check = spot_check_draw(user=user, year=SPOT_CHECK["year"], seed=SPOT_CHECK["seed"])
    recorded = 0
    for item in check.items.select_related("project", "spot_check"):
        findings = SPOT_CHECK["findings"].get(item.project.name)
        if findings:
            spot_check_record(item=item, user=user, findings=findings)
            recorded += 1
    if not recorded:
        raise CommandError(f"抽查（种子 {SPOT_CHECK['seed']}）未抽中 {', '.join(SPOT_CHECK['findings'])}")
    return check


# --- Teachers, attendance and credits: what the roster, project, session,
# leave and school-based pages would do ----------------------------------------

def id_number(serial: int, gender: str, birth: datetime.date) -> str:
    """An 18-digit number for 建安区: area, birth date, serial (odd for men), check character."""
    sequence = serial * 10 + (2 * (serial % 5) + (1 if gender == MALE else 0))
    first17 = f"{ID_AREA_CODE}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def create_teachers(orgs, users) -> dict[str, Teacher]:
    """Each school imports its roster as an xlsx file, as the roster page does."""
    serial = 0
    for school, rows in TEACHERS.items():
        roster = []
        for name, gender, birth, subject, title, new_teacher in rows:
            serial += 1
            roster.append(Teacher(
                organisation=orgs[school], name=name, gender=gender, birth_date=birth,
                id_number=id_number(serial, gender, birth), stage=orgs[school].stage, subject=subject,
                title=title, is_new_teacher=new_teacher,
            ))
        imported, errors = roster_import(organisation=orgs[school], file=io.BytesIO(roster_xlsx(roster)))
        if errors:
            raise CommandError(f"{school}花名册导入失败：" + "；".join(f"第{e.row}行 {e.reason}" for e in errors))
    teachers = {t.name: t for t in Teacher.objects.filter(organisation__district=orgs[SHIYAN].district)}
    for name, username in TEACHER_LOGINS.items():
        teachers[name].user = users[username]
        _save(teachers[name])
    return teachers


def _roll_call(session, user, exceptions, source=Attendance.Source.ROLL_CALL) -> None:
    """The whole roster at once: present unless listed otherwise."""
    by_name = {t.name: t for t in attendance.roster(session)}
    unknown = set(exceptions) - set(by_name)
    if unknown:
        raise CommandError(f"{'、'.join(unknown)} 不在《{session.title}》的名单上")
    marks = {t.pk: exceptions.get(name, AS.PRESENT) for name, t in by_name.items()}
    attendance.attendance_mark(session=session, user=user, marks=marks, source=source)


def enrol(project, spec, users, teachers) -> None:
    """Schools nominate; the organiser confirms each in turn (to the roster or the waiting list)."""
    for officer, names in spec["nominations"]:
        for name in names:
            attendance.enrolment_nominate(project=project, teacher=teachers[name], user=users[officer])
    organiser = users[spec["organiser"]]
    for enrolment in project.enrolments.filter(status=Enrolment.Status.NOMINATED).order_by("created_at", "pk"):
        attendance.enrolment_organiser_decide(enrolment=enrolment, user=organiser, confirm=True)
    waitlisted = sorted(project.enrolments.filter(status=Enrolment.Status.WAITLISTED)
                        .values_list("teacher__name", flat=True))
    if waitlisted != sorted(spec.get("waitlisted", [])):
        raise CommandError(f"《{project.name}》候补名单应为 {spec.get('waitlisted', [])}，实为 {waitlisted}")


def run_finished_project(plan, users, teachers) -> None:
    """Enrol, hold and mark the sessions, then close the project: closing writes the credits."""
    spec = FINISHED_PROJECT
    project, organiser = _scheduled(plan, spec["project"]), users[spec["organiser"]]
    _save(ProjectRun(project=project, **spec["run"]))  # the project page's enrolment settings
    enrol(project, spec, users, teachers)
    attendance.sessions_generate(project=project, user=organiser, hours_per_day=spec["hours_per_day"])
    for title, day, start, end, hours in spec["added_sessions"]:
        _save(Session(project=project, organisation=project.organiser, title=title, date=day,
                      start_time=start, end_time=end, hours=hours, place=project.location))
    sessions = list(project.sessions.order_by("date", "start_time"))
    if len(sessions) != len(spec["roll_calls"]):
        raise CommandError(f"《{project.name}》应有 {len(spec['roll_calls'])} 场培训，实为 {len(sessions)} 场")
    for session, exceptions in zip(sessions, spec["roll_calls"]):
        _roll_call(session, organiser, exceptions)
    for kind, happened_on, text in spec["log"]:
        log_entry_add(project=project, user=organiser, kind=kind, happened_on=happened_on, text=text)
    failed = sorted(CreditEntry.objects.filter(project=project, source=CreditEntry.Source.PROJECT, credits=0)
                    .values_list("teacher__name", flat=True))
    if failed != sorted(spec["failed"]):
        raise CommandError(f"《{project.name}》未完成的学员应为 {spec['failed']}，实为 {failed}")


def _demo_now() -> datetime.datetime:
    return min(timezone.now(), timezone.make_aware(DEMO_NOW))


def run_current_project(document, users, teachers) -> None:
    """Confirmed places and December sessions; leave asked by a teacher, answered by their school."""
    spec = CURRENT_PROJECT
    project = ScheduledProject.objects.get(source=document)
    enrol(project, spec, users, teachers)
    attendance.sessions_generate(project=project, user=users[spec["organiser"]],
                                 hours_per_day=spec["hours_per_day"])
    sessions = list(project.sessions.order_by("date", "start_time"))
    for username, number, reason, officer, approve in spec["leave"]:
        leave = attendance.leave_request(session=sessions[number - 1], user=users[username], reason=reason,
                                         now=_demo_now())
        attendance.leave_decide(leave=leave, user=users[officer], approve=approve)


def run_school_based_year(orgs, users) -> None:
    """Sessions against the approved school plan, attendance from the paper sheets, then the year's credits."""
    spec = SCHOOL_BASED
    school, officer = orgs[spec["school"]], users[spec["officer"]]
    plan = attendance.school_plan_for(school.pk, spec["year"])
    if plan is None:
        raise CommandError(f"{school.name}没有已备案的{spec['year']}年校本培训实施方案")
    for (title, day), exceptions in zip(spec["sessions"], spec["roll_calls"]):
        session = _save(Session(school_plan=plan, organisation=school, title=title, date=day,
                                start_time=spec["start"], end_time=spec["end"], hours=spec["hours"],
                                place=spec["place"]))
        _roll_call(session, officer, exceptions, source=Attendance.Source.PAPER)
    credit_school_based_year(organisation=school, year=spec["year"])
    forfeited = sorted(CreditEntry.objects.filter(
        teacher__organisation=school, source=CreditEntry.Source.SCHOOL_BASED, credits=0,
    ).values_list("teacher__name", flat=True))
    if forfeited != sorted(spec["forfeited"]):
        raise CommandError(f"{school.name}校本学分不予认定的应为 {spec['forfeited']}，实为 {forfeited}")


def add_exemptions(teachers) -> None:
    for name, semester_start, reason in EXEMPTIONS:
        exemption_add(teacher=teachers[name], semester_start=semester_start, reason=reason)


def build_demo() -> None:
    call_command("loaddata", "credit_rules", verbosity=0)  # the rule families of seed 002
    orgs = create_organisations()
    users = create_users(orgs)
    teachers = create_teachers(orgs, users)
    documents = {key: create_document(spec, orgs, users) for key, spec in DOCUMENTS.items()}
    for key, expected_status, steps in STORIES:
        play_story(documents[key], expected_status, steps, users)
    play_change_requests(documents["annual_plan"], users)
    write_project_log(documents["annual_plan"], users)
    run_finished_project(documents["annual_plan"], users, teachers)
    draw_spot_check(users)
    run_current_project(documents["jinxiu_ai_2026"], users, teachers)
    run_school_based_year(orgs, users)
    add_exemptions(teachers)


# --- Printing -------------------------------------------------------------------

def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(header, rows) -> list[str]:
    """Plain-text columns that stay aligned with Chinese (double-width) text."""
    rows = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


class Command(BaseCommand):
    help = ("载入建安区演示数据（学校、账号、计划与项目书，覆盖审核流程的每个状态，以及培训日程、"
            "教师花名册、报名与考勤、学分）。")

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true",
            help="先清空整个数据库（flush，非仅演示数据），再重新载入。",
        )

    def handle(self, *args, reset=False, **options):
        with transaction.atomic():
            if reset:
                self.stdout.write(self.style.WARNING("清空数据库（flush）……"))
                call_command("flush", interactive=False, verbosity=0)
            elif District.objects.filter(name=DISTRICT["name"]).exists():
                self.stdout.write(
                    f"{DISTRICT['name']}演示数据已存在（already loaded），未做任何更改；如需重建请加 --reset。"
                )
                return
            build_demo()
        self.stdout.write(self.style.SUCCESS(f"{DISTRICT['name']}演示数据已载入。"))
        self.print_summary()

    def _lines(self, lines):
        for line in lines:
            self.stdout.write(line)
        self.stdout.write("")

    def _training_lines(self) -> list[str]:
        in_district = {"organisation__district__name": DISTRICT["name"]}
        teachers = Teacher.objects.filter(**in_district)
        enrolments = Enrolment.objects.filter(**{f"teacher__{k}": v for k, v in in_district.items()})
        statuses = dict(enrolments.values_list("status").annotate(n=Count("pk")))
        sessions = Session.objects.filter(**in_district)
        marks = Attendance.objects.filter(**{f"session__{k}": v for k, v in in_district.items()})
        leave = LeaveRequest.objects.filter(**{f"teacher__{k}": v for k, v in in_district.items()})
        entries = CreditEntry.objects.filter(**{f"teacher__{k}": v for k, v in in_district.items()})
        ES, CS = Enrolment.Status, CreditEntry.Source
        return [
            f"教师：{teachers.count()} 人（{teachers.filter(user__isnull=False).count()} 人已关联登录账号，"
            f"新教师 {teachers.filter(is_new_teacher=True).count()} 人）。",
            f"报名：{enrolments.count()} 条（已确认 {statuses.get(ES.CONFIRMED, 0)}，候补 {statuses.get(ES.WAITLISTED, 0)}）。",
            f"培训场次：{sessions.count()} 场（其中校本 {sessions.filter(school_plan__isnull=False).count()} 场）；"
            f"请假 {leave.count()} 条（已批准 {leave.filter(status=LeaveRequest.Status.APPROVED).count()}）。",
            f"考勤记录：{marks.count()} 条（缺勤 {marks.filter(status=AS.ABSENT).count()}，"
            f"迟到 {marks.filter(status=AS.LATE).count()}，请假 {marks.filter(status=AS.LEAVE).count()}）。",
            f"学分记录：{entries.count()} 条（项目 {entries.filter(source=CS.PROJECT).count()}，"
            f"校本 {entries.filter(source=CS.SCHOOL_BASED).count()}，免修 {entries.filter(source=CS.EXEMPTION).count()}；"
            f"其中 0 学分并注明原因 {entries.filter(credits=0).exclude(note='').count()} 条）。",
        ]

    def print_summary(self):
        counts = dict(Document.objects.values_list("status").annotate(n=Count("pk")))
        self.stdout.write("\n各状态文档数：")
        self._lines(_table(["状态", "代码", "数量"],
                           [[s.label, s.value, counts.get(s.value, 0)] for s in Document.Status]))

        documents = Document.objects.select_related("organisation").order_by("organisation__name", "kind", "pk")
        self.stdout.write("文档：")
        self._lines(_table(["标题", "单位", "状态", "版本", "备案号"], [
            [d.title, d.organisation.name, d.status, d.version, d.filing_number or ""] for d in documents
        ]))

        projects = ScheduledProject.objects.filter(district__name=DISTRICT["name"])
        adjusted = projects.filter(pk__in=ScheduleChange.objects.values("project_id")).count()
        check = SpotCheck.objects.filter(district__name=DISTRICT["name"]).order_by("-pk").first()
        line = f"日程：已排期项目 {projects.count()} 个，其中已调整 {adjusted} 个"
        if check:
            line += f"；{check.year}年抽查 {check.items.count()}/{check.population} 个项目（随机种子 {check.seed}）"
        self._lines([line + "。"])
        self._lines(self._training_lines())

        users = User.objects.filter(username__in=[u[0] for u in USERS] + [ADMIN[0]])
        users = sorted(users.select_related("organisation"), key=lambda u: (u.organisation_id or 0, u.username))
        self.stdout.write(f"演示账号（密码均为 {PASSWORD}）：")
        self._lines(_table(["用户名", "姓名", "角色", "单位"], [
            [u.username, u.full_name, u.get_role_display() if u.role else "超级管理员",
             u.organisation.name if u.organisation else ""] for u in users
        ]))
