import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agreements import models as m
from agreements.common.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("password-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or ():
            self.groups.add(Group.objects.get(name=role))


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dg-{n}")
    name = factory.LazyAttribute(lambda o: o.code.upper())
    is_dg = True


def referent(dg, username=None):
    user = UserFactory(username=username or f"ref-{dg.code}", roles=[Role.DG_REFERENT])
    m.Profile.objects.update_or_create(user=user, defaults={"dg": dg})
    return user


class CounterpartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Counterpart
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Région {n}")
    country = "Francia"
    country_code = "FR"
    type = m.CounterpartType.REGION
    language = "fr"


class AgreementFactory(factory.django.DjangoModelFactory):
    """A bare record (no process). Use the services to move one through the lifecycle."""

    class Meta:
        model = m.Agreement
        skip_postgeneration_save = True  # the dgs hook adds rows; the agreement itself needs no second save

    reference = factory.Sequence(lambda n: f"TST-2026-{n:04d}")
    title = factory.Sequence(lambda n: f"Intesa di prova {n}")
    kind = m.AgreementKind.INTESA
    counterpart = factory.SubFactory(CounterpartFactory)
    languages = factory.LazyFunction(lambda: ["it", "fr"])
    authentic_languages = factory.LazyFunction(lambda: ["it", "fr"])
    subject_areas = factory.LazyFunction(lambda: ["ricerca", "cultura"])
    duration_months = 36

    @factory.post_generation
    def dgs(self, create, extracted, **kwargs):
        for dg in extracted or ():
            self.dgs.add(dg)


class InForceAgreementFactory(AgreementFactory):
    status = m.Status.IN_FORCE
    signed_on = datetime.date(2022, 4, 20)
    entry_into_force = datetime.date(2022, 4, 27)
    end_date = datetime.date(2025, 4, 27)
