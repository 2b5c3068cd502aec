"""manage.py search_reindex: rebuild the search index (every agreement, every activity, every uploaded document)."""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from agreements.search.services import search_reindex_all


class Command(BaseCommand):
    help = gettext_lazy("Ricostruisce l'indice di ricerca: tutti gli accordi, tutte le attività e tutti i documenti "
                        "caricati.")

    def handle(self, *args, **options):
        done = search_reindex_all()
        self.stdout.write(_("Indicizzati %(a)d accordi, %(t)d attività e %(d)d documenti.")
                          % {"a": done["agreements"], "t": done["activities"], "d": done["documents"]})
