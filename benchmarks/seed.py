"""The data the page, export and feed benchmarks run on: N agreements spread over the states, kinds, DGs and
plan actions of a Region's register, N/2 activities of the office (with their counterparts, DGs, plan actions,
agreements and stakeholders, out of N/20 stakeholders), and a few hundred procedures started for real (Viewflow
processes with open tasks in the drafter's, the director's and a DG referent's inbox). Called inside
benchdb.bench_database()."""

import datetime
import random

PASSWORD = "bench-password-123"


def populate(total: int, *, processes: int = 120, seed: int = 18) -> dict:
    from agreements.common.roles import Role
    from agreements.models import (
        Action,
        Activity,
        ActivityKind,
        Agreement,
        AgreementKind,
        Counterpart,
        Opinion,
        Plan,
        Profile,
        RenewalClause,
        Sector,
        Stakeholder,
        StakeholderType,
        Status,
    )
    from tests.support.factories import UserFactory
    from tests.support.lifecycle import complete, open_steps
    from workflows import services as wf

    rng = random.Random(seed)
    dgs = [Sector.objects.create(code=f"dg-{i}", name=f"DG {i}", is_dg=True) for i in range(10)]
    plan = Plan.objects.create(code="bench", title="Piano del benchmark", start_year=2022, end_year=2023)
    actions = [Action.objects.create(plan=plan, number=i + 1, objective=f"Obiettivo {i % 4 + 1}",
                                     title=f"Azione {i + 1}", short_title=f"Azione breve {i + 1}", timing="2022-2023")
               for i in range(20)]
    countries = [("Francia", "FR"), ("Germania", "DE"), ("Polonia", "PL"), ("Cina", "CN"), ("Brasile", "BR"),
                 ("Argentina", "AR"), ("Canada", "CA"), ("Giappone", "JP")]
    counterparts = Counterpart.objects.bulk_create(
        Counterpart(name=f"Controparte {i}", country=country, country_code=code, type="region", language="fr")
        for i, (country, code) in enumerate(rng.choice(countries) for _ in range(300))
    )
    users = {
        "drafter": UserFactory(username="redattore", roles=[Role.DRAFTER], password=PASSWORD),
        "referent": UserFactory(username="referente", roles=[Role.DG_REFERENT], password=PASSWORD),
        "director": UserFactory(username="dirigente", roles=[Role.DIRECTOR], password=PASSWORD),
        "secretariat": UserFactory(username="segreteria", roles=[Role.SECRETARIAT], password=PASSWORD),
        "observer": UserFactory(username="osservatore", roles=[Role.OBSERVER], password=PASSWORD),
    }
    Profile.objects.update_or_create(user=users["referent"], defaults={"dg": dgs[0]})
    statuses = [s for s, _ in Status.choices]
    kinds = [k for k, _ in AgreementKind.choices]
    today = datetime.date.today()
    bulk = []
    for i in range(total):
        status = rng.choice(statuses)
        tacit = rng.random() < 0.3
        bulk.append(Agreement(
            reference=f"BEN-{2000 + i // 400}-{i % 400:03d}", title=f"Accordo di cooperazione n. {i} <&> ambiente",
            kind=rng.choice(kinds), status=status, counterpart=rng.choice(counterparts),
            signed_on=today - datetime.timedelta(days=rng.randrange(3650)),
            end_date=today + datetime.timedelta(days=rng.randrange(-1500, 1800)),
            renewal_clause=RenewalClause.TACIT if tacit else RenewalClause.EXPRESS,
            renewal_notice_days=90 if tacit else None,
            notice_government_date=today - datetime.timedelta(days=rng.randrange(40))
            if status in (Status.NOTIFICATION, Status.OBSERVATIONS) else None,
            consultation_round=1, drafted_by=users["drafter"], director=users["director"],
            dgr_number=f"{i}/2022", dgr_date=today - datetime.timedelta(days=rng.randrange(3650)),
        ))
    agreements = Agreement.objects.bulk_create(bulk, batch_size=2000)
    through = Agreement.dgs.through
    through.objects.bulk_create(
        (through(agreement_id=a.pk, sector_id=dg.pk) for a in agreements for dg in rng.sample(dgs, rng.choice([1, 2]))),
        batch_size=5000,
    )
    plan = Agreement.plan_actions.through
    plan.objects.bulk_create(
        (plan(agreement_id=a.pk, action_id=rng.choice(actions).pk) for a in agreements if rng.random() < 0.6),
        batch_size=5000,
    )
    Opinion.objects.bulk_create(
        (Opinion(agreement=a, dg=dgs[0], round=1, due_date=today + datetime.timedelta(days=rng.randrange(-10, 30)))
         for a in agreements if a.status == Status.CONSULTATION),
        batch_size=5000,
    )
    activities_and_stakeholders(rng, total, agreements=agreements, counterparts=counterparts, dgs=dgs,
                                actions=actions, kinds=[k for k, _ in ActivityKind.choices],
                                stakeholder_types=[t for t, _ in StakeholderType.choices], today=today,
                                models=(Activity, Stakeholder))
    # Real procedures: proposals in the drafter's inbox, some sent on to the DGs (consultation tasks of DG 0).
    started = []
    for i in range(processes):
        agreement = wf.proposal_start(actor=users["drafter"], title=f"Proposta {i}", kind=AgreementKind.INTESA,
                                      counterpart=rng.choice(counterparts), dgs=[dgs[0]],
                                      director=users["director"], duration_months=36)
        steps = open_steps(agreement)
        if steps == ["inform_assembly_start"]:
            complete(agreement, "inform_assembly_start", users["secretariat"], date=today, protocol="AL/0")
        if i % 3 == 0 and open_steps(agreement) == ["negotiate"]:
            complete(agreement, "negotiate", users["drafter"], confirm=True)
        started.append(agreement)
    return {"users": users, "dgs": dgs, "agreements": agreements, "processes": started}


def activities_and_stakeholders(rng, total, *, agreements, counterparts, dgs, actions, kinds, stakeholder_types,
                                today, models):
    """total/2 activities over ten years and total/20 stakeholders, each activity with one or two counterparts,
    DGs and stakeholders, a plan action for half of them and an agreement for a third (what the activity register,
    the territory pages and the activity exports read)."""
    Activity, Stakeholder = models
    stakeholders = Stakeholder.objects.bulk_create(
        Stakeholder(name=f"Stakeholder {i}", type=rng.choice(stakeholder_types), internal=rng.random() < 0.2,
                    first_involved_on=today - datetime.timedelta(days=rng.randrange(3650)))
        for i in range(max(1, total // 20))
    )
    activities = Activity.objects.bulk_create(
        (Activity(kind=rng.choice(kinds), title=f"Attività n. {i} <&> cooperazione",
                  starts_on=today - datetime.timedelta(days=rng.randrange(3650)), place="Bruxelles",
                  country_code=counterpart.country_code, participants=rng.randrange(5, 200),
                  notes="Incontro tecnico sul partenariato")
         for i, counterpart in enumerate(rng.choice(counterparts) for _ in range(max(1, total // 2)))),
        batch_size=2000,
    )
    for field, pool, per_row, share in (("counterparts", counterparts, 2, 1.0), ("dgs", dgs, 2, 1.0),
                                         ("stakeholders", stakeholders, 2, 1.0), ("plan_actions", actions, 1, 0.5),
                                         ("agreements", agreements, 1, 0.33)):
        through = getattr(Activity, field).through
        target = getattr(Activity, field).field.m2m_reverse_field_name()
        through.objects.bulk_create(
            (through(activity_id=a.pk, **{f"{target}_id": item.pk})
             for a in activities if rng.random() < share
             for item in rng.sample(pool, rng.randint(1, per_row))),
            batch_size=5000,
        )
