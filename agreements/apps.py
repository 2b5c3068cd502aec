from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "agreements"
    verbose_name = _("Accordi internazionali")

    def ready(self):
        # Here, not at the top: roles imports auth's models, which need the app registry ready.
        from agreements.common.roles import sync_role_permissions

        # Runs after every app migrates, so permissions of apps migrated later (workflows) exist too.
        post_migrate.connect(sync_role_permissions, dispatch_uid="intese-role-permissions")
