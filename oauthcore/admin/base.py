"""What oauthcore's admin pages share: a small page in the admin's look, lists that stay fast."""

from django.contrib import admin
from django.template.response import TemplateResponse

from oauthcore.ops import admin_lists


class PageMixin:
    """Render a small page in the admin's look: a confirmation form, or what follows one."""

    def render_page(self, request, *, title, obj=None, template="confirm.html", **context):
        context |= {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": title,
        }
        return TemplateResponse(request, f"admin/oauthcore/{template}", context)


class ListAdmin(admin_lists.FastListMixin, admin_lists.IndexedSearchMixin, admin.ModelAdmin):
    """A list that stays fast on a big table; ``search_fields`` are matched exactly."""


class ReadOnlyAdmin(ListAdmin):
    """A list to look at: rows are made by the protocol, never typed in."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
