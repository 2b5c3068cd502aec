from django.db import migrations

ROLES = ["redattore", "referente_dg", "dirigente", "segreteria_giunta", "osservatore", "amministratore"]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION intese_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'agreements_auditevent is append-only (%% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER agreements_auditevent_append_only
    BEFORE UPDATE OR DELETE ON agreements_auditevent
    FOR EACH ROW EXECUTE FUNCTION intese_audit_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS agreements_auditevent_append_only ON agreements_auditevent;
DROP FUNCTION IF EXISTS intese_audit_append_only();
"""
SQLITE_FORWARD = [
    "CREATE TRIGGER agreements_auditevent_no_update BEFORE UPDATE ON agreements_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'agreements_auditevent is append-only'); END;",
    "CREATE TRIGGER agreements_auditevent_no_delete BEFORE DELETE ON agreements_auditevent "
    "BEGIN SELECT RAISE(ABORT, 'agreements_auditevent is append-only'); END;",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


def append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def drop_append_only(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD)
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS agreements_auditevent_no_update")
        schema_editor.execute("DROP TRIGGER IF EXISTS agreements_auditevent_no_delete")


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        migrations.RunPython(append_only, drop_append_only),
    ]
