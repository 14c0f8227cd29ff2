"""The 12345 platform link's event kinds (progress, platform update) and supervision reason."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tickets', '0019_handover_to_mediation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='supervisionorder',
            name='reason',
            field=models.CharField(choices=[('overdue', 'Overdue'), ('dissatisfied', 'Resident dissatisfied'), ('manual', 'Issued by a supervisor'), ('mediation_failed', 'Mediation failed'), ('platform', 'Urged by the 12345 platform')], max_length=16, verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('intake', 'Registered'), ('dispatch', 'Dispatched'), ('accept', 'Accepted'), ('return', 'Returned to the command centre'), ('resolve', 'Resolved'), ('close', 'Closed'), ('invalidate', 'Marked invalid'), ('merge', 'Merged into another ticket'), ('reopen', 'Reopened'), ('merged_in', 'Another ticket merged in'), ('attachment', 'Attachment added'), ('visit', 'Follow-up call'), ('supervise', 'Supervision order issued'), ('repeat', 'Reported again'), ('repeat_of', 'Marked as a repeat'), ('escalate', "Escalated to the bureau's leaders"), ('extension_request', 'Extension requested'), ('extension_approve', 'Extension approved'), ('extension_reject', 'Extension rejected'), ('handover', "Handed over for people's mediation"), ('handover_accept', 'Mediation case opened'), ('mediation_end', 'Mediation concluded'), ('progress', 'Progress reported'), ('platform_update', 'Changed by the 12345 platform')], max_length=24),
        ),
    ]
