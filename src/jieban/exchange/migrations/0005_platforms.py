"""The 12345 platform link: platforms, their mapping tables, orders, messages and events."""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0004_imports'),
        ('org', '0003_mediation_committees'),
        ('tickets', '0020_platform_kinds'),
    ]

    operations = [
        migrations.CreateModel(
            name='Platform',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=20, unique=True, verbose_name='code')),
                ('name', models.CharField(max_length=100, verbose_name='name')),
                ('base_url', models.URLField(blank=True, verbose_name='base URL')),
                ('secret', models.CharField(max_length=200, verbose_name='shared secret')),
                ('previous_secret', models.CharField(blank=True, max_length=200, verbose_name='previous secret')),
                ('previous_secret_until', models.DateTimeField(blank=True, null=True, verbose_name='previous secret accepted until')),
                ('mode', models.CharField(choices=[('push', 'The platform pushes orders'), ('pull', 'Jieban pulls orders')], default='push', max_length=8, verbose_name='mode')),
                ('pull_cursor', models.CharField(blank=True, max_length=200, verbose_name='pull cursor')),
                ('last_pull_at', models.DateTimeField(blank=True, null=True, verbose_name='last successful pull')),
                ('last_push_at', models.DateTimeField(blank=True, null=True, verbose_name='last orders pushed in')),
                ('last_delivery_at', models.DateTimeField(blank=True, null=True, verbose_name='last message delivered')),
                ('is_active', models.BooleanField(default=True, verbose_name='active')),
            ],
            options={
                'verbose_name': '12345 platform',
                'verbose_name_plural': '12345 platforms',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='PlatformMessage',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('accepted', 'Accepted (签收)'), ('return_request', 'Return request (退单申请)'), ('extension_request', 'Extension request (延期申请)'), ('progress', 'Progress note (阶段性回复)'), ('result', 'Result (办结回复)')], max_length=20, verbose_name='kind')),
                ('message_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ('ticket_event_id', models.BigIntegerField(blank=True, null=True, unique=True)),
                ('payload', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('last_error', models.CharField(blank=True, max_length=1000, verbose_name='last error')),
                ('delivered_at', models.DateTimeField(blank=True, null=True, verbose_name='delivered at')),
                ('acknowledgment', models.TextField(blank=True, max_length=2000, verbose_name='acknowledgment')),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='exchange.platform')),
            ],
            options={
                'verbose_name': 'platform message',
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='MessageAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('ok', models.BooleanField(default=False)),
                ('error', models.CharField(blank=True, max_length=1000)),
                ('message', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tries', to='exchange.platformmessage')),
            ],
            options={
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PlatformOrder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(max_length=80, verbose_name='order number')),
                ('revision', models.PositiveIntegerField(default=1, verbose_name='revision')),
                ('payload', models.JSONField(default=dict)),
                ('state', models.CharField(choices=[('applied', 'Applied'), ('needs_mapping', 'Needs mapping')], max_length=16, verbose_name='state')),
                ('unmapped', models.JSONField(blank=True, default=list)),
                ('awaiting', models.CharField(blank=True, choices=[('', 'Nothing'), ('return', 'Return requested'), ('extension', 'Extension requested')], max_length=12)),
                ('awaiting_since', models.DateTimeField(blank=True, null=True)),
                ('last_event_at', models.DateTimeField(blank=True, null=True)),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='exchange.platform')),
                ('root', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='exchange.platformorder')),
                ('ticket', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='platform_order', to='tickets.ticket')),
            ],
            options={
                'verbose_name': 'platform order',
            },
        ),
        migrations.AddField(
            model_name='platformmessage',
            name='order',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='exchange.platformorder'),
        ),
        migrations.CreateModel(
            name='PlatformEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.CharField(max_length=80, verbose_name='event id')),
                ('kind', models.CharField(max_length=24, verbose_name='kind')),
                ('occurred_at', models.DateTimeField(verbose_name='occurred at')),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('payload', models.JSONField(default=dict)),
                ('state', models.CharField(choices=[('applied', 'Applied'), ('flagged', 'Flagged, not applied')], max_length=8, verbose_name='state')),
                ('reason', models.CharField(blank=True, max_length=500, verbose_name='why flagged')),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='exchange.platform')),
                ('order', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='exchange.platformorder')),
            ],
            options={
                'verbose_name': 'platform event',
                'ordering': ['occurred_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='UnitMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=40, verbose_name="platform's code")),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='departments', to='exchange.platform')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='org.unit')),
            ],
            options={
                'verbose_name': 'department mapping',
            },
        ),
        migrations.CreateModel(
            name='CodeMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('status', 'Status'), ('result', 'Result'), ('visit', 'Follow-up call outcome')], max_length=8, verbose_name='kind')),
                ('theirs', models.CharField(max_length=40, verbose_name="platform's code")),
                ('ours', models.CharField(max_length=40, verbose_name="Jieban's value")),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='codes', to='exchange.platform')),
            ],
            options={
                'verbose_name': 'code mapping',
                'constraints': [models.UniqueConstraint(fields=('platform', 'kind', 'theirs'), name='platform_code_in'), models.UniqueConstraint(fields=('platform', 'kind', 'ours'), name='platform_code_out')],
            },
        ),
        migrations.CreateModel(
            name='CategoryMapping',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=40, verbose_name="platform's code")),
                ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tickets.category')),
                ('platform', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='categories', to='exchange.platform')),
            ],
            options={
                'verbose_name': 'category mapping',
                'constraints': [models.UniqueConstraint(fields=('platform', 'code'), name='platform_category_once')],
            },
        ),
        migrations.AddIndex(
            model_name='platformorder',
            index=models.Index(condition=models.Q(('state', 'needs_mapping')), fields=['platform', 'received_at'], name='platform_order_waiting_idx'),
        ),
        migrations.AddConstraint(
            model_name='platformorder',
            constraint=models.UniqueConstraint(fields=('platform', 'number'), name='platform_order_once'),
        ),
        migrations.AddIndex(
            model_name='platformmessage',
            index=models.Index(condition=models.Q(('delivered_at__isnull', True)), fields=['next_attempt_at', 'id'], name='platform_message_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='platformevent',
            constraint=models.UniqueConstraint(fields=('platform', 'event_id'), name='platform_event_once'),
        ),
        migrations.AddConstraint(
            model_name='unitmapping',
            constraint=models.UniqueConstraint(fields=('platform', 'code'), name='platform_department_once'),
        ),
    ]
