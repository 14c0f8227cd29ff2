"""Open311 GeoReport v2: the applications' keys and what a service request brought beside its
ticket (issue 12, part 2)."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('exchange', '0002_track'),
        ('tickets', '0019_handover_to_mediation'),
    ]

    operations = [
        migrations.CreateModel(
            name='Open311Key',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=80, unique=True, verbose_name='name')),
                ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('prefix', models.CharField(editable=False, max_length=9, verbose_name='prefix')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created at')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
            ],
            options={
                'verbose_name': 'Open311 application key',
                'verbose_name_plural': 'Open311 application keys',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Open311Request',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('lat', models.FloatField(blank=True, null=True, verbose_name='latitude')),
                ('long', models.FloatField(blank=True, null=True, verbose_name='longitude')),
                ('address_id', models.CharField(blank=True, max_length=100, verbose_name='address id')),
                ('media_url', models.URLField(blank=True, max_length=500, verbose_name='media URL')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='email')),
                ('attributes', models.JSONField(blank=True, default=dict, verbose_name='attributes')),
                ('key', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='requests', to='exchange.open311key', verbose_name='Open311 application key')),
                ('ticket', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='open311', to='tickets.ticket', verbose_name='ticket')),
            ],
            options={
                'verbose_name': 'Open311 service request',
                'verbose_name_plural': 'Open311 service requests',
                'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('lat__isnull', True), ('long__isnull', True)), models.Q(('lat__gte', -90), ('lat__lte', 90), ('long__gte', -180), ('long__lte', 180)), _connector='OR'), name='open311_request_position_in_range')],
            },
        ),
    ]
