"""Row-level security on every training tenant table, and same-country keys from each tenant row
to the tenant rows it points at (PostgreSQL only)."""

from django.db import migrations

from tenants.db import enable_row_level_security, same_country_foreign_key

TENANT_TABLES = [
    "training_enrolment",
    "training_moduleprogress",
    "training_quizattempt",
    "training_certificate",
    "training_countryrequirement",
    "training_countryprogramme",
    "training_countryprogrammeversion",
]
SAME_COUNTRY_KEYS = [
    ("training_moduleprogress", "enrolment_id", "training_enrolment"),
    ("training_quizattempt", "enrolment_id", "training_enrolment"),
    ("training_certificate", "enrolment_id", "training_enrolment"),
    ("training_countryprogrammeversion", "programme_id", "training_countryprogramme"),
    ("training_enrolment", "local_programme_id", "training_countryprogramme"),
    ("training_enrolment", "local_version_id", "training_countryprogrammeversion"),
    ("training_certificate", "local_programme_id", "training_countryprogramme"),
    ("training_certificate", "local_version_id", "training_countryprogrammeversion"),
]


class Migration(migrations.Migration):
    dependencies = [("training", "0001_initial"), ("tenants", "0002_row_level_security")]

    operations = [
        *[enable_row_level_security(table) for table in TENANT_TABLES],
        *[same_country_foreign_key(table, column, parent) for table, column, parent in SAME_COUNTRY_KEYS],
    ]
