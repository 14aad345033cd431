from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from .models import ApiKey, EndUser, Project


def project_for_owner(*, user: AbstractBaseUser, project_id: str) -> Project:
    """The developer's own project, or 404: the only way dashboard views fetch a project."""
    project = Project.objects.select_related("platform").filter(public_id=project_id, platform__owner=user).first()
    if project is None:
        raise Http404("No such project.")
    return project


def active_api_keys(*, project: Project, mode: str) -> dict[str, ApiKey]:
    """The project's working keys in one mode, by kind (``pk``/``sk``); a revoked kind is absent."""
    return {key.kind: key for key in ApiKey.objects.filter(project=project, mode=mode, revoked_at__isnull=True)}


def end_users_for_project(*, project: Project, mode: str) -> QuerySet[EndUser]:
    return EndUser.objects.filter(project=project, mode=mode).select_related("tier")
