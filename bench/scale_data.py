"""A province-sized data set for bench/bench_scale.py, written with COPY.

Full scale (--scale 1): 20 districts, 2,000 schools, 100,000 teachers, 50,000
documents (annual plans, school-based plans and project proposals) in every
status, and about 1,000,000 attendance marks. Every figure is multiplied by the
scale (at least one district and one school).

Nothing goes through the web flow, but the rows have the shapes the real flow
leaves (copied from a database built by `manage.py load_demo`):

* each submitted document has a ReviewProcess (viewflow Process, flow_class
  "workflow/flows.ReviewFlow") with one viewflow Task per node it passed:
  start, initial_review (HUMAN, owner_permission "accounts.review_initial" on
  the reviewing organisation, owner_permission_obj_pk its id as text),
  after_initial_review, expert_split, one expert_review per expert (token
  "start/<split>_<n>", data {"expert_id": ...}), expert_join,
  after_expert_review, filing ("accounts.file_document" on the bureau),
  after_filing, revise (owned by the submitter) and the approved/rejected End;
  Task.previous links, a TaskDue per human task, TrailEntry rows for every
  submission, claim and decision, a DocumentVersion per submission,
  ExpertAssignment rows and the experts' guardian view_document grants
  (DocumentUserObjectPermission);
* open documents stop where their status says: 初审 unclaimed in the queue or
  claimed, 专家会审 with one or both experts still to answer, 备案 waiting,
  returned with a revise task in the author's inbox;
* reviewers get their organisation permissions through
  accounts.services.user_sync_organisation_perms, as user_create does;
* filed annual plans and proposals are scheduled (ScheduledProject rows as
  schedule.services makes them); recent projects have sessions, confirmed
  enrolments and attendance marks; schools hold school-based sessions marked
  for all their teachers; finished projects and the last school year have
  credit entries; in-app notices are written for new tasks and outcomes.

Each district's first school is its big central school (about a tenth of the
district's teachers), so a school's pages grow with the data set too.

Province mode (`Generator(scale, province=True)`, bench/bench_province.py; issue 15):
the districts sit in the cities of one province, Hunan (湖南省: 14 cities and
prefectures, 123 counties, with their real names and counts per city). Scale 1 is
the whole province: 123 districts, 12,300 schools (100 a district), 307,500
teachers (2,500 a district, 25 a school; the first school of each district holds
a tenth), and the per-teacher proportions of the table above: half a document and
ten attendance marks a teacher (153,750 documents, ~3,075,000 marks), one
school-based credit entry per active teacher plus the project entries. A smaller
scale takes round(123 x scale) districts (at least one), spread over the cities in
proportion to their real counts (largest remainder; a city that gets none is left
out). Each city has its bureau (市教育局), training centre (市教师发展中心) and
one city officer (cNN_shi); the province has its bureau, training centre and one
province officer (sheng). The city of the first district is the biggest one.
"""
import math
import datetime
import json
import random
import time
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from accounts.models import City, District, Organisation, Province, User
from attendance.models import Attendance, Enrolment, ProjectRun, Session, Teacher
from credits.models import CreditEntry, RuleSet
from plans.models import (
    AnnualPlan, Document, DocumentUserObjectPermission, PlannedProject, ProjectProposal, SchoolPlan,
    SchoolPlanYear, DocumentVersion,
)
from schedule.models import ScheduledProject
from viewflow.workflow.models import Process, Task
from workflow.models import ExpertAssignment, ReviewProcess, TaskDue, TrailEntry

try:  # the demo's texts make the documents look real; plain ones if they moved
    from demo.seed import load as demo_load
    DEMO = {"annual_plan": demo_load("annual_plan_2024"), "school_plans": demo_load("school_plans")}
except Exception:  # pragma: no cover
    DEMO = None

FULL = {"districts": 20, "schools": 2000, "teachers": 100_000, "documents": 50_000, "marks": 1_000_000}
# Province mode, per district: schools, teachers; per teacher: documents, marks (as FULL's).
PROVINCE_PER_DISTRICT = {"schools": 100, "teachers": 2_500}
PROVINCE_PER_TEACHER = {"documents": 0.5, "marks": 10}
PROVINCE_NAME = "湖南省"
# Hunan's 14 cities and prefectures and their county-level divisions (123 in all).
HUNAN = [
    ("长沙市", "芙蓉区 天心区 岳麓区 开福区 雨花区 望城区 长沙县 浏阳市 宁乡市"),
    ("株洲市", "荷塘区 芦淞区 石峰区 天元区 渌口区 攸县 茶陵县 炎陵县 醴陵市"),
    ("湘潭市", "雨湖区 岳塘区 湘潭县 湘乡市 韶山市"),
    ("衡阳市", "珠晖区 雁峰区 石鼓区 蒸湘区 南岳区 衡阳县 衡南县 衡山县 衡东县 祁东县 耒阳市 常宁市"),
    ("邵阳市", "双清区 大祥区 北塔区 新邵县 邵阳县 隆回县 洞口县 绥宁县 新宁县 城步苗族自治县 武冈市 邵东市"),
    ("岳阳市", "岳阳楼区 云溪区 君山区 岳阳县 华容县 湘阴县 平江县 汨罗市 临湘市"),
    ("常德市", "武陵区 鼎城区 安乡县 汉寿县 澧县 临澧县 桃源县 石门县 津市市"),
    ("张家界市", "永定区 武陵源区 慈利县 桑植县"),
    ("益阳市", "资阳区 赫山区 南县 桃江县 安化县 沅江市"),
    ("郴州市", "北湖区 苏仙区 桂阳县 宜章县 永兴县 嘉禾县 临武县 汝城县 桂东县 安仁县 资兴市"),
    ("永州市", "零陵区 冷水滩区 东安县 双牌县 道县 江永县 宁远县 蓝山县 新田县 江华瑶族自治县 祁阳市"),
    ("怀化市", "鹤城区 中方县 沅陵县 辰溪县 溆浦县 会同县 麻阳苗族自治县 新晃侗族自治县 芷江侗族自治县 "
               "靖州苗族侗族自治县 通道侗族自治县 洪江市 洪江区"),
    ("娄底市", "娄星区 双峰县 新化县 冷水江市 涟源市"),
    ("湘西土家族苗族自治州", "吉首市 泸溪县 凤凰县 花垣县 保靖县 古丈县 永顺县 龙山县"),
]
HUNAN_DISTRICTS = sum(len(names.split()) for _, names in HUNAN)
PASSWORD = "bench-pass-2026"
FLOW = "workflow/flows.ReviewFlow"
STEP_DAYS = {"initial_review": 7, "expert_review": 10, "filing": 5, "revise": 14}
STEP_TITLES = {"initial_review": "初审", "expert_review": "专家会审", "filing": "备案", "revise": "修改后重新提交"}

DISTRICT_NAMES = [
    "建安区", "魏都区", "禹州市", "长葛市", "鄢陵县", "襄城县", "文峰区", "北关区", "殷都区", "龙安区",
    "安阳县", "汤阴县", "滑县", "内黄县", "林州市", "卫滨区", "红旗区", "牧野区", "凤泉区", "辉县市",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国文博晓燕春霞志远海燕丹凤云鹏"
STAGES = [("primary", 50), ("junior", 25), ("senior", 10), ("nine_year", 5), ("kindergarten", 10)]
STAGE_SUFFIX = {"primary": "小学", "junior": "初级中学", "senior": "高级中学", "nine_year": "九年一贯制学校",
                "kindergarten": "幼儿园"}
SUBJECTS = ["chinese", "maths", "english", "physics", "chemistry", "biology", "morality", "history", "geography",
            "science", "music", "pe", "art", "it", "psychology"]
MARK_WEIGHTS = [("present", 85), ("late", 4), ("left_early", 2), ("absent", 6), ("leave", 3)]
RECENT_STATUS_WEIGHTS = [("draft", 10), ("initial_review", 25), ("expert_review", 10), ("filing", 10),
                         ("returned", 10), ("approved", 30), ("rejected", 5)]
OLD_STATUS_WEIGHTS = [("approved", 85), ("rejected", 10), ("returned", 5)]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _weighted(rng, weights):
    total = sum(w for _, w in weights)
    x = rng.random() * total
    for value, w in weights:
        x -= w
        if x < 0:
            return value
    return weights[-1][0]


def id_number(region: str, birth: datetime.date, seq3: int) -> str:
    body = f"{region}{birth:%Y%m%d}{seq3:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS)) % 11]


def _demo_texts() -> dict:
    """The demo's seed texts in the shapes used below (empty if there are none)."""
    if DEMO is None:
        return {}
    plan, school = DEMO["annual_plan"], DEMO["school_plans"]
    return {
        "sections": plan["sections"],
        "planned": [(p["sequence"], p["name"], p.get("headcount"), p["modes"], p["month"], p["location"])
                    for p in plan["projects"]],
        "significance": school["common"]["significance"],
        "objectives": school["common"]["objectives"],
        "assessment": school["common"]["assessment"],
        "year_blocks": [tuple(block) for block in school["year_blocks"]["school"]],
    }


def province_sizes(scale: float) -> dict:
    """Province mode: Hunan at scale 1; a scale takes that share of the districts, each of the
    same size (100 schools, 2,500 teachers), so every figure is proportional to the districts."""
    d = max(1, min(HUNAN_DISTRICTS, round(HUNAN_DISTRICTS * scale)))
    teachers = d * PROVINCE_PER_DISTRICT["teachers"]
    return {
        "cities": sum(1 for c in city_shares(d) if c),
        "districts": d,
        "schools": d * PROVINCE_PER_DISTRICT["schools"],
        "teachers": teachers,
        "documents": round(teachers * PROVINCE_PER_TEACHER["documents"]),
        "marks": round(teachers * PROVINCE_PER_TEACHER["marks"]),
    }


def city_shares(districts: int) -> list[int]:
    """How many districts each of HUNAN's cities gets (largest remainder on the real counts)."""
    counts = [len(names.split()) for _, names in HUNAN]
    quotas = [c * districts / HUNAN_DISTRICTS for c in counts]
    shares = [math.floor(q) for q in quotas]
    order = sorted(range(len(counts)), key=lambda i: (-(quotas[i] - shares[i]), -counts[i], i))
    for i in order[:districts - sum(shares)]:
        shares[i] += 1
    return shares


def sizes(scale: float, districts: int | None = None) -> dict:
    d = districts or max(1, round(FULL["districts"] * scale))
    schools = max(d, round(FULL["schools"] * scale))
    return {
        "districts": d,
        "schools": schools,
        "teachers": max(schools * 5, round(FULL["teachers"] * scale)),
        "documents": max(d * 8, round(FULL["documents"] * scale)),
        "marks": max(100, round(FULL["marks"] * scale)),
    }


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


class Loader:
    """COPY rows into one table at a time, and keep the time each took."""

    def __init__(self, log=print):
        self.log = log
        self.timings: list[tuple[str, int, float]] = []
        self.models = []

    def next_id(self, model) -> int:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
            return cursor.fetchone()[0] + 1

    def copy(self, model, columns: list[str], rows, build_seconds: float = 0.0) -> int:
        table = model._meta.db_table
        started = time.perf_counter()
        connection.ensure_connection()
        count = 0
        # Columns added to the models since this generator was written (NOT NULL with a
        # default, or text that may be blank) get their default, so the generator keeps up.
        extra = [(f.column, f.get_db_prep_save(f.get_default(), connection)) for f in model._meta.local_concrete_fields
                 if f.column not in columns and not f.null and not f.primary_key
                 and (f.has_default() or f.empty_strings_allowed)]
        columns = [*columns, *(column for column, _ in extra)]
        tail = tuple(value for _, value in extra)
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, *tail) if tail else row)
                    count += 1
        seconds = time.perf_counter() - started + build_seconds
        self.timings.append((table, count, seconds))
        if model not in self.models:
            self.models.append(model)
        self.log(f"  {table:<42} {count:>10,} rows {seconds:8.2f} s")
        return count

    def note(self, label: str, seconds: float, rows: int = 0):
        self.timings.append((label, rows, seconds))
        self.log(f"  {label:<42} {rows:>10,} rows {seconds:8.2f} s")

    def reset_sequences(self):
        statements = connection.ops.sequence_reset_sql(no_style(), self.models)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


PROCESS_COLUMNS = ["id", "flow_class", "status", "created", "finished", "data", "parent_task_id",
                   "seed_content_type_id", "seed_object_id", "artifact_content_type_id", "artifact_object_id"]
TASK_COLUMNS = ["id", "flow_task", "flow_task_type", "status", "created", "assigned", "started", "finished",
                "scheduled", "token", "external_task_id", "owner_id", "owner_permission",
                "owner_permission_content_type_id", "owner_permission_obj_pk", "process_id", "data",
                "seed_content_type_id", "seed_object_id", "artifact_content_type_id", "artifact_object_id"]


class Generator:
    def __init__(self, scale: float, *, districts: int | None = None, seed: int = 20261123, log=print,
                 today: datetime.date | None = None, province: bool = False):
        self.scale = scale
        self.province = province
        self.size = province_sizes(scale) if province else sizes(scale, districts)
        self.rng = random.Random(seed)
        self.log = log
        self.loader = Loader(log)
        self.today = today or timezone.localdate()
        self.year = self.today.year
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()

    # --- helpers ----------------------------------------------------------------------------
    def at(self, day: datetime.date, hour=9, minute=0) -> datetime.datetime:
        return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    # --- the whole run ----------------------------------------------------------------------
    def run(self) -> dict:
        started = time.perf_counter()
        self.log(f"Generating scale {self.scale:g}: {self.size}")
        self.perm_ids = {
            p.codename: p.pk for p in Permission.objects.filter(
                content_type__app_label__in=["accounts", "plans"],
                codename__in=["review_initial", "file_document", "view_document"])
        }
        self.org_ct = ContentType.objects.get_for_model(Organisation).pk
        self.make_organisations()
        self.make_people()
        self.grant_reviewers()
        self.make_documents()
        self.make_workflow()
        self.make_schedule()
        self.make_attendance()
        self.make_credits()
        if self.province:
            self.make_spot_checks()
        self.make_notices()
        t = time.perf_counter()
        self.loader.reset_sequences()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        self.loader.note("(sequences, VACUUM ANALYZE)", time.perf_counter() - t)
        total = time.perf_counter() - started
        self.log(f"  {'total':<42} {sum(r for _, r, _ in self.loader.timings):>10,} rows {total:8.2f} s")
        return self.targets()

    # --- districts, organisations ----------------------------------------------------------------
    def make_organisations(self):
        t = time.perf_counter()
        n = self.size["districts"]
        if self.province:
            return self.make_province(t)
        names = [DISTRICT_NAMES[i] if i < len(DISTRICT_NAMES) else f"第{i + 1}区" for i in range(n)]
        district_id = self.loader.next_id(District)
        self.districts = []
        for i, name in enumerate(names):
            self.districts.append({"id": district_id + i, "index": i, "name": name,
                                   "prefix": f"{name}教师备", "schools": [], "region": f"41{10 + i:02d}02"})
        rows = [(d["id"], d["name"], d["prefix"], "") for d in self.districts]
        self.loader.copy(District, ["id", "name", "filing_prefix", "credit_rule_family"],
                         rows, time.perf_counter() - t)
        self.make_district_organisations()

    def make_province(self, t):
        """Province mode: the province, its cities (biggest share first) and their districts."""
        province_id = self.loader.next_id(Province)
        self.province_row = {"id": province_id, "name": PROVINCE_NAME}
        self.loader.copy(Province, ["id", "name"], [(province_id, PROVINCE_NAME)])
        shares = city_shares(self.size["districts"])
        order = sorted((i for i in range(len(HUNAN)) if shares[i]), key=lambda i: -shares[i])
        city_id = self.loader.next_id(City)
        district_id = self.loader.next_id(District)
        self.cities, self.districts = [], []
        for c, i in enumerate(order):
            name, names = HUNAN[i]
            city = {"id": city_id + c, "index": c, "name": name, "districts": []}
            self.cities.append(city)
            for k, dn in enumerate(names.split()[:shares[i]]):
                district = {"id": district_id + len(self.districts), "index": len(self.districts), "name": dn,
                            "prefix": f"{dn}教师备", "schools": [], "city": city,
                            "region": f"43{i + 1:02d}{k + 1:02d}"}
                self.districts.append(district)
                city["districts"].append(district)
        self.loader.copy(City, ["id", "province_id", "name"], [(c["id"], province_id, c["name"]) for c in self.cities])
        self.loader.copy(District, ["id", "name", "city_id", "filing_prefix", "credit_rule_family"],
                         [(d["id"], d["name"], d["city"]["id"], d["prefix"], "hunan") for d in self.districts],
                         time.perf_counter() - t)
        self.make_district_organisations()

    def make_district_organisations(self):
        n = self.size["districts"]
        t = time.perf_counter()
        org_id = self.loader.next_id(Organisation)
        rows = []
        self.orgs = {}
        per_district = _split(self.size["schools"], n)

        def add(district, name, kind, stage="", city=None, province=None):
            nonlocal org_id
            org = {"id": org_id, "district": district, "name": name, "kind": kind, "stage": stage}
            rows.append((org_id, district["id"] if district else None, city["id"] if city else None,
                         province["id"] if province else None, name, kind, stage))
            self.orgs[org_id] = org
            org_id += 1
            return org

        if self.province:  # the regional bureaus and centres (kinds a regional organisation may be)
            p = self.province_row
            p["bureau"] = add(None, f"{p['name']}教育厅", "bureau", province=p)
            p["centre"] = add(None, f"{p['name']}中小学教师继续教育指导中心", "training_centre", province=p)
            for city in self.cities:
                city["bureau"] = add(None, f"{city['name']}教育局", "bureau", city=city)
                city["centre"] = add(None, f"{city['name']}教师发展中心", "training_centre", city=city)

        for district, count in zip(self.districts, per_district):
            dn = district["name"]
            district["bureau"] = add(district, f"{dn}教育局", "bureau")
            district["training_school"] = add(district, f"{dn}教师进修学校", "training_school")
            district["pool"] = add(district, f"{dn}评审专家库", "expert_pool")
            numbers = defaultdict(int)
            for s in range(count):
                if s == 0:
                    org = add(district, f"{dn}实验学校", "school", "primary")
                else:
                    stage = _weighted(self.rng, STAGES)
                    numbers[stage] += 1
                    kind = "kindergarten" if stage == "kindergarten" else "school"
                    org = add(district, f"{dn}第{numbers[stage]}{STAGE_SUFFIX[stage]}", kind, stage)
                district["schools"].append(org)
        self.loader.copy(Organisation, ["id", "district_id", "city_id", "province_id", "name", "kind", "stage"],
                         rows, time.perf_counter() - t)

    # --- users and teachers ------------------------------------------------------------------
    def make_people(self):
        t = time.perf_counter()
        password = make_password(PASSWORD)  # one hash (PBKDF2, as production) shared by every account
        user_id = self.loader.next_id(User)
        teacher_id = self.loader.next_id(Teacher)
        users, teachers = [], []
        self.users = {}
        joined = self.at(datetime.date(self.year - 6, 1, 5))

        def add_user(username, full_name, role, org, title="", expertise=""):
            nonlocal user_id
            users.append((user_id, password, None, False, username, "", "", "", False, True, joined,
                          full_name, org["id"] if org else None, role, title, expertise))
            self.users[user_id] = {"id": user_id, "username": username, "role": role, "org": org}
            user_id += 1
            return user_id - 1

        if self.province:  # the officers above the districts: one a city, one for the province
            p = self.province_row
            p["officer"] = add_user("sheng", self.name(), "province_officer", p["bureau"], "教师工作处")
            for city in self.cities:
                city["officer"] = add_user(f"c{city['index'] + 1:02d}_shi", self.name(), "city_officer",
                                           city["bureau"], "教师工作科")
        per_district_teachers = _split(self.size["teachers"], len(self.districts))
        serial = 0
        for district, n_teachers in zip(self.districts, per_district_teachers):
            p = f"d{district['index'] + 1:02d}"
            district["bureau_officers"] = [add_user(f"{p}_jiaoyuju{k}", self.name(), "bureau_officer",
                                                    district["bureau"], "教师工作股") for k in (1, 2)]
            district["training_officers"] = [add_user(f"{p}_jinxiu{k}", self.name(), "training_officer",
                                                      district["training_school"], "培训部") for k in (1, 2, 3)]
            district["experts"] = [add_user(f"{p}_zhuanjia{k}", self.name(), "expert", district["pool"],
                                            "正高级教师", "学科教学") for k in range(1, 9)]
            schools = district["schools"]
            if len(schools) == 1:
                sizes_ = [n_teachers]
            else:
                big = max(1, round(n_teachers * 0.1))
                sizes_ = [big] + _split(n_teachers - big, len(schools) - 1)
            region = district["region"]
            for s_index, (school, count) in enumerate(zip(schools, sizes_)):
                sp = f"{p}_s{s_index + 1:04d}"
                school["officer"] = add_user(f"{sp}_zhuangan", self.name(), "school_officer", school)
                school["principal"] = add_user(f"{sp}_xiaozhang", self.name(), "principal", school)
                school["teachers"] = []
                for _ in range(count):
                    male = self.rng.random() < 0.3
                    birth = datetime.date(1966, 1, 1) + datetime.timedelta(days=serial % 12000)
                    seq3 = (serial // 12000) * 2 + (1 if male else 0)
                    name = self.name()
                    login = None
                    if self.rng.random() < 0.05:
                        login = add_user(f"t{teacher_id}", name, "teacher", school, "一级教师")
                    teachers.append((teacher_id, school["id"], login, name, "M" if male else "F", birth,
                                     id_number(region, birth, seq3), school["stage"],
                                     "preschool" if school["kind"] == "kindergarten" else self.rng.choice(SUBJECTS),
                                     "一级教师", self.rng.random() < 0.05, self.rng.random() > 0.02))
                    school["teachers"].append((teacher_id, teachers[-1][10 + 1]))  # (id, active)
                    teacher_id += 1
                    serial += 1
        build = time.perf_counter() - t
        self.loader.copy(User, ["id", "password", "last_login", "is_superuser", "username", "first_name",
                                "last_name", "email", "is_staff", "is_active", "date_joined", "full_name",
                                "organisation_id", "role", "title", "expertise"], users, build / 2)
        self.loader.copy(Teacher, ["id", "organisation_id", "user_id", "name", "gender", "birth_date", "id_number",
                                   "stage", "subject", "title", "is_new_teacher", "active"], teachers, build / 2)

    def grant_reviewers(self):
        """Organisation permissions as user_create grants them (guardian rows)."""
        from accounts.services import user_sync_organisation_perms

        t = time.perf_counter()
        ids = [u for d in self.districts for u in d["bureau_officers"] + d["training_officers"]]
        for user in User.objects.filter(pk__in=ids).select_related("organisation"):
            user_sync_organisation_perms(user=user)
        self.loader.note("guardian grants (user_sync_organisation_perms)", time.perf_counter() - t, len(ids))
        t = time.perf_counter()
        call_command("loaddata", "credit_rules", verbosity=0)
        self.rule_set_id = RuleSet.objects.filter(family="hunan").order_by("-valid_from").values_list(
            "pk", flat=True).first()
        self.loader.note("credit rule sets (loaddata credit_rules)", time.perf_counter() - t,
                         RuleSet.objects.count())

    # --- documents and their content -----------------------------------------------------------
    def make_documents(self):
        t = time.perf_counter()
        rng = self.rng
        Y = self.year
        years = list(range(Y, Y - 6, -1))
        year_weights = [(Y, 30), (Y - 1, 25)] + [(y, 11.25) for y in years[2:]]
        doc_id = self.loader.next_id(Document)
        self.docs = []
        per_district = _split(self.size["documents"], len(self.districts))
        for district, n_docs in zip(self.districts, per_district):
            ts = district["training_school"]
            schools = district["schools"]
            plan = []
            for y in years[:min(6, n_docs)]:
                plan.append(("annual_plan", ts, y, "approved"))
            rest = n_docs - len(plan)
            n_school_plans = min(round(rest * 0.3), len(schools) * 6)
            pairs = [(school, y) for y in years for school in schools][:n_school_plans]
            for school, y in pairs:
                plan.append(("school_plan", school, y, None))
            forced = ["initial_review", "initial_review", "expert_review", "filing", "returned", "initial_review"]
            for k in range(rest - n_school_plans):
                org = ts if rng.random() < 0.3 else rng.choice(schools)
                if district["index"] == 0 and k < len(forced):
                    plan.append(("project_proposal", schools[0] if k % 2 else ts, Y, forced[k]))
                else:
                    plan.append(("project_proposal", org, _weighted(rng, year_weights), None))
            for kind, org, y, status in plan:
                if status is None:
                    status = _weighted(rng, RECENT_STATUS_WEIGHTS if y >= Y - 1 else OLD_STATUS_WEIGHTS)
                is_ts = org["kind"] == "training_school"
                author = rng.choice(district["training_officers"]) if is_ts else org["officer"]
                self.docs.append({
                    "id": doc_id, "kind": kind, "org": org, "district": district, "year": y, "status": status,
                    "author": author, "is_ts": is_ts, "version": 0, "filing_number": None, "filed_at": None,
                })
                doc_id += 1
        # Titles and kind-specific content.
        texts = _demo_texts()
        sections = texts.get("sections", {k: "（略）" for k in AnnualPlan.SECTIONS})
        planned = texts.get("planned", [(n, f"培训项目{n}", 50, ["concentrated"], (n % 12) + 1, "进修学校")
                                        for n in range(1, 15)])
        significance = texts.get("significance", "提高教师综合素质。")
        objectives = texts.get("objectives", "每位教师每学年不少于50学时。")
        assessment = texts.get("assessment", "累计缺席5个学时以上，不认定当年度学分。")
        year_blocks = texts.get("year_blocks", [("师德师风、现代教育理论", "专题讲座式")] * 5)
        topics = ["小学语文学科素养提升培训", "初中数学课堂教学能力提升", "班主任工作能力提升研修", "信息技术与学科融合应用",
                  "心理健康教育专题培训", "新课标解读与单元教学设计", "幼儿园游戏活动观察与指导", "师德师风专题研修"]
        annual, projects, school_plans, blocks, proposals = [], [], [], [], []
        pp_id = self.loader.next_id(PlannedProject)
        spy_id = self.loader.next_id(SchoolPlanYear)
        self.annual_content = {"detail": sections, "projects": [
            {"sequence": n, "name": name, "headcount": hc, "all_staff": hc is None, "modes": [str(m) for m in modes],
             "month": month, "location": loc} for n, name, hc, modes, month, loc in planned]}
        for doc in self.docs:
            org, y = doc["org"], doc["year"]
            if doc["kind"] == "annual_plan":
                doc["title"] = f"{doc['district']['name']}{y}年教师培训工作计划"
                annual.append((doc["id"], *[sections.get(k, "") for k in AnnualPlan.SECTIONS]))
                for n, name, hc, modes, month, loc in planned:
                    location = loc if isinstance(loc, str) else ""
                    projects.append((pp_id, doc["id"], n, name, hc, hc is None,
                                     json.dumps([str(m) for m in modes]), month, location[:100]))
                    pp_id += 1
            elif doc["kind"] == "school_plan":
                doc["title"] = f"{org['name']}{y}学年校本培训实施方案"
                school_plans.append((doc["id"], significance, objectives, 60, "校长", "副校长", "教导主任、教研组长",
                                     "办公室设在教导处。", json.dumps(["lecture", "self_study"]),
                                     json.dumps(["ethics", "teaching_methods"]), assessment,
                                     Decimal("5500.00")))
                for k in range(5):
                    content, forms = year_blocks[k % len(year_blocks)]
                    blocks.append((spy_id, doc["id"], y + k, content, forms, 60))
                    spy_id += 1
            else:
                topic = rng.choice(topics)
                doc["title"] = f"{org['name']}{topic}（{y}）"
                start = rng.randint(3, 11)
                doc["months"] = (start, min(12, start + rng.choice((0, 0, 1, 2))))
                doc["hours"] = rng.choice((12, 18, 24, 36))
                doc["headcount"] = rng.choice((30, 50, 80, 120))
                doc["modes"] = rng.choice((["concentrated"], ["online", "concentrated"], ["practice"]))
                proposals.append((doc["id"], org["name"], "全区相关学科教师" if doc["is_ts"] else "本校教师",
                                  doc["headcount"], json.dumps(doc["modes"]), doc["months"][0], doc["months"][1],
                                  "教师进修学校" if doc["is_ts"] else "本校报告厅", doc["hours"],
                                  json.dumps(["subject_teaching"]), "专家讲座+同课异构+研讨交流。",
                                  Decimal("12000.00")))
        self.detail_rows = (annual, projects, school_plans, blocks, proposals)
        self.doc_build_seconds = time.perf_counter() - t

    # --- review processes, tasks, trail ----------------------------------------------------------
    def make_workflow(self):
        t = time.perf_counter()
        wb = _Workflow(self)
        for doc in self.docs:
            if doc["status"] != "draft":
                wb.story(doc)
            else:
                doc["created_at"] = self.at(datetime.date(doc["year"], 1, 1)) + datetime.timedelta(
                    days=self.rng.uniform(0, 300))
                if doc["created_at"] > self.now:
                    doc["created_at"] = self.now - datetime.timedelta(days=self.rng.uniform(1, 30))
                doc["updated_at"] = doc["created_at"]
        build = time.perf_counter() - t + self.doc_build_seconds
        docs = [(d["id"], d["kind"], d["org"]["id"], d["year"], d["title"][:200], d["status"], d["version"],
                 d["filing_number"], d["filed_at"], d["author"], d["created_at"], d["updated_at"]) for d in self.docs]
        L = self.loader
        L.copy(Document, ["id", "kind", "organisation_id", "year", "title", "status", "version", "filing_number",
                             "filed_at", "created_by_id", "created_at", "updated_at"], docs, build * 0.2)
        annual, projects, school_plans, blocks, proposals = self.detail_rows
        L.copy(AnnualPlan, ["document_id", *AnnualPlan.SECTIONS], annual)
        L.copy(PlannedProject, ["id", "plan_id", "sequence", "name", "headcount", "all_staff", "modes", "month",
                                "location"], projects)
        L.copy(SchoolPlan, ["document_id", "significance", "objectives", "hours_per_teacher", "group_leader",
                            "group_deputies", "group_members", "office", "forms", "topics", "assessment",
                            "annual_budget"], school_plans)
        L.copy(SchoolPlanYear, ["id", "plan_id", "start_year", "content", "forms", "hours"], blocks)
        L.copy(ProjectProposal, ["document_id", "organiser", "target_group", "headcount", "modes", "start_month",
                                 "end_month", "location", "hours", "content_modules", "design", "budget"], proposals)
        L.copy(DocumentVersion, ["id", "document_id", "number", "content", "submitted_by_id", "submitted_at"],
               wb.versions, build * 0.1)
        L.copy(Process, PROCESS_COLUMNS, wb.processes, build * 0.1)
        L.copy(ReviewProcess, ["process_ptr_id", "document_id", "decision"], wb.review_processes)
        L.copy(Task, TASK_COLUMNS, wb.tasks, build * 0.3)
        L.copy(Task.previous.through, ["id", "from_task_id", "to_task_id"], wb.previous)
        L.copy(TaskDue, ["task_id", "due_date"], wb.due)
        L.copy(TrailEntry, ["id", "document_id", "version", "step", "decision", "actor_id", "comment", "score",
                            "task_id", "created_at"], wb.trail, build * 0.2)
        L.copy(ExpertAssignment, ["id", "process_id", "version", "expert_id", "assigned_by_id", "assigned_at"],
               wb.assignments)
        L.copy(DocumentUserObjectPermission, ["id", "permission_id", "user_id", "content_object_id"],
               wb.grants, build * 0.1)
        self.workflow = wb

    # --- schedule -----------------------------------------------------------------------------------
    def make_schedule(self):
        t = time.perf_counter()
        rows = []
        sp_id = self.loader.next_id(ScheduledProject)
        self.projects = []
        planned = self.annual_content["projects"]
        today = self.today
        for doc in self.docs:
            if doc["status"] != "approved" or doc["kind"] not in ("annual_plan", "project_proposal"):
                continue
            district, org, y = doc["district"], doc["org"], doc["year"]
            if doc["kind"] == "annual_plan":
                specs = [(p["sequence"], p["name"], None, "", p["headcount"], p["all_staff"], p["modes"],
                          p["month"], p["month"], p["location"] or "", 24, "") for p in planned]
            else:
                school = org if org["kind"] in ("school", "kindergarten") else None
                specs = [(1, doc["title"][:200], school, school["stage"] if school else "", doc["headcount"], False,
                          doc["modes"], doc["months"][0], doc["months"][1],
                          "本校报告厅" if school else "教师进修学校", doc["hours"],
                          "本校教师" if school else "全区相关学科教师")]
            for seq, name, open_to, stage, headcount, all_staff, modes, start, end, location, hours, target in specs:
                finished = y < today.year or (y == today.year and end < today.month)
                project = {"id": sp_id, "district": district, "year": y, "start": start, "end": end,
                           "organiser": org, "open_to": open_to, "hours": hours, "finished": finished,
                           "modes": modes, "headcount": headcount}
                self.projects.append(project)
                rows.append((sp_id, district["id"], doc["id"], seq, y, name, org["id"],
                             open_to["id"] if open_to else None, target, stage, "", headcount, all_staff,
                             json.dumps(modes), start, end, location[:100], hours,
                             "finished" if finished else "scheduled", doc["filed_at"] or doc["updated_at"]))
                sp_id += 1
        self.loader.copy(ScheduledProject, ["id", "district_id", "source_id", "sequence", "year", "name", "organiser_id",
                                            "open_to_id", "target_group", "stage", "subject", "headcount", "all_staff",
                                            "modes", "start_month", "end_month", "location", "hours", "status",
                                            "created_at"], rows, time.perf_counter() - t)

    # --- sessions, enrolments, attendance ------------------------------------------------------------
    def make_attendance(self):
        t = time.perf_counter()
        rng = self.rng
        today = self.today
        sy = today.year if today.month >= 8 else today.year - 1  # the school year we are in
        session_id = self.loader.next_id(Session)
        enrol_id = self.loader.next_id(Enrolment)
        mark_id = self.loader.next_id(Attendance)
        sessions, enrolments, marks, runs = [], [], [], []
        self.enrolled = defaultdict(list)  # project id → teacher ids (confirmed)
        self.project_sessions = defaultdict(list)
        marks_total = self.size["marks"]
        teachers_total = self.size["teachers"]
        # School-based: six sessions a school over two school years (60% of the marks).
        sb_per_school = max(2, round(0.6 * marks_total / teachers_total))
        last_year_days = [datetime.date(sy - 1, 10, 15), datetime.date(sy - 1, 12, 10), datetime.date(sy, 4, 20)]
        first = datetime.date(sy, 9, 1) if today >= datetime.date(sy, 9, 8) else datetime.date(sy, 8, 1)
        span = max(1, (today - first).days - 1)
        this_year_n = max(1, sb_per_school - len(last_year_days))
        this_year_days = [first + datetime.timedelta(days=span * (k + 1) // (this_year_n + 1))
                          for k in range(this_year_n)]
        school_plan_of = {}
        for doc in self.docs:
            if doc["kind"] == "school_plan":
                best = school_plan_of.get(doc["org"]["id"])
                if best is None or (doc["status"] == "approved", doc["year"]) > (best["status"] == "approved",
                                                                                best["year"]):
                    school_plan_of[doc["org"]["id"]] = doc
        start_t, end_t = datetime.time(14, 30), datetime.time(16, 30)
        for district in self.districts:
            for school in district["schools"]:
                plan = school_plan_of.get(school["id"])
                if plan is None:
                    continue
                active = [tid for tid, is_active in school["teachers"] if is_active]
                for k, day in enumerate(last_year_days + this_year_days):
                    sessions.append((session_id, None, plan["id"], school["id"], f"校本研修第{k + 1}次", day,
                                     start_t, end_t, Decimal("2.0"), "会议室", False, f"{session_id:032x}"))
                    if day <= today:
                        marker = school["officer"]
                        stamp = self.at(day, 17)
                        for tid in active:
                            marks.append((mark_id, session_id, tid, _weighted(rng, MARK_WEIGHTS), "roll_call",
                                          marker, stamp))
                            mark_id += 1
                    session_id += 1
        school_marks = len(marks)
        # Projects of this and last year that have started: two sessions each, and
        # enough confirmed enrolments to bring the marks to the target.
        recent = [p for p in self.projects if p["year"] in (today.year - 1, today.year)
                  and (p["year"] < today.year or p["start"] <= today.month)]
        budget = max(0, marks_total - school_marks)
        per_project = max(1, round(budget / 2 / len(recent))) if recent else 0
        district_teachers = {d["id"]: [tid for s in d["schools"] for tid, a in s["teachers"] if a]
                             for d in self.districts}
        p_start = datetime.time(9, 0)
        for project in recent:
            district = project["district"]
            pool = ([tid for tid, a in project["open_to"]["teachers"] if a] if project["open_to"]
                    else district_teachers[district["id"]])
            n = min(len(pool), per_project, project["headcount"] or per_project)
            chosen = rng.sample(pool, n) if n else []
            decider = district["training_officers"][0]
            runs.append((project["id"], None, None, False, 80))
            days = [datetime.date(project["year"], project["start"], 10),
                    datetime.date(project["year"], project["end"], 20)]
            for k, day in enumerate(days):
                hours = Decimal(project["hours"] or 6) / 2
                hours = min(Decimal(12), hours)
                sessions.append((session_id, project["id"], None, project["organiser"]["id"], f"第{k + 1}次集中培训",
                                 day, p_start, datetime.time(min(21, 9 + int(hours))), hours, "报告厅", False,
                                 f"{session_id:032x}"))
                self.project_sessions[project["id"]].append((session_id, day, hours))
                if day <= today:
                    stamp = self.at(day, 12)
                    for tid in chosen:
                        marks.append((mark_id, session_id, tid, _weighted(rng, MARK_WEIGHTS), "roll_call",
                                      decider, stamp))
                        mark_id += 1
                session_id += 1
            created = self.at(datetime.date(project["year"], project["start"], 1))
            for tid in chosen:
                enrolments.append((enrol_id, project["id"], tid, "confirmed", decider, created, decider, created))
                enrol_id += 1
            self.enrolled[project["id"]] = chosen
        build = time.perf_counter() - t
        L = self.loader
        L.copy(Session, ["id", "project_id", "school_plan_id", "organisation_id", "title", "date", "start_time",
                         "end_time", "hours", "place", "online", "secret"], sessions, build * 0.1)
        L.copy(ProjectRun, ["project_id", "quota", "per_school_quota", "self_enrolment", "min_attendance_percent"],
               runs)
        L.copy(Enrolment, ["id", "project_id", "teacher_id", "status", "created_by_id", "created_at",
                           "decided_by_id", "decided_at"], enrolments, build * 0.1)
        L.copy(Attendance, ["id", "session_id", "teacher_id", "status", "source", "marked_by_id", "marked_at"],
               marks, build * 0.8)
        self.school_year = sy

    # --- credits ------------------------------------------------------------------------------------
    def make_credits(self):
        t = time.perf_counter()
        rows = []
        entry_id = self.loader.next_id(CreditEntry)
        stamp = self.now
        for project in self.projects:
            if not project["finished"]:
                continue
            chosen = self.enrolled.get(project["id"])
            if not chosen:
                continue
            hours = Decimal(project["hours"] or 6)
            credits = (hours / 10).quantize(Decimal("0.01"))
            day = datetime.date(project["year"], project["end"], 25)
            for tid in chosen:
                rows.append((entry_id, tid, project["year"], day, "project", "concentrated", "county",
                             "区级集中培训", hours, credits, credits, self.rule_set_id, "集中培训10学时计1学分", "",
                             project["id"], None, stamp))
                entry_id += 1
        sy = self.school_year - 1
        day = datetime.date(sy + 1, 7, 15)
        for district in self.districts:
            for school in district["schools"]:
                for tid, active in school["teachers"]:
                    if active:
                        rows.append((entry_id, tid, sy + 1, day, "school_based", "school_based", "school",
                                     f"{sy}–{sy + 1}学年校本培训", Decimal("6.0"), Decimal("0.60"),
                                     Decimal("0.60"), self.rule_set_id, "校本培训10学时计1学分", "", None, None,
                                     stamp))
                        entry_id += 1
        self.loader.copy(CreditEntry, ["id", "teacher_id", "credit_year", "occurred_on", "source", "activity", "level",
                                       "description", "hours", "raw_credits", "credits", "rule_set_id", "rule_text",
                                       "note", "project_id", "declaration_id", "created_at"], rows, time.perf_counter() - t)

    # --- spot checks (province mode) -------------------------------------------------------------------
    def make_spot_checks(self):
        """Each district's draw of 20 % of last year's and this year's projects, as
        schedule.services draws it (seed recorded); last year's items all checked, this
        year's those of finished projects."""
        from schedule.models import SpotCheck, SpotCheckItem
        from schedule.services import spot_check_sample

        t = time.perf_counter()
        check_id, item_id = self.loader.next_id(SpotCheck), self.loader.next_id(SpotCheckItem)
        checks, items = [], []
        by_key = defaultdict(list)
        for project in self.projects:
            by_key[(project["district"]["id"], project["year"])].append(project)
        for district in self.districts:
            officer = district["bureau_officers"][0]
            for year in (self.year - 1, self.year):
                projects = by_key.get((district["id"], year))
                if not projects:
                    continue
                seed = self.rng.randrange(1, 2**62)
                ids = sorted(p["id"] for p in projects)
                drawn = self.at(datetime.date(year, 3, 1))
                checks.append((check_id, district["id"], year, 20, seed, len(ids), json.dumps(ids), officer, drawn,
                               None, None, ""))
                finished = {p["id"] for p in projects if p["finished"]}
                for pid in spot_check_sample(ids, seed=seed, share_percent=20):
                    done = year < self.year or pid in finished
                    items.append((item_id, check_id, pid, "按计划实施，签到及考核材料齐全。" if done else "",
                                  officer if done else None, self.at(datetime.date(year, 12, 1)) if done else None))
                    item_id += 1
                check_id += 1
        build = time.perf_counter() - t
        self.loader.copy(SpotCheck, ["id", "district_id", "year", "share_percent", "seed", "population",
                                     "population_ids", "created_by_id", "created_at", "cancelled_at",
                                     "cancelled_by_id", "cancel_reason"], checks, build / 2)
        self.loader.copy(SpotCheckItem, ["id", "spot_check_id", "project_id", "findings", "checked_by_id",
                                         "checked_at"], items, build / 2)

    # --- notices ----------------------------------------------------------------------------------
    def make_notices(self):
        try:
            from notices.models import Notice
        except Exception:
            self.log("  (no notices app: no notices written)")
            return
        wanted = ["id", "user_id", "kind", "title", "url", "created_at", "read_at", "dedup_key"]
        if sorted(wanted) != sorted(f.column for f in Notice._meta.concrete_fields):
            self.log("  (notices.Notice has other columns than expected: no notices written)")
            return
        self.loader.copy(Notice, wanted, self.workflow.notices(self.loader.next_id(Notice)))

    # --- what the benchmark logs in as and opens -----------------------------------------------
    def targets(self) -> dict:
        d = self.districts[0]
        big = d["schools"][0]
        annual = [doc for doc in self.docs if doc["district"] is d and doc["kind"] == "annual_plan"
                  and doc["status"] == "approved"]
        annual.sort(key=lambda doc: doc["year"], reverse=True)
        months = defaultdict(int)
        for p in self.projects:
            if p["district"] is d and p["year"] == self.year:
                for m in range(p["start"], p["end"] + 1):
                    months[m] += 1
        month = max(months, key=lambda m: (months[m], -m)) if months else 5
        queue = sum(1 for doc in self.docs if doc["district"] is d and doc.get("queue") == "training_school")
        return {
            "password": PASSWORD,
            "training_officer": self.users[d["training_officers"][0]]["username"],
            "bureau_officer": self.users[d["bureau_officers"][0]]["username"],
            "school_officer": self.users[big["officer"]]["username"],
            "school_id": big["id"],
            "school_teachers": len(big["teachers"]),
            "document_id": annual[0]["id"] if annual else self.docs[0]["id"],
            "year": self.year,
            "month": month,
            "month_projects": months.get(month, 0),
            "queue_size": queue,
            "district_documents": sum(1 for doc in self.docs if doc["district"] is d),
            "size": self.size,
            **(self.regional_targets() if self.province else {}),
        }

    def regional_targets(self) -> dict:
        """Province mode: the officers and the regions the roll-up benchmark opens (the first
        district, its city: the one with the most districts, and the province)."""
        d = self.districts[0]
        city = d["city"]
        return {
            "province_officer": self.users[self.province_row["officer"]]["username"],
            "city_officer": self.users[city["officer"]]["username"],
            "province_id": self.province_row["id"],
            "city_id": city["id"],
            "city_name": city["name"],
            "city_districts": len(city["districts"]),
            "district_id": d["id"],
            "district_name": d["name"],
            "district_ids": [x["id"] for x in self.districts],
            "school_year": self.school_year,
        }


class _Workflow:
    """Rows of the review flow for each submitted document, as the real flow writes them."""

    def __init__(self, gen: Generator):
        self.gen = gen
        self.rng = gen.rng
        L = gen.loader
        self.next = {
            "process": L.next_id(Process), "task": L.next_id(Task), "trail": L.next_id(TrailEntry),
            "version": L.next_id(DocumentVersion), "previous": L.next_id(Task.previous.through),
            "assignment": L.next_id(ExpertAssignment), "grant": L.next_id(DocumentUserObjectPermission),
        }
        self.processes, self.review_processes, self.tasks, self.previous, self.due = [], [], [], [], []
        self.trail, self.versions, self.assignments, self.grants = [], [], [], []
        self.granted = set()
        self.human = []  # (task id, process id, node, owner, perm, org id, created, open, document)
        self.outcomes = []  # (document, status, time)
        self.view_perm = gen.perm_ids["view_document"]
        self.content = {}

    def _id(self, key):
        value = self.next[key]
        self.next[key] += 1
        return value

    # --- one document ---
    def story(self, doc):
        rng, gen = self.rng, self.gen
        status = doc["status"]
        open_ = status in ("initial_review", "expert_review", "filing", "returned")
        plan = {
            "initial_review": ["initial:" + rng.choice(["new", "new", "claimed"])],
            "expert_review": ["initial:approve", "experts:" + rng.choice(["1", "2"])],
            "filing": ["initial:approve", "experts:0", "filing:" + rng.choice(["new", "new", "new", "claimed"])],
            "returned": (["initial:return", "revise:open"] if rng.random() < 0.7
                         else ["initial:approve", "experts:disagree", "revise:open"]),
            "approved": (["initial:return", "revise:done"] if rng.random() < 0.2 else [])
            + ["initial:approve", "experts:0", "filing:approve", "end:approved"],
            "rejected": ["initial:reject", "end:rejected"],
        }[status]
        if doc["kind"] == "annual_plan":
            plan = ["initial:approve", "experts:0", "filing:approve", "end:approved"]
        steps = 2 + 2 * len(plan)
        if open_:
            # The last event lies 0-20 days back, so some open tasks are overdue.
            end = gen.now - datetime.timedelta(days=rng.uniform(0.2, 20))
            self.t = end - datetime.timedelta(days=2 * steps)
        else:
            self.t = gen.at(datetime.date(doc["year"], 1, 1)) + datetime.timedelta(days=rng.uniform(10, 250))
            if self.t + datetime.timedelta(days=2 * steps) > gen.now:
                self.t = gen.now - datetime.timedelta(days=2 * steps + rng.uniform(1, 10))
        doc["created_at"] = self.t - datetime.timedelta(days=rng.uniform(1, 10))
        district = doc["district"]
        self.doc = doc
        self.reviewer_org = district["bureau"] if doc["is_ts"] else district["training_school"]
        self.reviewer = rng.choice(district["bureau_officers"] if doc["is_ts"] else district["training_officers"])
        self.filer = rng.choice(district["bureau_officers"])
        self.pid = self._id("process")
        self.version = 1
        self.decision = ""
        self.prev = []
        self.process_open = True
        created = self.t
        self.submit(doc["author"], first=True)
        for step in plan:
            what, _, how = step.partition(":")
            getattr(self, what)(how)
        self.processes.append((self.pid, FLOW, "NEW" if self.process_open else "DONE", created,
                               None if self.process_open else self.t, "{}", None, None, None, None, None))
        self.review_processes.append((self.pid, doc["id"], self.decision))
        doc["version"] = self.version
        doc["updated_at"] = self.t

    def tick(self, low=0.3, high=2.5):
        self.t += datetime.timedelta(days=self.rng.uniform(low, high))

    def task(self, node, kind, status, *, owner=None, perm=None, perm_obj=None, token="start", data="{}",
             created=None, started=None, finished=None, prev=None):
        tid = self._id("task")
        created = created or self.t
        self.tasks.append((tid, f"{FLOW}.{node}", kind, status, created, None, started, finished, None, token, None,
                           owner, perm, self.gen.org_ct if perm else None, str(perm_obj) if perm else None,
                           self.pid, data, None, None, None, None))
        for p in (self.prev if prev is None else prev):
            self.previous.append((self._id("previous"), tid, p))
        if kind == "HUMAN":
            self.due.append((tid, (created + datetime.timedelta(days=STEP_DAYS[node])).date()))
            self.human.append((tid, self.pid, node, owner, perm, perm_obj, created,
                               status in ("NEW", "ASSIGNED", "STARTED"), self.doc))
        return tid

    def record(self, step, decision, actor, task=None, comment="", score=None, when=None):
        self.trail.append((self._id("trail"), self.doc["id"], self.version, step, decision, actor, comment, score,
                           task, when or self.t))

    def submit(self, author, first=False):
        doc = self.doc
        if first:
            tid = self.task("start", "START", "DONE", started=self.t, finished=self.t, prev=[])
            self.prev = [tid]
            self.record("submit", "submit", author)
        content = self.content.get(doc["kind"])
        if content is None:
            content = self.content[doc["kind"]] = self._content(doc["kind"])
        self.versions.append((self._id("version"), doc["id"], self.version,
                              '{"title": %s, "year": %d, %s' % (json.dumps(doc["title"]), doc["year"], content),
                              author, self.t))

    def _content(self, kind):
        gen = self.gen
        if kind == "annual_plan":
            return json.dumps(gen.annual_content)[1:]
        if kind == "school_plan":
            return json.dumps({"detail": {"hours_per_teacher": 60, "group_leader": "校长"},
                               "years": [{"start_year": 0, "content": "师德师风", "forms": "专题讲座式", "hours": 60}]})[1:]
        return json.dumps({"detail": {"target_group": "本校教师", "hours": 24, "design": "专家讲座+同课异构。"}})[1:]

    def _human_step(self, node, perm, org, actor, how, approve_comment):
        """initial_review or filing: new (queue), claimed, or decided."""
        created = self.t
        if how == "new":
            self.task(node, "HUMAN", "NEW", perm=perm, perm_obj=org["id"])
            self.doc["queue"] = org["kind"]
            return None
        self.tick()
        claimed = self.t
        if how == "claimed":
            tid = self.task(node, "HUMAN", "ASSIGNED", owner=actor, perm=perm, perm_obj=org["id"], created=created)
            self.record(node, "claim", actor, tid)
            return None
        self.tick()
        tid = self.task(node, "HUMAN", "DONE", owner=actor, perm=perm, perm_obj=org["id"], created=created,
                        started=claimed, finished=self.t)
        self.record(node, "claim", actor, tid, when=claimed)
        comments = {"approve": approve_comment, "return": "请补充培训考核办法和经费预算明细后重新提交。",
                    "reject": "项目与区级培训内容重复，且经费超出学校年度培训经费，不予通过。"}
        self.record(node, how, actor, tid, comments[how])
        self.decision = how
        self.prev = [tid]
        return tid

    def initial(self, how):
        tid = self._human_step("initial_review", "accounts.review_initial", self.reviewer_org, self.reviewer, how,
                               "材料齐全，结构完整，提交专家会审。")
        if tid is not None:
            self.prev = [self.task("after_initial_review", "SWITCH", "DONE", finished=self.t)]

    def experts(self, how):
        district = self.doc["district"]
        pool = district["experts"]
        first = self.rng.randrange(len(pool))
        chosen = [pool[first], pool[(first + 1) % len(pool)]]
        split = self.task("expert_split", "PARALLEL_GATEWAY", "DONE", finished=self.t)
        for expert in chosen:
            self.assignments.append((self._id("assignment"), self.pid, self.version, expert, self.reviewer, self.t))
            if (expert, self.doc["id"]) not in self.granted:
                self.granted.add((expert, self.doc["id"]))
                self.grants.append((self._id("grant"), self.view_perm, expert, self.doc["id"]))
        open_count = int(how) if how.isdigit() else 0
        created = self.t
        done = []
        for n, expert in enumerate(chosen):
            token, data = f"start/{split}_{n + 1}", json.dumps({"expert_id": expert})
            if n >= len(chosen) - open_count:
                self.task("expert_review", "HUMAN", "ASSIGNED", owner=expert, token=token, data=data,
                          created=created, prev=[split])
                continue
            self.tick()
            tid = self.task("expert_review", "HUMAN", "DONE", owner=expert, token=token, data=data,
                            created=created, started=created, finished=self.t, prev=[split])
            disagree = how == "disagree" and n == 0
            opinion = "disagree" if disagree else self.rng.choice(["agree", "agree", "agree_with_changes"])
            self.record("expert_review", opinion, expert, tid,
                        "培训目标不明确，建议重新论证。" if disagree else "方案可行，同意。",
                        self.rng.randint(60, 79) if disagree else self.rng.randint(80, 95))
            done.append(tid)
        join = self.task("expert_join", "JOIN", "STARTED" if open_count else "DONE",
                         started=created, finished=None if open_count else self.t, prev=done)
        if open_count:
            return
        self.prev = [self.task("after_expert_review", "EXCLUSIVE_GATEWAY", "DONE", finished=self.t, prev=[join])]

    def filing(self, how):
        doc = self.doc
        district = doc["district"]
        number = None
        if how == "approve":
            district["filed"] = district.get("filed", defaultdict(int))
            district["filed"][doc["year"]] += 1
            number = f"{district['prefix']}〔{doc['year']}〕{district['filed'][doc['year']]}号"
        tid = self._human_step("filing", "accounts.file_document", district["bureau"], self.filer, how,
                               f"备案号：{number}")
        if tid is not None:
            if how == "approve":
                doc["filing_number"], doc["filed_at"] = number, self.t
            self.prev = [self.task("after_filing", "SWITCH", "DONE", finished=self.t)]

    def revise(self, how):
        author = self.doc["author"]
        created = self.t
        if how == "open":
            self.task("revise", "HUMAN", "ASSIGNED", owner=author)
            self.gen_outcome("returned")
            return
        self.gen_outcome("returned")
        self.tick(1, 6)
        tid = self.task("revise", "HUMAN", "DONE", owner=author, created=created, started=created, finished=self.t)
        self.version += 1
        self.record("revise", "resubmit", author, tid, "已按初审意见修改。")
        self.submit(author)
        self.prev = [tid]

    def end(self, how):
        self.task(how, "END", "DONE", finished=self.t)
        self.process_open = False
        self.gen_outcome(how)

    def gen_outcome(self, status):
        self.outcomes.append((self.doc, status, self.version, self.t))

    # --- notices: one per new task (its owner, or everyone who may claim it) and per outcome ---
    def notices(self, first_id):
        gen = self.gen
        reviewers = {}
        for d in gen.districts:
            reviewers[("accounts.review_initial", d["training_school"]["id"])] = d["training_officers"]
            reviewers[("accounts.review_initial", d["bureau"]["id"])] = d["bureau_officers"]
            reviewers[("accounts.file_document", d["bureau"]["id"])] = d["bureau_officers"]
        nid = first_id
        for tid, pid, node, owner, perm, org_id, created, is_open, doc in self.human:
            if node == "revise":
                continue
            users = [owner] if owner else reviewers.get((perm, org_id), [])
            title = f"新任务：{STEP_TITLES[node]}「{doc['title']}」"[:300]
            url = f"/workflow/review/reviewflow/{pid}/{node}/{tid}/"
            for user in users:
                yield (nid, user, "task_created", title, url, created, None if is_open else created,
                       f"task-created:{tid}")
                nid += 1
        labels = {"returned": "退回修改", "approved": "已备案", "rejected": "不予通过"}
        for doc, status, version, when in self.outcomes:
            yield (nid, doc["author"], status, f"「{doc['title']}」{labels[status]}"[:300],
                   f"/documents/{doc['id']}/", when, when + datetime.timedelta(days=1) if when < gen.now
                   - datetime.timedelta(days=3) else None, f"document-{status}:{doc['id']}:{version}")
            nid += 1
