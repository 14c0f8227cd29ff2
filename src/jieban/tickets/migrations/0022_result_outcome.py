"""A unit's result says its outcome (the platforms' result codes map from it); a platform's ticket
knows the platform decides its returns and extensions, and since when a return request waits."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0021_batch_search_words'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='platform_decides',
            field=models.BooleanField(blank=True, editable=False, null=True, verbose_name='decided by the 12345 platform'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='result_outcome',
            field=models.CharField(blank=True, choices=[('resolved', 'Resolved'), ('unresolved', 'Not resolved'), ('partly_resolved', 'Partly resolved'), ('not_handled', 'Not handled (returned)')], max_length=16, null=True, verbose_name='outcome'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='return_requested_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='return requested at'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('intake', 'Registered'), ('dispatch', 'Dispatched'), ('accept', 'Accepted'), ('return', 'Returned to the command centre'), ('resolve', 'Resolved'), ('close', 'Closed'), ('invalidate', 'Marked invalid'), ('merge', 'Merged into another ticket'), ('reopen', 'Reopened'), ('merged_in', 'Another ticket merged in'), ('attachment', 'Attachment added'), ('visit', 'Follow-up call'), ('supervise', 'Supervision order issued'), ('repeat', 'Reported again'), ('repeat_of', 'Marked as a repeat'), ('escalate', "Escalated to the bureau's leaders"), ('extension_request', 'Extension requested'), ('extension_approve', 'Extension approved'), ('extension_reject', 'Extension rejected'), ('handover', "Handed over for people's mediation"), ('handover_accept', 'Mediation case opened'), ('mediation_end', 'Mediation concluded'), ('progress', 'Progress reported'), ('platform_update', 'Changed by the 12345 platform'), ('return_request', 'Return requested'), ('return_refused', 'Return refused by the 12345 platform')], max_length=24),
        ),
    ]
