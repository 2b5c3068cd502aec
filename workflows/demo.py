"""Demo data for `make run`: one user per role, the plan, and the plan's agreements as records in their states.

Idempotent: users, counterparts and agreements that exist are left alone, so running it twice changes nothing.
Past agreements are imported with their dates (agreement_import); the ones still in progress run through the
real procedure (workflows.services), so their tasks sit in the demo users' inboxes.
"""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from agreements.activities.demo import seed_activities
from agreements.common import dates
from agreements.common.roles import Role
from agreements.models import Action, Agreement, Counterpart, OpinionKind, Profile, Sector, Status
from agreements.plan.services import DEFAULT_PLAN_PATH, load_plan, read_plan_file
from agreements.records import services
from workflows import completion
from workflows import services as wf
from workflows.selectors import open_tasks_of as open_tasks

DEMO_USERS = [
    # username, role, DG code, full name
    ("redattore", Role.DRAFTER, None, "Giulia Ferri"),
    ("dirigente", Role.DIRECTOR, None, "Marco Bassi"),
    ("segreteria", Role.SECRETARIAT, None, "Anna Rinaldi"),
    ("referente-agri", Role.DG_REFERENT, "dg-agri", "Paolo Conti"),
    ("referente-crli", Role.DG_REFERENT, "dg-crli", "Sara Gallo"),
    ("osservatore", Role.OBSERVER, None, "Luca Moretti"),
    ("amministratore", Role.ADMIN, None, "Elena Fabbri"),
]

# Days of month are not in the plan ("aprile 2022"): the first of the month stands for it, and the record says so.
PLAN_DATE_NOTE = "Date dal piano operativo 2022-2023, indicative al mese."


def _month(value) -> datetime.date | None:
    if not value:
        return None
    parts = [int(p) for p in str(value).split("-")]
    return datetime.date(parts[0], parts[1] if len(parts) > 1 else 1, 1)


def ensure_users() -> list[tuple[str, str, str]]:
    """Create the demo users that do not exist; return (username, role, password) for the new ones."""
    User = get_user_model()
    created = []
    for username, role, dg_code, full_name in DEMO_USERS:
        if User.objects.filter(username=username).exists():
            continue
        password = secrets.token_urlsafe(9)
        first, last = full_name.split(" ", 1)
        user = User.objects.create_user(username=username, password=password, email=f"{username}@regione.example.it",
                                        first_name=first, last_name=last)
        user.groups.add(Group.objects.get(name=role))
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if dg_code:
            Profile.objects.update_or_create(user=user, defaults={"dg": Sector.objects.get(code=dg_code)})
        created.append((username, role, password))
    return created


def _counterpart(data) -> Counterpart:
    counterpart, _ = Counterpart.objects.get_or_create(
        name=data["name"],
        defaults={"name_local": data.get("name_local") or "", "country": data["country"],
                  "country_code": data.get("country_code", ""), "type": data["type"],
                  "language": data.get("language", "")},
    )
    return counterpart


def _common(entry, plan_code):
    return {
        "counterpart": _counterpart(entry["counterpart"]),
        "dgs": list(Sector.objects.filter(code__in=entry.get("sectors") or [], is_dg=True)),
        "plan_actions": list(Action.objects.filter(plan__code=plan_code, number=entry["plan_action"])),
    }


def _languages(entry):
    return ["it", entry["counterpart"].get("language") or "en"]


def _through_start(agreement, director):
    """The steps before the text, as the law wants them: the qualification of a memorandum (as the plan marks it),
    the initial informativa to the Assembly, the notice of negotiations for an accordo with a State."""
    secretariat = get_user_model().objects.get(username="segreteria")
    today = dates.today()
    steps = {
        "qualify": (director, {"creates_commitments": "1" if agreement.binding else "0",
                               "reason": "Qualificazione dal piano operativo."}),
        "inform_assembly_start": (secretariat, {"date": today, "protocol": "AL/DEMO"}),
        "notify_negotiations": (secretariat, {"date": today, "protocol": "MAECI/DEMO", "criteria": ""}),
    }
    while (task := open_tasks(agreement).first()) is not None and task.flow_task.name in steps:
        actor, data = steps[task.flow_task.name]
        completion.task_complete(task=task, actor=actor, data=data)


@transaction.atomic
def seed_agreements(path=DEFAULT_PLAN_PATH) -> list[str]:
    """Bring the plan's agreements into the database once; return the references created."""
    User = get_user_model()
    drafter, director = (User.objects.get(username=u) for u in ("redattore", "dirigente"))
    created = []
    data = read_plan_file(path)
    for entry in data.get("agreements", []):
        if not entry.get("kind"):
            _counterpart(entry["counterpart"])  # an existing partnership: a counterpart, no agreement to record
            continue
        title = entry["name"]
        if Agreement.objects.filter(title=title).exists() or Agreement.objects.filter(
            title=f"Rinnovo: {title}"
        ).exists():
            continue
        common = _common(entry, data["plan"]["code"])
        languages = _languages(entry)
        entry_into_force = _month(entry.get("entry_into_force") or entry.get("planned_signature"))
        if entry_into_force and entry_into_force.year <= 2022:
            # Concluded in the plan's first year: a record in force with its dates.
            agreement = services.agreement_import(
                actor=None, title=title, kind=entry["kind"], status=Status.IN_FORCE,
                year=entry_into_force.year, notes=PLAN_DATE_NOTE, languages=languages,
                authentic_languages=languages, subject_areas=entry.get("subject_areas") or [],
                drafted_by=drafter, director=director, signed_on=entry_into_force,
                entry_into_force=entry_into_force, duration_months=entry.get("duration_months"),
                end_date=_month(entry.get("end_date")), **common,
            )
            created.append(agreement.reference)
            if agreement.end_date and agreement.end_date < dates.today():
                # Past its end: the renewal was started (through the whole procedure) and the old one expired.
                renewal = wf.renewal_start(agreement=agreement, actor=drafter)
                services.agreements_expire(today=dates.today())
                created.append(renewal.reference)
        else:
            # Still in the procedure: a real proposal, negotiated, now in DG consultation.
            agreement = wf.proposal_start(
                actor=drafter, title=title, kind=entry["kind"], languages=languages,
                subject_areas=entry.get("subject_areas") or [], director=director,
                duration_months=entry.get("duration_months"), **common,
            )
            _through_start(agreement, director)
            completion.task_complete(task=open_tasks(agreement).get(), actor=drafter, data={"confirm": True})
            first_dg = agreement.dgs.order_by("code").first()
            referent = Profile.objects.filter(dg=first_dg).select_related("user").first() if first_dg else None
            if referent:
                task = next(t for t in open_tasks(agreement) if t.data.get("dg") == first_dg.pk)
                completion.task_complete(task=task, actor=referent.user,
                                 data={"kind": OpinionKind.FAVOURABLE, "notes": ""})
            created.append(agreement.reference)
    return created


# Counterparts the demo offers beyond the plan's: a drafter can start an Intesa with the Región de Murcia and
# generate its bilingual first draft (Italian and Spanish) from the clause library at once.
DEMO_COUNTERPARTS = [
    {"name": "Región de Murcia", "name_local": "Región de Murcia", "country": "Spagna", "country_code": "ES",
     "type": "region", "language": "es"},
]


def setup_demo(path=DEFAULT_PLAN_PATH) -> dict:
    counts = load_plan(path=path)
    users = ensure_users()
    for data in DEMO_COUNTERPARTS:
        _counterpart(data)
    references = seed_agreements(path)
    register = seed_activities(actor=get_user_model().objects.get(username="redattore"),
                               plan_code=read_plan_file(path)["plan"]["code"])
    return {"plan": counts, "users": users, "agreements": references, "register": register}

