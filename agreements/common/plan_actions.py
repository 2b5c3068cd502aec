"""Plan actions named the way a person, an API client or a spreadsheet can write them.

Several plans live side by side and each numbers its actions from 1, so a number alone no longer names an action.
The reference is "<plan code>/<number>" (``2022-2023/5``), as the activity register already writes it. The number
alone is still understood while exactly one plan has an action with that number (old clients and files keep
working until a second plan reuses the number); once two plans do, it is refused naming both references, never
guessed (the plan in force changes with time: a silent pick would link an agreement to the wrong plan)."""

import re
from collections import defaultdict

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.translation import gettext as _

from agreements.models import Action

# A plan code is a slug; the number may be followed by ". title" (the office export's form) or other words.
REFERENCE = re.compile(r"^(?:(?P<plan>[-\w]+)/)?(?P<number>\d{1,9})(?![-\w/])")
REFERENCE_EXAMPLE = "2022-2023/5"


def action_reference(action: Action) -> str:
    """The action as one string that names its plan: "2022-2023/5" (select_related("plan") when listing)."""
    return f"{action.plan.code}/{action.number}"


class ActionLookup:
    """Every plan action, read once (one query), resolved by reference, by number alone when unambiguous, or by
    short title when `titles` is set (the import also accepts the title the office writes)."""

    def __init__(self, *, titles: bool = False):
        self.titles = titles
        self.by_reference, self.by_number, self.by_title = {}, defaultdict(list), defaultdict(list)
        for action in Action.objects.select_related("plan").order_by("plan__start_year", "plan__code", "number"):
            self.by_reference[(action.plan.code.casefold(), action.number)] = action
            self.by_number[action.number].append(action)
            self.by_title[action.short_title.casefold()].append(action)

    def resolve(self, value) -> Action:
        """The action `value` names; ValueError with the reason (unknown, ambiguous, malformed) otherwise."""
        text = str(value).strip()
        match = REFERENCE.match(text)
        if match and match["plan"]:
            action = self.by_reference.get((match["plan"].casefold(), int(match["number"])))
            if action is None:
                raise ValueError(_("azione del piano sconosciuta: «%s»") % text)
            return action
        if match:
            return self._one(self.by_number.get(int(match["number"]), []), text)
        if self.titles and text.casefold() in self.by_title:
            return self._one(self.by_title[text.casefold()], text)
        raise ValueError(_("«%(text)s» non nomina un'azione del piano (atteso <codice piano>/<numero>, "
                           "per esempio %(example)s)") % {"text": text, "example": REFERENCE_EXAMPLE})

    @staticmethod
    def _one(candidates: list[Action], text: str) -> Action:
        if not candidates:
            raise ValueError(_("azione del piano sconosciuta: «%s»") % text)
        if len(candidates) > 1:
            raise ValueError(
                _("«%(text)s» è ambigua: più piani hanno questa azione (%(choices)s); indicare il piano come "
                  "<codice piano>/<numero>")
                % {"text": text, "choices": ", ".join(action_reference(a) for a in candidates)})
        return candidates[0]

    def resolve_all(self, values) -> tuple[list[Action], list[str]]:
        """(the actions found, without repeats, in the order given; the reasons of those not found)."""
        found, problems = {}, []
        for value in values:
            try:
                action = self.resolve(value)
            except ValueError as reason:
                problems.append(str(reason))
            else:
                found.setdefault(action.pk, action)
        return list(found.values()), problems


# --- choosing actions in a form --------------------------------------------------------------------------------

class ActionsByPlanIterator(ModelChoiceIterator):
    """The actions as option groups, one per plan (oldest first), so two plans' actions 1 are told apart."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        groups = {}
        for action in self.queryset.select_related("plan").order_by("plan__start_year", "plan__code", "number"):
            groups.setdefault(action.plan, []).append(self.choice(action))
        for plan, choices in groups.items():
            yield (f"{plan.title} ({plan.code})" if plan.code not in plan.title else plan.title, choices)


class _ByPlan:
    iterator = ActionsByPlanIterator

    def label_from_instance(self, obj):
        return f"{obj.number}. {obj.short_title}"  # under its plan's group


class PlanActionChoiceField(_ByPlan, forms.ModelChoiceField):
    """One plan action, chosen from the actions grouped by plan."""


class PlanActionsChoiceField(_ByPlan, forms.ModelMultipleChoiceField):
    """Plan actions, chosen from the actions grouped by plan."""
