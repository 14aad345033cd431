"""Every developer page, by area. Project pages take ``(request, *, project, mode)`` from
``dashboard.decorators.project_page``; the domain apps' services and selectors do the work."""
