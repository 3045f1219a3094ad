"""django.contrib.admin with the throttled login (accounts.admin_site), named in INSTALLED_APPS.

Apart from admin_site.py because an app config is imported before models can be."""

from django.contrib.admin.apps import AdminConfig


class ThrottledAdminConfig(AdminConfig):
    default_site = "accounts.admin_site.ThrottledAdminSite"
