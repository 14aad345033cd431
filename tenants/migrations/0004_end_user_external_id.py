
import django.core.validators
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_tierprice_billingcustomer_stripeconnection_and_more'),
        ('tenants', '0003_project_key_rate_limit'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='enduser',
            name='end_user_email_unique_per_project_mode',
        ),
        migrations.AddField(
            model_name='enduser',
            name='external_id',
            field=models.CharField(blank=True, max_length=128, null=True, validators=[django.core.validators.RegexValidator('^[A-Za-z0-9][A-Za-z0-9._:@|+-]{0,127}$', 'Use 1–128 letters, digits or . _ : @ | + -, starting with a letter or digit.')]),
        ),
        # Existing projects get False: until now an unknown X-User-Id answered 404, and an app may
        # rely on that (a typo must not silently create an end user). New projects get True.
        migrations.AddField(
            model_name='project',
            name='auto_create_end_users',
            field=models.BooleanField(default=False, help_text='Create an end user the first time the secret key tracks usage for an unknown external id.'),
        ),
        migrations.AlterField(
            model_name='project',
            name='auto_create_end_users',
            field=models.BooleanField(default=True, help_text='Create an end user the first time the secret key tracks usage for an unknown external id.'),
        ),
        migrations.AlterField(
            model_name='enduser',
            name='email',
            field=models.EmailField(blank=True, max_length=254),
        ),
        migrations.AddConstraint(
            model_name='enduser',
            constraint=models.UniqueConstraint(models.F('project'), models.F('mode'), django.db.models.functions.text.Lower('email'), condition=models.Q(('email', ''), _negated=True), name='end_user_email_unique_per_project_mode'),
        ),
        migrations.AddConstraint(
            model_name='enduser',
            constraint=models.UniqueConstraint(condition=models.Q(('external_id__isnull', False)), fields=('project', 'mode', 'external_id'), name='end_user_external_id_unique_per_project_mode'),
        ),
    ]
