"""agreement_path (agreements/common/links.py) is reverse() at the cost of a string replace: the same path for
every reference, quoted the same way, and what the URL refuses still refused."""

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse, set_script_prefix

from agreements.common.links import agreement_path


@pytest.mark.parametrize("reference", ["INT-2022-003", "Ré-01", "a b&c?d#e%f", "x:y@z~"])
def test_agreement_path_is_the_path_reverse_gives(reference):
    assert agreement_path(reference) == reverse("agreements:detail", args=[reference])


def test_agreement_path_follows_the_script_prefix():
    # given the site mounted under a prefix (a reverse proxy's SCRIPT_NAME)
    set_script_prefix("/intese/")
    try:
        # then the path carries it, as reverse() does
        assert agreement_path("INT-2022-003") == "/intese/accordi/INT-2022-003/" == reverse(
            "agreements:detail", args=["INT-2022-003"])
    finally:
        set_script_prefix("/")
    assert agreement_path("INT-2022-003") == "/accordi/INT-2022-003/"


@pytest.mark.parametrize("reference", ["", "INT/2022"])
def test_a_reference_the_url_refuses_is_refused_as_by_reverse(reference):
    with pytest.raises(NoReverseMatch):
        agreement_path(reference)


def test_the_template_filter_writes_the_same_path():
    html = Template("{% load intese %}{{ ref|agreement_path }}").render(Context({"ref": "Ré 1"}))
    assert html == reverse("agreements:detail", args=["Ré 1"])
