"""HSDS details kept as given: cost options, contacts, addresses, coordinates, accessibility, ages,
wait times, service areas and languages (with their ids), schedule notes and links.

SQLite adds columns to directory_service by rebuilding the table, which drops the FTS5 triggers of
0002: recreate them and rebuild the keyword index at the end (a no-op on PostgreSQL)."""

import importlib

import django.db.models.deletion
from django.db import migrations, models

import respite.directory.models


_fulltext = importlib.import_module("respite.directory.migrations.0002_fulltext")


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0005_service_source'),
    ]

    operations = [
        migrations.AddField(
            model_name='location',
            name='alternate_name',
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.AddField(
            model_name='location',
            name='external_identifier',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='location',
            name='external_identifier_type',
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.AddField(
            model_name='location',
            name='latitude',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='location',
            name='longitude',
            field=models.FloatField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='location',
            name='sal_description',
            field=models.TextField(blank=True, max_length=2000),
        ),
        migrations.AddField(
            model_name='location',
            name='sal_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='location',
            name='transportation',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='location',
            name='url',
            field=models.URLField(blank=True),
        ),
        migrations.AddField(
            model_name='phone',
            name='location',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='phones', to='directory.location'),
        ),
        migrations.AddField(
            model_name='schedule',
            name='attending_type',
            field=models.CharField(blank=True, max_length=300),
        ),
        migrations.AddField(
            model_name='schedule',
            name='location',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='schedules', to='directory.location'),
        ),
        migrations.AddField(
            model_name='schedule',
            name='notes',
            field=models.CharField(blank=True, max_length=500),
        ),
        migrations.AddField(
            model_name='schedule',
            name='schedule_link',
            field=models.URLField(blank=True),
        ),
        migrations.AddField(
            model_name='schedule',
            name='valid_from',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='schedule',
            name='valid_to',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='service',
            name='alert',
            field=models.CharField(blank=True, help_text='A short notice, e.g. a closure.', max_length=500, verbose_name='alert'),
        ),
        migrations.AddField(
            model_name='service',
            name='interpretation_services',
            field=models.CharField(blank=True, max_length=300, verbose_name='interpretation services'),
        ),
        migrations.AddField(
            model_name='service',
            name='maximum_age',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='maximum age'),
        ),
        migrations.AddField(
            model_name='service',
            name='minimum_age',
            field=models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='minimum age'),
        ),
        migrations.AddField(
            model_name='service',
            name='wait_time',
            field=models.CharField(blank=True, max_length=300, verbose_name='wait time'),
        ),
        migrations.CreateModel(
            name='Accessibility',
            fields=[
                ('id', models.CharField(default=respite.directory.models.new_id, max_length=64, primary_key=True, serialize=False)),
                ('description', models.TextField(blank=True, max_length=2000)),
                ('details', models.TextField(blank=True, max_length=2000)),
                ('url', models.URLField(blank=True)),
                ('location', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='accessibility', to='directory.location')),
            ],
            options={
                'verbose_name_plural': 'accessibility',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Address',
            fields=[
                ('id', models.CharField(default=respite.directory.models.new_id, max_length=64, primary_key=True, serialize=False)),
                ('attention', models.CharField(blank=True, max_length=200)),
                ('address_1', models.CharField(max_length=200)),
                ('address_2', models.CharField(blank=True, max_length=200)),
                ('city', models.CharField(max_length=100)),
                ('region', models.CharField(blank=True, max_length=100)),
                ('state_province', models.CharField(max_length=100)),
                ('postal_code', models.CharField(max_length=20)),
                ('country', models.CharField(help_text='ISO 3166-1 alpha-2 code, as given.', max_length=60)),
                ('address_type', models.CharField(default='physical', max_length=20)),
                ('location', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='addresses', to='directory.location')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Contact',
            fields=[
                ('id', models.CharField(default=respite.directory.models.new_id, max_length=64, primary_key=True, serialize=False)),
                ('name', models.CharField(blank=True, max_length=200)),
                ('title', models.CharField(blank=True, max_length=200)),
                ('department', models.CharField(blank=True, max_length=200)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('location', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='contacts', to='directory.location')),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='contacts', to='directory.service')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name='phone',
            name='contact',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='phones', to='directory.contact'),
        ),
        migrations.CreateModel(
            name='CostOption',
            fields=[
                ('id', models.CharField(default=respite.directory.models.new_id, max_length=64, primary_key=True, serialize=False)),
                ('option', models.CharField(blank=True, max_length=300)),
                ('amount', models.DecimalField(blank=True, decimal_places=2, max_digits=12, null=True)),
                ('currency', models.CharField(blank=True, max_length=3)),
                ('amount_description', models.CharField(blank=True, max_length=300)),
                ('valid_from', models.DateField(blank=True, null=True)),
                ('valid_to', models.DateField(blank=True, null=True)),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='cost_options', to='directory.service')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='ServiceArea',
            fields=[
                ('id', models.CharField(default=respite.directory.models.new_id, max_length=64, primary_key=True, serialize=False)),
                ('name', models.CharField(blank=True, max_length=500)),
                ('description', models.TextField(blank=True, max_length=2000)),
                ('extent', models.TextField(blank=True)),
                ('extent_type', models.CharField(blank=True, max_length=20)),
                ('uri', models.URLField(blank=True)),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='service_areas', to='directory.service')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='ServiceLanguage',
            fields=[
                ('id', models.CharField(default=respite.directory.models.new_id, max_length=64, primary_key=True, serialize=False)),
                ('code', models.CharField(max_length=10)),
                ('name', models.CharField(blank=True, max_length=100)),
                ('note', models.CharField(blank=True, max_length=500)),
                ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='language_rows', to='directory.service')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.AddField(
            model_name="service",
            name="portal_service",
            field=models.CharField(
                blank=True,
                choices=[
                    ("counseling", "Counselor dialogue"),
                    ("peer_support", "Peer support"),
                    ("therapists", "Volunteer therapists"),
                ],
                help_text="Set for the portal's own services (counselors, peers, volunteer therapists).",
                max_length=20,
                verbose_name="portal service",
            ),
        ),
        migrations.RunPython(_fulltext._run(_fulltext.CREATE), migrations.RunPython.noop),
    ]
