"""Many agreements at once (bulk_create, no procedure), to show that a page's queries do not grow with them."""

import datetime

from agreements.models import Agreement, AgreementKind, Counterpart, Opinion, Status


def bulk_agreements(count: int, start: int, dgs, *, plan_actions=()) -> list[Agreement]:
    """`count` agreements numbered from `start`, spread over states, end dates, the given DGs and plan actions, with
    a pending opinion of the first DG for those in consultation."""
    counterpart, _ = Counterpart.objects.get_or_create(name="Controparte in blocco", country="Francia",
                                                       defaults={"type": "region"})
    states = [Status.IN_FORCE, Status.NEGOTIATION, Status.CONSULTATION, Status.EXPIRED]
    agreements = Agreement.objects.bulk_create(
        Agreement(reference=f"BLK-{n:06d}", title=f"Accordo in blocco {n}", kind=AgreementKind.INTESA,
                  counterpart=counterpart, status=states[n % len(states)], consultation_round=1,
                  end_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 700))
        for n in range(start, start + count)
    )
    through = Agreement.dgs.through
    through.objects.bulk_create(through(agreement_id=a.pk, sector_id=dgs[i % len(dgs)].pk)
                                for i, a in enumerate(agreements))
    if plan_actions:
        actions = Agreement.plan_actions.through
        actions.objects.bulk_create(actions(agreement_id=a.pk, action_id=plan_actions[i % len(plan_actions)].pk)
                                    for i, a in enumerate(agreements))
    Opinion.objects.bulk_create(Opinion(agreement=a, dg=dgs[0], round=1, due_date=datetime.date(2026, 2, 1))
                                for a in agreements if a.status == Status.CONSULTATION)
    return agreements
