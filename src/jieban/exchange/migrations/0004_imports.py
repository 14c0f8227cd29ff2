"""Ticket imports from Excel and CSV sheets (issue 12, part 3): the sources and their imports."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0003_open311'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ImportSource',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.SlugField(max_length=40, unique=True, verbose_name='name')),
                ('channel', models.CharField(choices=[('hotline_12345', '12345 hotline'), ('online_platform', 'Online platform'), ('other', 'Other')], default='hotline_12345', max_length=20, verbose_name='channel')),
                ('mapping', models.JSONField(default=dict, verbose_name='column mapping')),
                ('created_at', models.DateTimeField(verbose_name='created at')),
                ('updated_at', models.DateTimeField(verbose_name='updated at')),
            ],
            options={
                'verbose_name': 'import source',
                'verbose_name_plural': 'import sources',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='TicketImport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('file_name', models.CharField(max_length=200, verbose_name='file name')),
                ('sha256', models.CharField(max_length=64, verbose_name='SHA-256')),
                ('state', models.CharField(choices=[('checked', 'Checked'), ('confirmed', 'Confirmed'), ('running', 'Running'), ('done', 'Done'), ('failed', 'Failed')], default='checked', max_length=10, verbose_name='state')),
                ('rows', models.JSONField(default=list, verbose_name='rows')),
                ('errors', models.JSONField(default=list, verbose_name='errors')),
                ('error_count', models.PositiveIntegerField(default=0, verbose_name='errors')),
                ('rows_total', models.PositiveIntegerField(default=0, verbose_name='rows')),
                ('next_row', models.PositiveIntegerField(default=0, verbose_name='rows processed')),
                ('created_count', models.PositiveIntegerField(default=0, verbose_name='tickets created')),
                ('existing_count', models.PositiveIntegerField(default=0, verbose_name='already there')),
                ('refused_count', models.PositiveIntegerField(default=0, verbose_name='rows refused')),
                ('failure', models.TextField(blank=True, verbose_name='failure')),
                ('checked_at', models.DateTimeField(verbose_name='checked at')),
                ('confirmed_at', models.DateTimeField(blank=True, null=True, verbose_name='confirmed at')),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True, verbose_name='last progress')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='finished at')),
                ('checked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='checked by')),
                ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='confirmed by')),
                ('source', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='imports', to='exchange.importsource', verbose_name='source')),
            ],
            options={
                'verbose_name': 'ticket import',
                'verbose_name_plural': 'ticket imports',
                'ordering': ['-checked_at', '-pk'],
                'indexes': [models.Index(condition=models.Q(('state__in', ['confirmed', 'running'])), fields=['state', 'heartbeat_at'], name='import_to_run')],
                'constraints': [models.UniqueConstraint(fields=('source', 'sha256'), name='one_import_per_file'), models.CheckConstraint(condition=models.Q(('next_row__lte', models.F('rows_total'))), name='import_progress_within_rows')],
            },
        ),
    ]
