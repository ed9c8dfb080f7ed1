"""Forms of the horizon pages: they parse input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from nonpro.accounts.models import User
from nonpro.core.policy import Role
from nonpro.horizon.models import Decision, Querier
from nonpro.scanning.concern import load_taxonomy
from nonpro.scanning.options import FORMAT_NAMES


def domain_choices(language: str) -> list[tuple[str, str]]:
    """Return the concern domains of the scanning taxonomy, labelled in ``language``."""
    return [(code, domain.label(language)) for code, domain in load_taxonomy().domains.items()]


def topic_choices(language: str) -> list[tuple[str, str]]:
    """Return the topics of the scanning taxonomy, labelled in ``language`` with their domain."""
    taxonomy = load_taxonomy()
    return [
        (topic.code, f"{topic.label(language)} ({taxonomy.domains[topic.domain].label(language)})")
        for topic in taxonomy.topics
    ]


class ReviewerField(forms.ModelMultipleChoiceField[User]):
    """Reviewers to choose, each shown by e-mail address."""

    def label_from_instance(self, obj: User) -> str:
        return str(obj.email)


class ProjectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(
        label=_("What the project looks for"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    domains = forms.MultipleChoiceField(
        label=_("Domains of concern"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The queue starts with the records of most concern in these domains; none: all domains."),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics of concern"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Narrower than a domain: the queue also starts with the records of most concern in these topics."),
    )
    querier = forms.ChoiceField(label=_("Order of screening"), choices=Querier.choices, initial=Querier.MAX)
    members = ReviewerField(
        label=_("Reviewers"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The reviewers who screen this project. Committee analysts see every project."),
    )

    def __init__(self, *args: Any, language: str = "en", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        domains = cast("forms.MultipleChoiceField", self.fields["domains"])
        domains.choices = domain_choices(language)
        topics = cast("forms.MultipleChoiceField", self.fields["topics"])
        topics.choices = topic_choices(language)
        members = cast("ReviewerField", self.fields["members"])
        members.queryset = User.objects.filter(role_assignments__role=Role.REVIEWER).distinct().order_by("email")


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Literature file"),
        help_text=_(
            "PubMed XML, MEDLINE (.nbib), arXiv (Atom or OAI-PMH), Crossref or OpenAlex JSON, RIS, BibTeX, "
            "EndNote XML, CSV, TSV, Excel or JSON Lines; gzip-compressed files too. The format is recognised by itself."
        ),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("Recognise it"))] + [(name, name) for name in FORMAT_NAMES],
    )


class FeedForm(forms.Form):
    url = forms.URLField(
        label=_("Feed URL"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("An export or API address on one of the hosts this server allows, fetched once by the import."),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        required=False,
        choices=[("", _("Recognise it"))] + [(name, name) for name in FORMAT_NAMES],
    )


class ServerFileForm(forms.Form):
    path = forms.ChoiceField(label=_("File on the server"))

    def __init__(self, *args: Any, files: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        path = cast("forms.ChoiceField", self.fields["path"])
        path.choices = [(name, name) for name in files]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(Decision.RELEVANT, Decision.RELEVANT.label), (Decision.IRRELEVANT, Decision.IRRELEVANT.label)]
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PromoteForm(forms.Form):
    title = forms.CharField(label=_("Title of the entry"), max_length=250)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "At most 300 characters, at policy level: what the development is and why it matters for resolution "
            "1540 — never how to do it."
        ),
    )
    domains = forms.MultipleChoiceField(label=_("Domains"), required=False, widget=forms.CheckboxSelectMultiple)
    no_enabling_detail = forms.BooleanField(
        label=_("I confirm the title and summary contain no enabling detail."), required=True
    )

    def __init__(self, *args: Any, domains: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.MultipleChoiceField", self.fields["domains"])
        field.choices = domains


class LinkForm(forms.Form):
    rsd_id = forms.CharField(label=_("Register identifier"), max_length=20, help_text=_("For example RSD-2026-00001."))
