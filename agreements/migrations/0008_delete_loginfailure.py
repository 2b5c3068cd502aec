# Failed logins are counted by django-axes (its AccessAttempt table) since the lockout moved to it.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("agreements", "0007_security")]
    operations = [migrations.DeleteModel(name="LoginFailure")]
