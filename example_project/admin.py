"""The example project's user admin: Django's, plus oauthcore's "End all sessions" action."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

import oauthcore.admin

User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    actions = [oauthcore.admin.end_sessions]  # the one line a project adds
    show_full_result_count = False  # a big user table is never counted in full
