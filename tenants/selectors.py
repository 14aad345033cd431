from django.contrib.auth.base_user import AbstractBaseUser
from django.http import Http404

from .models import Project


def project_for_owner(*, user: AbstractBaseUser, project_id: str) -> Project:
    """The developer's own project, or 404: the only way dashboard views fetch a project."""
    project = Project.objects.select_related("platform").filter(public_id=project_id, platform__owner=user).first()
    if project is None:
        raise Http404("No such project.")
    return project
