"""Triggers that mark the mediation rollups' days dirty on every change to a case, its
mediators or its agreement: the UTC dates of the case's acceptance and conclusion and the day
its agreement's last term falls due, old and new. They write in the same transaction as the
change, so a rollup can never miss one.
"""

from django.db import migrations

DIRTY = "stats_mediationdirtyday"
CASES = "mediation_mediationcase"
AGREEMENTS = "mediation_agreement"
MEDIATORS = "mediation_mediationcase_mediators"
# The columns of a case the counts read: an update that changes none of them (a session
# logged, a warning sent, the version) leaves the rollups as they are.
COUNTED = (
    "status",
    "accepted_at",
    "concluded_at",
    "due_at",
    "amount",
    "studio_id",
    "committee_id",
    "dispute_type",
)
AGREEMENT_COUNTED = ("last_due_on", "performed_at", "case_id")
AGREEMENT_CHANGED = " OR ".join(
    f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in AGREEMENT_COUNTED
)
CHANGED = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in COUNTED)


def sqlite_case_days(row: str, case_id: str) -> str:
    """SQLite: mark the days of the case `case_id` as stored (its agreement's too); `row` is
    the trigger's NEW or OLD case, or "" to read the case from its table."""
    if row:
        moments = f"SELECT date({row}.accepted_at) AS day UNION SELECT date({row}.concluded_at)"
    else:
        moments = (
            f"SELECT date(accepted_at) AS day FROM {CASES} WHERE id = {case_id} "
            f"UNION SELECT date(concluded_at) FROM {CASES} WHERE id = {case_id}"
        )
    return (
        f"INSERT OR IGNORE INTO {DIRTY} (day) SELECT day FROM ({moments} "
        f"UNION SELECT last_due_on FROM {AGREEMENTS} WHERE case_id = {case_id}) "
        "WHERE day IS NOT NULL;"
    )


SQLITE = [
    f"""
    CREATE TRIGGER stats_mediation_case_inserted AFTER INSERT ON {CASES} BEGIN
        {sqlite_case_days("NEW", "NEW.id")}
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_case_updated AFTER UPDATE ON {CASES}
    WHEN {CHANGED.replace("IS DISTINCT FROM", "IS NOT")} BEGIN
        {sqlite_case_days("NEW", "NEW.id")}
        {sqlite_case_days("OLD", "OLD.id")}
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_case_deleted AFTER DELETE ON {CASES} BEGIN
        {sqlite_case_days("OLD", "OLD.id")}
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_mediator_added AFTER INSERT ON {MEDIATORS} BEGIN
        {sqlite_case_days("", "NEW.mediationcase_id")}
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_mediator_removed AFTER DELETE ON {MEDIATORS} BEGIN
        {sqlite_case_days("", "OLD.mediationcase_id")}
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_agreement_inserted AFTER INSERT ON {AGREEMENTS} BEGIN
        INSERT OR IGNORE INTO {DIRTY} (day) VALUES (NEW.last_due_on);
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_agreement_updated AFTER UPDATE ON {AGREEMENTS}
    WHEN {AGREEMENT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")} BEGIN
        INSERT OR IGNORE INTO {DIRTY} (day) VALUES (NEW.last_due_on);
        INSERT OR IGNORE INTO {DIRTY} (day) VALUES (OLD.last_due_on);
    END
    """,
    f"""
    CREATE TRIGGER stats_mediation_agreement_deleted AFTER DELETE ON {AGREEMENTS} BEGIN
        INSERT OR IGNORE INTO {DIRTY} (day) VALUES (OLD.last_due_on);
    END
    """,
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS stats_mediation_{name}"
    for name in (
        "case_inserted",
        "case_updated",
        "case_deleted",
        "mediator_added",
        "mediator_removed",
        "agreement_inserted",
        "agreement_updated",
        "agreement_deleted",
    )
]


def postgres_case_days(row: str) -> str:
    """PostgreSQL: mark the days of the trigger's NEW or OLD case (its agreement's too)."""
    return f"""
        INSERT INTO {DIRTY} (day)
        SELECT day FROM (
            VALUES (({row}.accepted_at AT TIME ZONE 'UTC')::date),
                   (({row}.concluded_at AT TIME ZONE 'UTC')::date)
            UNION SELECT last_due_on FROM {AGREEMENTS} WHERE case_id = {row}.id
        ) AS days(day)
        WHERE day IS NOT NULL
        ON CONFLICT DO NOTHING;
    """


def postgres_case_of_mediator(row: str) -> str:
    """PostgreSQL: mark the days of the case a NEW or OLD mediator row belongs to."""
    return f"""
        INSERT INTO {DIRTY} (day)
        SELECT day FROM (
            SELECT (accepted_at AT TIME ZONE 'UTC')::date FROM {CASES}
            WHERE id = {row}.mediationcase_id
            UNION SELECT (concluded_at AT TIME ZONE 'UTC')::date FROM {CASES}
            WHERE id = {row}.mediationcase_id
            UNION SELECT last_due_on FROM {AGREEMENTS} WHERE case_id = {row}.mediationcase_id
        ) AS days(day)
        WHERE day IS NOT NULL
        ON CONFLICT DO NOTHING;
    """


def postgres_function(name: str, new: str, old: str) -> str:
    return f"""
    CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
    BEGIN
        IF TG_OP <> 'DELETE' THEN {new} END IF;
        IF TG_OP <> 'INSERT' THEN {old} END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql
    """


def postgres_agreement_day(row: str) -> str:
    return f"INSERT INTO {DIRTY} (day) VALUES ({row}.last_due_on) ON CONFLICT DO NOTHING;"


POSTGRES = [
    postgres_function(
        "stats_mediation_case_dirty", postgres_case_days("NEW"), postgres_case_days("OLD")
    ),
    postgres_function(
        "stats_mediation_mediator_dirty",
        postgres_case_of_mediator("NEW"),
        postgres_case_of_mediator("OLD"),
    ),
    postgres_function(
        "stats_mediation_agreement_dirty",
        postgres_agreement_day("NEW"),
        postgres_agreement_day("OLD"),
    ),
    f"""
    CREATE TRIGGER stats_mediation_case_changed AFTER INSERT OR DELETE ON {CASES}
    FOR EACH ROW EXECUTE FUNCTION stats_mediation_case_dirty()
    """,
    f"""
    CREATE TRIGGER stats_mediation_case_updated AFTER UPDATE ON {CASES}
    FOR EACH ROW WHEN ({CHANGED}) EXECUTE FUNCTION stats_mediation_case_dirty()
    """,
    f"""
    CREATE TRIGGER stats_mediation_mediator_changed AFTER INSERT OR UPDATE OR DELETE
    ON {MEDIATORS} FOR EACH ROW EXECUTE FUNCTION stats_mediation_mediator_dirty()
    """,
    f"""
    CREATE TRIGGER stats_mediation_agreement_changed AFTER INSERT OR DELETE
    ON {AGREEMENTS} FOR EACH ROW EXECUTE FUNCTION stats_mediation_agreement_dirty()
    """,
    f"""
    CREATE TRIGGER stats_mediation_agreement_updated AFTER UPDATE ON {AGREEMENTS}
    FOR EACH ROW WHEN ({AGREEMENT_CHANGED}) EXECUTE FUNCTION stats_mediation_agreement_dirty()
    """,
]
POSTGRES_REVERSE = [
    f"DROP TRIGGER IF EXISTS stats_mediation_case_changed ON {CASES}",
    f"DROP TRIGGER IF EXISTS stats_mediation_case_updated ON {CASES}",
    f"DROP TRIGGER IF EXISTS stats_mediation_mediator_changed ON {MEDIATORS}",
    f"DROP TRIGGER IF EXISTS stats_mediation_agreement_changed ON {AGREEMENTS}",
    f"DROP TRIGGER IF EXISTS stats_mediation_agreement_updated ON {AGREEMENTS}",
    "DROP FUNCTION IF EXISTS stats_mediation_case_dirty()",
    "DROP FUNCTION IF EXISTS stats_mediation_mediator_dirty()",
    "DROP FUNCTION IF EXISTS stats_mediation_agreement_dirty()",
]
MARK_EXISTING = {
    "sqlite": f"INSERT OR IGNORE INTO {DIRTY} (day) SELECT day FROM ("
    f"SELECT date(accepted_at) AS day FROM {CASES} UNION SELECT date(concluded_at) FROM {CASES} "
    f"UNION SELECT last_due_on FROM {AGREEMENTS}) WHERE day IS NOT NULL",
    "postgresql": f"INSERT INTO {DIRTY} (day) SELECT day FROM ("
    f"SELECT (accepted_at AT TIME ZONE 'UTC')::date FROM {CASES} "
    f"UNION SELECT (concluded_at AT TIME ZONE 'UTC')::date FROM {CASES} "
    f"UNION SELECT last_due_on FROM {AGREEMENTS}) AS days(day) WHERE day IS NOT NULL "
    "ON CONFLICT DO NOTHING",
}


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor)
    if statements is None:
        raise RuntimeError(f"Jieban runs on SQLite or PostgreSQL, not {vendor}")
    for statement in statements:
        schema_editor.execute(statement)
    schema_editor.execute(MARK_EXISTING[vendor])


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}[vendor]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("stats", "0009_mediation_rollups"), ("mediation", "0004_figure_indexes")]
    operations = [migrations.RunPython(create, drop)]
