"""A later supervision order on a ticket supersedes the earlier open ones.

Orders issued before this stayed open until their ticket was resolved. Each open order that
has a later order on its ticket is marked superseded by the next one (by issue time, then id),
in one UPDATE that reads each ticket's few orders through the ticket index. The open-orders
index is dropped before the UPDATE and built after it, on the open orders left. The foreign
key has no plain index: SQLite would read it for `superseded_by_id IS NULL` in place of the
open-orders index; a partial one on the superseded orders serves the key's checks instead.
"""

import django.db.models.deletion
from django.db import migrations, models

# "Later" is (issued_at, id) after the order's own; the next later order is the first of them.
LATER = """
    FROM tickets_supervisionorder later
    WHERE later.ticket_id = tickets_supervisionorder.ticket_id
      AND (later.issued_at > tickets_supervisionorder.issued_at
           OR (later.issued_at = tickets_supervisionorder.issued_at
               AND later.id > tickets_supervisionorder.id))
"""

MARK_SUPERSEDED = f"""
UPDATE tickets_supervisionorder
SET superseded_by_id = (
    SELECT later.id {LATER}
    ORDER BY later.issued_at, later.id
    LIMIT 1
)
WHERE fulfilled_at IS NULL
  AND superseded_by_id IS NULL
  AND EXISTS (SELECT 1 {LATER})
"""

CLEAR_SUPERSEDED = """
UPDATE tickets_supervisionorder SET superseded_by_id = NULL WHERE superseded_by_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0011_merge_numbers_and_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="supervisionorder",
            name="superseded_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="supersedes",
                to="tickets.supervisionorder",
                verbose_name="superseded by",
            ),
        ),
        migrations.RemoveIndex(
            model_name="supervisionorder",
            name="supervision_open_idx",
        ),
        migrations.RunSQL(MARK_SUPERSEDED, CLEAR_SUPERSEDED, elidable=False),
        migrations.AddIndex(
            model_name="supervisionorder",
            index=models.Index(
                condition=models.Q(("fulfilled_at__isnull", True), ("superseded_by__isnull", True)),
                fields=["unit", "level"],
                name="supervision_open_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="supervisionorder",
            index=models.Index(
                condition=models.Q(("superseded_by__isnull", False)),
                fields=["superseded_by"],
                name="supervision_superseded_idx",
            ),
        ),
    ]
